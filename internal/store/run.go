// Package store writes and reads run directories: a run.json manifest and
// Parquet tables (daily.parquet, agents.parquet, ledger.parquet and, with
// institutions, institutions.parquet), laid out
// as docs/store-format.md describes. A run directory appears atomically: it
// is written under a temporary name in the same parent and renamed into
// place only when every file is complete and synced.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// FormatVersion is the run directory format; readers check it.
const FormatVersion = 2

// File names inside a run directory.
const (
	ManifestFile = "run.json"
	DailyFile    = "daily.parquet"
	AgentsFile   = "agents.parquet"
	LedgerFile   = "ledger.parquet"
)

// Manifest is run.json.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	ID            string `json:"id"`
	// Name is the run's label (run --name, the lab's run label), "" when
	// none was given; see ValidName.
	Name string `json:"name"`
	Build
	Scenario   ScenarioInfo    `json:"scenario"`
	Seed       uint64          `json:"seed"`
	Agents     int             `json:"agents"`
	Days       int             `json:"days"`
	Ledger     string          `json:"ledger"`
	Graph      GraphInfo       `json:"graph"`
	Names      Names           `json:"names"`
	Rules      []RuleInfo      `json:"rules"`
	Sanctions  []SanctionInfo  `json:"sanctions"`
	Privileges []PrivilegeInfo `json:"privileges,omitempty"`
	Behaviours []BehaviourInfo `json:"behaviours"`
	// Institutions are the scenario's decision-makers (institutions.go);
	// absent without any.
	Institutions []InstitutionInfo `json:"institutions,omitempty"`
	Files        []string          `json:"files"`
	// Sweep is set when the run belongs to a sweep (nosedive sweep).
	Sweep *SweepInfo `json:"sweep,omitempty"`
	// Volatile fields: they differ between identical runs.
	Created string  `json:"created"`
	Timings Timings `json:"timings"`
	Host    Host    `json:"host"`
}

// Build identifies the nosedive that wrote a file: its version (see
// internal/buildinfo), the commit it was built from ("" when unknown) and
// whether that tree had uncommitted changes.
type Build struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Modified bool   `json:"modified"`
}

// SweepInfo places a run in a sweep: the sweep's name, the design point,
// the replicate and the parameter values (dotted path = value, in the
// sweep file's order) that were applied with --set.
type SweepInfo struct {
	ID        string       `json:"id"`
	Point     int          `json:"point"`
	Replicate int          `json:"replicate"`
	Params    []SweepParam `json:"params"`
}

// SweepParam is one varied parameter's value at a sweep point.
type SweepParam struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

// ScenarioInfo identifies the scenario a run used.
type ScenarioInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	File        string   `json:"file"`
	SHA256      string   `json:"sha256"`
	Sets        []string `json:"sets"`
	Text        string   `json:"text"`
}

// GraphInfo describes the acquaintance graph.
type GraphInfo struct {
	Model            string  `json:"model"`
	Edges            int64   `json:"edges"`
	MeanDegree       float64 `json:"mean_degree"`
	Clustering       float64 `json:"clustering"`
	ClusteringSample int     `json:"clustering_sample"`
	// Shares of ties whose two ends are in the same group, the same region,
	// and both, over the ties of the same sample of vertices.
	WithinGroup          float64 `json:"within_group"`
	WithinRegion         float64 `json:"within_region"`
	WithinGroupAndRegion float64 `json:"within_group_and_region"`
	// DegreeHistogram[d] is the number of agents with d acquaintances; the
	// last entry counts every degree from its index up (at most 100).
	DegreeHistogram []int64 `json:"degree_histogram"`
	Partnered0      int     `json:"partnered_at_start"`
}

// Names lists the categories, in index order, that the tables use.
type Names struct {
	Regions       []string `json:"regions"`
	Groups        []string `json:"groups"`
	Ages          []string `json:"ages"`
	Traits        []string `json:"traits"`
	Tiers         []string `json:"tiers"`
	Sanctions     []string `json:"sanctions"`
	Flags         []string `json:"flags"`
	Behaviours    []string `json:"behaviours"`
	Contributions []string `json:"contributions"`
	Privileges    []string `json:"privileges,omitempty"`
	Scores        []string `json:"scores,omitempty"` // extra scores (scores.go)
}

// RuleInfo describes a scoring rule and where it comes from.
type RuleInfo struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // event or periodic
	On          string   `json:"on,omitempty"`
	Every       int      `json:"every,omitempty"`
	Via         string   `json:"via"` // self, partner or acquaintances: whose state the rule reads
	SetFlags    []string `json:"set_flags,omitempty"`
	Score       string   `json:"score,omitempty"` // the extra score it changes; empty: the main score
	Source      string   `json:"source,omitempty"`
	Description string   `json:"description,omitempty"`
}

// SanctionInfo describes a sanction and where it comes from.
type SanctionInfo struct {
	Name        string   `json:"name"`
	Target      string   `json:"target"`
	Context     string   `json:"context"`
	Severity    float64  `json:"severity"`
	Blocks      []string `json:"blocks,omitempty"`
	DenyAccount bool     `json:"deny_account,omitempty"`
	School      bool     `json:"school,omitempty"`
	Detain      bool     `json:"detain,omitempty"`
	Source      string   `json:"source,omitempty"`
	Description string   `json:"description,omitempty"`
}

// PrivilegeInfo describes a privilege and where it comes from. Via says
// whose score earns it: self, partner (its condition reads the partner),
// household (it also goes to the partner of whoever earns it) or
// acquaintances, joined with + when several.
type PrivilegeInfo struct {
	Name        string   `json:"name"`
	Target      string   `json:"target"`
	Context     string   `json:"context"`
	Via         string   `json:"via"`
	Boosts      []string `json:"boosts,omitempty"`
	Waives      []string `json:"waives,omitempty"`
	Lifts       []string `json:"lifts,omitempty"`
	Sooner      []string `json:"sooner,omitempty"`
	Source      string   `json:"source,omitempty"`
	Description string   `json:"description,omitempty"`
}

// BehaviourInfo describes a behaviour.
type BehaviourInfo struct {
	Name        string  `json:"name"`
	Channel     string  `json:"channel"`
	Context     string  `json:"context"`
	Penalised   bool    `json:"penalised"`
	Lawful      bool    `json:"lawful"`
	Gravity     float64 `json:"gravity"`
	Source      string  `json:"source,omitempty"`
	Description string  `json:"description,omitempty"`
}

// Describe fills the rule, sanction and behaviour descriptions of a
// manifest from a scenario and its compiled program.
func (m *Manifest) Describe(sc *scenario.Scenario, prog *scenario.Program) {
	m.Rules, m.Sanctions, m.Behaviours = nil, nil, nil
	for r, ru := range sc.Scoring.Rules {
		ri := RuleInfo{Name: ru.Name, Kind: "periodic", On: ru.On, Every: ru.Every, Via: "self",
			SetFlags: ru.SetFlags, Score: ru.Score, Source: ru.Source, Description: ru.Description}
		if ru.On != "" {
			ri.Kind = "event"
		}
		refs := []bool{prog.RuleWhen[r].Refs.Partner || prog.RuleAmount[r].Refs.Partner,
			prog.RuleWhen[r].Refs.Acq || prog.RuleAmount[r].Refs.Acq}
		switch {
		case refs[0] && refs[1]:
			ri.Via = "partner+acquaintances"
		case refs[0]:
			ri.Via = "partner"
		case refs[1]:
			ri.Via = "acquaintances"
		}
		if ru.On == scenario.PartneredEvent {
			// A partnership forming: whom one partners with, so the
			// audits count it as the partner's, whatever it reads.
			ri.Kind = "partnered"
			switch ri.Via {
			case "self":
				ri.Via = "partner"
			case "acquaintances":
				ri.Via = "partner+acquaintances"
			}
		}
		m.Rules = append(m.Rules, ri)
	}
	for _, x := range sc.Sanctions {
		m.Sanctions = append(m.Sanctions, SanctionInfo{Name: x.Name, Target: x.Target, Context: x.Context,
			Severity: x.Severity, Blocks: x.Blocks, DenyAccount: x.DenyAccount, School: x.School,
			Detain: x.Detain != nil, Source: x.Source, Description: x.Description})
	}
	m.Institutions = describeInstitutions(sc)
	m.Privileges = describePrivileges(sc, prog)
	for _, b := range sc.Behaviours {
		m.Behaviours = append(m.Behaviours, BehaviourInfo{Name: b.Name, Channel: b.Channel, Context: b.Context,
			Penalised: b.Penalised, Lawful: b.Lawful == nil || *b.Lawful, Gravity: b.Gravity,
			Source: b.Source, Description: b.Description})
	}
}

// Timings are wall-clock seconds per phase.
type Timings struct {
	Setup    float64 `json:"setup_s"`
	Simulate float64 `json:"simulate_s"`
	Write    float64 `json:"write_s"`
	Total    float64 `json:"total_s"`
}

// Host describes where the run executed.
type Host struct {
	Workers   int    `json:"workers"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// RunWriter collects a run's output in a temporary directory. It implements
// sim.Sink.
type RunWriter struct {
	root, tmp, id string
	days          []*daily.Day
	ledger        []daily.LedgerEntry
	ledgerLimit   int         // rows; 0: no limit
	trace         traceRecord // the ledger sample's states and events (trace.go)
	committed     bool
	keep          bool
	ctx           context.Context // of Commit: writing stops when it is done
}

var _ sim.Sink = (*RunWriter)(nil)

// Create starts a run directory for a run named id under root. The
// unfinished directory is made with a random suffix (os.MkdirTemp), so runs
// started together never share one, and Abort removes only it.
func Create(root, id string) (*RunWriter, error) {
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+id+"-")
	if err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	return &RunWriter{root: root, tmp: tmp, id: id}, nil
}

// BaseID is the name a run gets when nothing else has it: scenario name,
// the slug of the run's label when it has one (see Slug), seed and UTC
// time (name[-label]-sSEED-YYYYMMDD-HHMMSS). CreateUnique adds a counter
// when the name is taken.
func BaseID(scenarioName, label string, seed uint64, now time.Time) string {
	if s := Slug(label); s != "" {
		scenarioName += "-" + s
	}
	return fmt.Sprintf("%s-s%d-%s", scenarioName, seed, now.UTC().Format("20060102-150405"))
}

// maxSlug bounds the part of a run id taken from its label.
const maxSlug = 40

// Slug is the form of a run label that goes into a run id: ASCII letters
// and digits lower-cased, every other run of characters one "-", trimmed
// of "-" at both ends and cut to 40 bytes. It is "" for a label with no
// letter or digit.
func Slug(label string) string {
	var b strings.Builder
	dash := false
	for _, r := range label {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			dash = b.Len() > 0
			continue
		}
		if b.Len() >= maxSlug {
			break
		}
		if dash {
			if b.Len()+1 >= maxSlug {
				break
			}
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CreateUnique starts a run directory under root named base, or base-2,
// base-3, ... : the first name that no finished run has and no other run
// (in this process or another) has claimed. The claim is an exclusive
// os.Mkdir of the unfinished directory .tmp-NAME, made before the finished
// name is checked once more, so of runs started together (the same second,
// the same --out) each gets its own name, and none can later find its
// name taken.
func CreateUnique(root, base string) (*RunWriter, error) {
	if err := ValidID(base); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	for k := 1; k < 1_000_000; k++ {
		id := base
		if k > 1 {
			id = fmt.Sprintf("%s-%d", base, k)
		}
		if _, err := os.Lstat(filepath.Join(root, id)); err == nil {
			continue
		}
		tmp := filepath.Join(root, ".tmp-"+id)
		if err := os.Mkdir(tmp, 0o700); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return nil, fmt.Errorf("create run directory: %w", err)
		}
		// A run that finished between the check above and the claim
		// renamed its .tmp- away first: look again.
		if _, err := os.Lstat(filepath.Join(root, id)); err == nil {
			os.Remove(tmp)
			continue
		}
		return &RunWriter{root: root, tmp: tmp, id: id}, nil
	}
	return nil, fmt.Errorf("create run directory: no free name for %s in %s", base, root)
}

// ID returns the run's id (its directory name once committed).
func (w *RunWriter) ID() string { return w.id }

// Day implements sim.Sink. Daily rows are small (days x cells), so they are
// kept until Commit.
func (w *RunWriter) Day(d *daily.Day) error {
	w.days = append(w.days, d)
	return nil
}

// LedgerLimitError says a run's ledger reached the most rows the memory
// guard allowed it (RunWriter.SetLedgerLimit).
type LedgerLimitError struct{ Rows int }

func (e *LedgerLimitError) Error() string {
	return fmt.Sprintf("the ledger reached its limit of %d rows", e.Rows)
}

// SetLedgerLimit makes Ledger fail with a *LedgerLimitError rather than hold
// more than rows entries (0: no limit). The ledger's slice then never has a
// capacity above rows, so its memory is bounded by 16 bytes x rows (and
// 36 bytes x rows while it grows: the old and the new array).
func (w *RunWriter) SetLedgerLimit(rows int) { w.ledgerLimit = rows }

// Ledger implements sim.Sink.
func (w *RunWriter) Ledger(entries []daily.LedgerEntry) error {
	n := len(w.ledger) + len(entries)
	if w.ledgerLimit > 0 && n > w.ledgerLimit {
		return &LedgerLimitError{Rows: w.ledgerLimit}
	}
	if n > cap(w.ledger) {
		// Grow by a quarter (as append does for large slices), never past
		// the limit, so the bound above holds.
		c := max(n, cap(w.ledger)+cap(w.ledger)/4, 1024)
		if w.ledgerLimit > 0 {
			c = min(c, w.ledgerLimit)
		}
		grown := make([]daily.LedgerEntry, len(w.ledger), c)
		copy(grown, w.ledger)
		w.ledger = grown
	}
	w.ledger = append(w.ledger, entries...)
	return nil
}

// Abort removes the temporary directory. It is safe after Commit.
func (w *RunWriter) Abort() {
	if !w.committed && !w.keep {
		os.RemoveAll(w.tmp)
	}
}

// Commit writes the tables and the manifest, syncs them and renames the
// directory into place. It returns the final path.
// Writing stops with ctx.Err() (between output buffers) once ctx is done.
func (w *RunWriter) Commit(ctx context.Context, m *Manifest, f *sim.Final, writeStart time.Time) (string, error) {
	w.ctx = ctx
	defer func() { w.ctx = nil }()
	if err := ValidID(w.id); err != nil { // (Resume's callers pass a read id)
		return "", fmt.Errorf("commit run: %w", err)
	}
	final := filepath.Join(w.root, w.id)
	// rename(2) would replace an empty directory of that name: another
	// run's (or a user's) directory is never touched. Checked first, while
	// the run's checkpoints are still there to resume from, and again
	// before the rename.
	taken := func() error {
		if _, err := os.Lstat(final); err == nil {
			return fmt.Errorf("move run into place: %s: %w", final, os.ErrExist)
		}
		return nil
	}
	if err := taken(); err != nil {
		return "", err
	}
	m.FormatVersion = FormatVersion
	m.ID = w.id
	if err := w.writeFile(DailyFile, func(fh io.Writer) error { return writeDaily(fh, m, w.days) }); err != nil {
		return "", err
	}
	if err := w.writeFile(AgentsFile, func(fh io.Writer) error { return writeAgents(fh, m, f) }); err != nil {
		return "", err
	}
	files := []string{ManifestFile, DailyFile, AgentsFile}
	if len(m.Institutions) > 0 {
		if err := w.writeFile(InstitutionsFile, func(fh io.Writer) error { return writeInstitutions(fh, m, w.days) }); err != nil {
			return "", err
		}
		files = append(files, InstitutionsFile)
	}
	if m.Ledger != "none" {
		if err := w.writeFile(LedgerFile, func(fh io.Writer) error { return writeLedger(fh, m, w.ledger) }); err != nil {
			return "", err
		}
		files = append(files, LedgerFile)
		traceFiles, err := w.commitTrace(m)
		if err != nil {
			return "", err
		}
		files = append(files, traceFiles...)
	}
	m.Files = files
	m.Timings.Write = time.Since(writeStart).Seconds()
	m.Timings.Total = m.Timings.Setup + m.Timings.Simulate + m.Timings.Write
	if err := w.writeFile(ManifestFile, func(fh io.Writer) error {
		enc := json.NewEncoder(fh)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return "", err
	}
	// An unfinished run's resume files are not part of the finished run.
	os.RemoveAll(filepath.Join(w.tmp, CheckpointsDir))
	os.Remove(filepath.Join(w.tmp, SpecFile))
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.Chmod(w.tmp, 0o755); err != nil {
		return "", err
	}
	if err := SyncDir(w.tmp); err != nil {
		return "", err
	}
	if err := taken(); err != nil {
		return "", err
	}
	if err := os.Rename(w.tmp, final); err != nil {
		return "", fmt.Errorf("move run into place: %w", err)
	}
	w.committed = true
	if err := SyncDir(w.root); err != nil {
		return "", err
	}
	return final, nil
}

// createFile creates an output file; tests replace it to inject faults
// such as a full disk.
var createFile = os.Create

// ctxWriter fails writes once its context is done, so writing a large
// table stops soon after a signal.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func (w *RunWriter) writeFile(name string, fill func(io.Writer) error) error {
	ctx := w.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fh, err := createFile(filepath.Join(w.tmp, name))
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fill(ctxWriter{ctx, fh}); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// SyncDir fsyncs a directory, so a rename inside it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func points(x int64) float64 { return float64(x) / daily.ScoreScale }

// NamesOf lists a scenario's categories as the tables use them.
func NamesOf(sc *scenario.Scenario, contrib []string) Names {
	s := sc.Schema()
	n := Names{Regions: s.Regions, Groups: s.Groups, Ages: s.Ages, Traits: s.Traits, Tiers: s.Tiers,
		Sanctions: s.Sanctions, Flags: s.Flags, Contributions: contrib, Privileges: sc.PrivilegeNames(),
		Scores: sc.ScoreNames()}
	for _, b := range sc.Behaviours {
		n.Behaviours = append(n.Behaviours, b.Name)
	}
	return n
}

func bytesOf(names []string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

func writeDaily(fh io.Writer, m *Manifest, days []*daily.Day) error {
	cols, n := dailyColumns(m, days)
	return writeTable(fh, "daily", cols, n, Metadata(m))
}

// dailyColumns are the columns of daily.parquet and its number of rows.
func dailyColumns(m *Manifest, days []*daily.Day) ([]column, int) {
	type row struct {
		day  int
		cell *daily.Cell
	}
	var rows []row
	for _, d := range days {
		for c := range d.Cells {
			rows = append(rows, row{d.Day, &d.Cells[c]})
		}
	}
	nm := m.Names
	regions, groups := bytesOf(nm.Regions), bytesOf(nm.Groups)
	// A cell without agents has no mean or quantiles: NULL, not 0 or NaN.
	empty := func(r int) bool { return rows[r].cell.Agents == 0 }
	cols := []column{
		{name: "day", typ: tInt32, i32: func(r int) int32 { return int32(rows[r].day) }},
		{name: "region", typ: tString, s: func(r int) []byte { return regions[rows[r].cell.Region] }},
		{name: "group", typ: tString, s: func(r int) []byte { return groups[rows[r].cell.Group] }},
		{name: "regime_active", typ: tBool, b: func(r int) bool { return rows[r].cell.RegimeActive }},
		{name: "agents", typ: tInt64, i64: func(r int) int64 { return rows[r].cell.Agents }},
		{name: "active", typ: tInt64, i64: func(r int) int64 { return rows[r].cell.Active }},
		{name: "detained", typ: tInt64, i64: func(r int) int64 { return rows[r].cell.Detained }},
		{name: "partnered", typ: tInt64, i64: func(r int) int64 { return rows[r].cell.Partnered }},
		{name: "children_blocked", typ: tInt64, i64: func(r int) int64 { return rows[r].cell.ChildrenBlocked }},
		{name: "score_mean", typ: tDouble, null: empty, f64: func(r int) float64 {
			c := rows[r].cell
			if c.Agents == 0 {
				return 0
			}
			return points(c.ScoreSum) / float64(c.Agents)
		}},
	}
	for q, frac := range daily.Quantiles {
		q := q
		cols = append(cols, column{name: fmt.Sprintf("score_p%02.0f", frac*100), typ: tDouble, null: empty,
			f64: func(r int) float64 { return rows[r].cell.ScoreQ[q] }})
	}
	add := func(prefix string, names []string, get func(c *daily.Cell) []int64) {
		for k, n := range names {
			k := k
			cols = append(cols, column{name: columnName(prefix, n), typ: tInt64,
				i64: func(r int) int64 { return get(rows[r].cell)[k] }})
		}
	}
	add("tier_", nm.Tiers, func(c *daily.Cell) []int64 { return c.Tier })
	add("sanction_", nm.Sanctions, func(c *daily.Cell) []int64 { return c.Sanction })
	add("flag_", nm.Flags, func(c *daily.Cell) []int64 { return c.Flag })
	add("attempted_", nm.Behaviours, func(c *daily.Cell) []int64 { return c.Attempted })
	add("detected_", nm.Behaviours, func(c *daily.Cell) []int64 { return c.Detected })
	add("blocked_", nm.Behaviours, func(c *daily.Cell) []int64 { return c.Blocked })
	add("privilege_", nm.Privileges, func(c *daily.Cell) []int64 { return c.Privilege })
	cols = append(cols, dailyScoreColumns(nm, func(r int) *daily.Cell { return rows[r].cell }, empty)...)
	return cols, len(rows)
}

func writeAgents(fh io.Writer, m *Manifest, f *sim.Final) error {
	return writeTable(fh, "agents", agentColumns(m, f), f.Pop.N, Metadata(m))
}

// agentColumns are the columns of agents.parquet.
func agentColumns(m *Manifest, f *sim.Final) []column {
	nm := m.Names
	p := f.Pop
	regions, groups, ages, tiers := bytesOf(nm.Regions), bytesOf(nm.Groups), bytesOf(nm.Ages), bytesOf(nm.Tiers)
	cols := []column{
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return int32(r) }},
		{name: "region", typ: tString, s: func(r int) []byte { return regions[p.Region[r]] }},
		{name: "group", typ: tString, s: func(r int) []byte { return groups[p.Group[r]] }},
		{name: "age", typ: tString, s: func(r int) []byte { return ages[p.Age[r]] }},
	}
	for t, n := range nm.Traits {
		bit := uint32(1) << uint(t)
		cols = append(cols, column{name: columnName("", n), typ: tBool, b: func(r int) bool { return p.Traits[r]&bit != 0 }})
	}
	cols = append(cols,
		column{name: "children", typ: tInt32, i32: func(r int) int32 { return int32(p.Kids[r]) }},
		column{name: "partner", typ: tInt32, i32: func(r int) int32 { return f.Partner[r] },
			null: func(r int) bool { return f.Partner[r] < 0 }},
		column{name: "baseline", typ: tDouble, f64: func(r int) float64 { return points(int64(f.BaselineAt(r))) }},
		column{name: "score", typ: tDouble, f64: func(r int) float64 { return points(int64(f.Score[r])) }},
		column{name: "tier", typ: tString, s: func(r int) []byte { return tiers[f.Tier[r]] }},
		column{name: "detained", typ: tBool, b: func(r int) bool { return f.Detained[r] }},
		column{name: "penalised_attempts", typ: tInt32, i32: func(r int) int32 { return int32(f.PenalisedAttempts[r]) }},
		column{name: "first_sanction_day", typ: tInt32, i32: func(r int) int32 { return f.FirstSanction[r] },
			null: func(r int) bool { return f.FirstSanction[r] < 0 }},
		column{name: "sanction_days", typ: tInt32, i32: func(r int) int32 { return f.SanctionDays[r] }},
	)
	nb := len(nm.Behaviours)
	for b, n := range nm.Behaviours {
		b := b
		cols = append(cols, column{name: columnName("attempted_", n), typ: tInt32,
			i32: func(r int) int32 { return int32(f.Attempts[r*nb+b]) }})
	}
	for b, n := range nm.Behaviours {
		cols = append(cols, column{name: columnName("detected_", n), typ: tInt32,
			i32: func(r int) int32 { return int32(f.Detections[r*nb+b]) }})
	}
	for s, n := range nm.Sanctions {
		bit := uint32(1) << uint(s)
		cols = append(cols, column{name: columnName("sanction_", n), typ: tBool, b: func(r int) bool { return f.Sanctions[r]&bit != 0 }})
	}
	for k, n := range nm.Flags {
		bit := uint32(1) << uint(k)
		cols = append(cols, column{name: columnName("flag_", n), typ: tBool, b: func(r int) bool { return f.Flags[r]&bit != 0 }})
	}
	ni := len(m.Institutions)
	for k, x := range m.Institutions {
		cols = append(cols,
			column{name: columnName("approved_", x.Name), typ: tInt32, i32: func(r int) int32 { return int32(f.InstApproved[r*ni+k]) }},
			column{name: columnName("succeeded_", x.Name), typ: tInt32, i32: func(r int) int32 { return int32(f.InstSucceeded[r*ni+k]) }})
	}
	for k, n := range nm.Privileges {
		cols = append(cols, column{name: columnName("privilege_days_", n), typ: tInt32,
			i32: func(r int) int32 { return f.PrivilegeDays[r*f.Privileges+k] }})
	}
	if len(nm.Privileges) > 0 {
		cols = append(cols, column{name: "privileged_through_others_days", typ: tInt32,
			i32: func(r int) int32 { return f.ThroughOthersDays[r] }})
	}
	cols = append(cols, agentScoreColumns(nm, f)...)
	for k, n := range f.ContribNames {
		cols = append(cols, column{name: columnName("delta_", n), typ: tDouble,
			f64: func(r int) float64 { return points(int64(f.ContribAt(r, k))) }})
	}
	return cols
}

func writeLedger(fh io.Writer, m *Manifest, entries []daily.LedgerEntry) error {
	names := bytesOf(m.Names.Contributions)
	cols := []column{
		{name: "day", typ: tInt32, i32: func(r int) int32 { return entries[r].Day }},
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return entries[r].Agent }},
		{name: "rule", typ: tString, s: func(r int) []byte { return names[entries[r].Rule] }},
		{name: "delta", typ: tDouble, f64: func(r int) float64 { return points(int64(entries[r].Delta)) }},
	}
	cols = append(cols, ledgerScoreColumn(m, entries)...)
	return writeTable(fh, "ledger", cols, len(entries), Metadata(m))
}
