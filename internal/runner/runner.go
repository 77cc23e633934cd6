// Package runner executes one run end to end: it generates the population,
// steps the engine through every day and commits the run directory. It is
// the one place that wires scenario, population, sim and store together, so
// that the CLI, sweeps and the web lab run scenarios the same way.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/nosedive-lab/nosedive/internal/buildinfo"
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Version is the nosedive version written into every run and sweep:
// buildinfo.Version (the module version, a pseudo-version of the commit,
// or "devel"; a release build sets it with -ldflags, see there). Tests
// change it to check what a version mismatch does.
var Version = buildinfo.Version

// Build identifies the running nosedive: Version, and the commit it was
// built from (empty when the binary does not know it).
func Build() store.Build {
	bi := buildinfo.Read()
	return store.Build{Version: Version, Commit: bi.Commit, Modified: bi.Modified}
}

// Spec says what to run.
type Spec struct {
	Scenario *scenario.Scenario
	Sets     []string // the --set overrides already applied, for the manifest
	// Name labels the run ("" for none): recorded in run.json and put, as
	// a slug, in the run's id. See store.ValidName.
	Name    string
	Agents  int
	Days    int
	Seed    uint64
	Workers int
	Ledger  string
	OutDir  string
	// MaxMemory, when > 0, is a ceiling in bytes below the machine's memory.
	MaxMemory uint64
	Progress  func(day, days int)
	Now       func() time.Time
	// ID fixes the run directory's name (default: a fresh NewID).
	ID string
	// CheckpointEvery > 0 writes a checkpoint every so many days (and at the
	// end of the day loop, before outputs are written).
	CheckpointEvery int
	// OnDay, when set, receives each day's aggregates as the engine makes
	// them (day 0 first on a fresh run), on the engine's goroutine between
	// days and before Progress reports the day; the web lab draws live
	// charts from it. The days are the ones the run directory will hold:
	// read them, do not change them.
	OnDay func(*daily.Day)
	// NoRegime and Disabled make a counterfactual twin (see sim.Options).
	NoRegime bool
	Disabled []string
	// Sweep, when set, is recorded in run.json: the run belongs to a sweep.
	Sweep *store.SweepInfo
	// Warn, when set, receives warnings before the run starts (a ledger
	// that may outgrow the memory limit).
	Warn func(string)
}

// Result is a finished run.
type Result struct {
	Dir      string
	Manifest *store.Manifest
	Final    *sim.Final
	// Last is the final day's aggregates; Totals sums events over all days.
	Last   *daily.Day
	Totals Totals
}

// Totals are event counts per behaviour summed over the run.
type Totals struct {
	Attempted, Detected, Blocked []int64
}

// tee records the last day and event totals on the way to the real sink.
type tee struct {
	sim.Sink
	last   *daily.Day
	totals Totals
	onDay  func(*daily.Day)
}

func (t *tee) Day(d *daily.Day) error {
	t.count(d)
	if err := t.Sink.Day(d); err != nil {
		return err
	}
	if t.onDay != nil {
		t.onDay(d)
	}
	return nil
}

func (t *tee) count(d *daily.Day) {
	t.last = d
	for _, c := range d.Cells {
		if t.totals.Attempted == nil {
			n := len(c.Attempted)
			t.totals = Totals{make([]int64, n), make([]int64, n), make([]int64, n)}
		}
		for b := range c.Attempted {
			t.totals.Attempted[b] += c.Attempted[b]
			t.totals.Detected[b] += c.Detected[b]
			t.totals.Blocked[b] += c.Blocked[b]
		}
	}
}

// MemoryError says a run would not fit in memory, or (Rows > 0) that its
// ledger reached the most rows that fit and the run was stopped.
type MemoryError struct {
	Need, Have uint64
	Agents     int
	Ledger     uint64 // bytes of Need for the ledger
	// Limit says which limit Have is and where it was read.
	Limit string
	// Rows, when > 0, is the ledger's row limit that stopped a running run.
	Rows uint64
	// Kept is the unfinished directory kept for resume, if any.
	Kept string
}

func (e *MemoryError) Error() string {
	if e.Rows > 0 {
		msg := fmt.Sprintf("stopped: the ledger reached %d rows, the most that fit in the %s available (limit: %s); record a sample (e.g. --ledger sample:0.01) or give the run more memory",
			e.Rows, human(e.Have), e.Limit)
		if e.Kept != "" {
			msg += fmt.Sprintf("; its last checkpoint is kept: nosedive resume %s where more memory is free", e.Kept)
		}
		return msg
	}
	hint := "use fewer --agents"
	if e.Ledger > e.Need/2 {
		hint = fmt.Sprintf("%s of it is the --ledger; record a smaller sample (e.g. --ledger sample:0.01)", human(e.Ledger))
	}
	return fmt.Sprintf("a run of %d agents needs about %s of memory, but only %s is available (limit: %s); %s",
		e.Agents, human(e.Need), human(e.Have), e.Limit, hint)
}

func human(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

// generate builds a run's population. The acquaintance graph is kept in
// ring form (netgraph's Compact: about 7 bytes per agent for Watts-Strogatz
// of degree 10, against 48) unless an expression reads acq.*, which would
// then decode an agent's list at every read (the nosedive scenario ran 40%
// slower). Both forms give the same results.
func generate(ctx context.Context, sc *scenario.Scenario, prog *scenario.Program, agents int, seed uint64) (*population.Population, error) {
	return population.GenerateContext(ctx, sc, agents, seed, population.Options{CompactGraph: !prog.Refs().Acq})
}

// EstimateMemory returns the bytes a run needs at peak: population, engine
// state, graph (with its construction buffers), per-agent contributions and
// the hoisted columns of the scenario's expressions.
func EstimateMemory(sc *scenario.Scenario, agents int) uint64 {
	n := uint64(agents)
	deg := uint64(sc.Network.Degree)
	if sc.Network.Model == "none" {
		deg = 0
	}
	perAgent := uint64(population.BytesPerAgent) + sim.BytesPerAgent(len(sc.Scoring.Rules), len(sc.Behaviours)) +
		sim.InstitutionBytesPerAgent(len(sc.Institutions)) + sim.ScoresBytesPerAgent(len(sc.Scores)) +
		sim.PrivilegeBytesPerAgent(sc.Privileges)
	if prog, err := sc.Compile(); err == nil { // (a scenario that does not compile never runs)
		perAgent += uint64(sim.HoistedBytesPerAgent(prog))
	}
	graph := n*8 + n*deg*4 /* CSR */ + n*deg/2*8 /* edge list while building */ + n*8 /* fill counters */
	return n*perAgent + graph + 64<<20
}

// Execute runs a spec. On error or cancellation nothing is left in OutDir,
// except that with CheckpointEvery > 0 an interrupted run keeps its
// unfinished directory (with a final checkpoint) for `nosedive resume`.
// The context is honoured from the start: a cancellation during setup
// (population, graph, engine) or while the outputs are written stops the
// run within a chunk of work.
func Execute(ctx context.Context, spec Spec) (*Result, error) {
	now := time.Now
	if spec.Now != nil {
		now = spec.Now
	}
	sc := spec.Scenario
	if _, err := scenario.ParseLedger(spec.Ledger); err != nil {
		return nil, err
	}
	if err := store.ValidName(spec.Name); err != nil {
		return nil, err
	}
	plan, err := checkMemory(sc, spec)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if plan.mayStop && spec.Warn != nil {
		spec.Warn(fmt.Sprintf("the ledger could grow to %d rows, more than fit under the memory limit (%s); the run stops if it records more than %d",
			LedgerBound(sc, spec.Agents, spec.Days, spec.Ledger), plan.limit.Source, plan.ledgerCap))
	}
	softMemoryLimit(plan.limit)
	t0 := now()
	var w *store.RunWriter
	if spec.ID != "" {
		w, err = store.Create(spec.OutDir, spec.ID)
	} else {
		w, err = store.CreateUnique(spec.OutDir, store.BaseID(sc.Name, spec.Name, spec.Seed, t0))
	}
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	id := w.ID()
	ss := &store.Spec{ID: id, Name: spec.Name, ScenarioFile: sc.File, ScenarioText: string(sc.Source), ScenarioSHA256: scenario.Hash(sc.Source, spec.Sets),
		Sets: spec.Sets, Agents: spec.Agents, Days: spec.Days, Seed: spec.Seed, Ledger: spec.Ledger,
		CheckpointEvery: spec.CheckpointEvery, Created: t0.UTC().Format(time.RFC3339), Version: Version}
	if !spec.NoRegime && len(spec.Disabled) == 0 {
		if err := w.WriteSpec(ss); err != nil {
			return nil, err
		}
	}
	return execute(ctx, spec, ss, w, nil, plan, now)
}

// LedgerEstimate returns the expected number of ledger entries of a run and
// their size in bytes in memory (the ledger is held until the run ends):
// people x days x fraction x (expected rule firings per person-day), with
// constant event rates as given and 0.1 assumed for rates that are
// expressions. It is a typical size, for warnings; LedgerBound is the
// upper bound the memory guard relies on.
func LedgerEstimate(sc *scenario.Scenario, agents, days int, ledger string) (entries, bytes uint64) {
	l, err := scenario.ParseLedger(ledger)
	if err != nil || l.Fraction == 0 {
		return 0, 0
	}
	prog, err := sc.Compile()
	if err != nil {
		return 0, 0
	}
	perDay := 0.0
	for b := range sc.Behaviours {
		rate := 0.1 // expressions: assume a typical rate
		if prog.Rate[b].Const {
			rate = min(max(prog.Rate[b].Value, 0), 1)
		}
		for _, r := range sc.Scoring.Rules {
			if r.On == sc.Behaviours[b].Name {
				perDay += rate
			}
		}
	}
	for _, r := range sc.Scoring.Rules {
		switch {
		case r.Every > 0:
			perDay += 1 / float64(r.Every)
		case r.On == scenario.PartneredEvent:
			perDay += sc.Relationships.FormRate // at most one partnership a day
		}
		if _, _, inst := scenario.InstitutionEvent(r.On); inst {
			perDay += 0.5 // an institution's event: about one decision a day at most, one of two outcomes
		}
	}
	if sc.Scoring.Recovery != nil {
		perDay++
	}
	entries = uint64(float64(agents) * float64(days) * l.Fraction * perDay)
	return entries, entries * ledgerRowBytes(false)
}

// LedgerBound returns an upper bound on the ledger entries a run can
// record. Per sampled agent and day the engine writes at most: one entry
// per event rule of each behaviour whose rate is not the constant 0 (a
// behaviour draws at most one event a day; every rate that is an
// expression counts as 1, every detection as certain, every condition as
// true), one per `on: partnered` rule, one per periodic rule on the days
// it runs, one for recovery, one
// for the clamp to the score range and one for a release from detention.
// Sampled agents (--ledger sample:F) are bounded by F x agents + 10 x
// sqrt(F x agents) + 40, which the binomial draw exceeds with probability
// below e^-40.
func LedgerBound(sc *scenario.Scenario, agents, days int, ledger string) uint64 {
	total, _ := ledgerBounds(sc, agents, days, ledger)
	return total
}

// ledgerBounds returns LedgerBound and the bound on one day's entries.
func ledgerBounds(sc *scenario.Scenario, agents, days int, ledger string) (total, day uint64) {
	l, err := scenario.ParseLedger(ledger)
	if err != nil || l.Fraction == 0 {
		return 0, 0
	}
	prog, err := sc.Compile()
	if err != nil {
		return 0, 0
	}
	perDay := uint64(2) // clamp, release
	if sc.Scoring.Recovery != nil {
		perDay++
	}
	for _, r := range sc.Scoring.Rules {
		if r.On == scenario.PartneredEvent {
			perDay++ // an agent's partnership forms at most once a day
		}
	}
	for b, bh := range sc.Behaviours {
		if prog.Rate[b].Const && !(prog.Rate[b].Value > 0) {
			continue
		}
		for _, r := range sc.Scoring.Rules {
			if r.On == bh.Name {
				perDay++
			}
		}
	}
	for _, r := range sc.Scoring.Rules {
		if _, _, inst := scenario.InstitutionEvent(r.On); inst {
			perDay++ // an institution's event: at most one a day
		}
	}
	perAgent, periodic := perDay*uint64(days), uint64(0)
	for _, r := range sc.Scoring.Rules {
		if r.On == "" {
			every := max(r.Every, 1)
			perAgent += uint64(days/every + 1)
			periodic++
		}
	}
	sampled := float64(agents)
	if !l.All {
		mu := float64(l.Fraction * float64(agents))
		sampled = min(mu+float64(10*math.Sqrt(mu))+40, float64(agents))
	}
	n := uint64(math.Ceil(sampled))
	return n * perAgent, n * (perDay + periodic)
}

// ledgerRowBytes is the most memory one ledger entry takes at the peak: 16
// bytes in the ledger's array, 36 while the array grows (old and new copy,
// see store.RunWriter.Ledger), and with checkpoints a further 32 for the
// entry's encoding in the checkpoint buffer (at most 16 bytes of gob,
// doubled by the buffer's growth).
func ledgerRowBytes(checkpoints bool) uint64 {
	if checkpoints {
		return 36 + 32
	}
	return 36
}

// memoryPlan is what the memory guard decided for a run: the limit it must
// fit under and the most ledger rows it may hold (0: no limit).
type memoryPlan struct {
	limit     memLimit
	ledgerCap uint64
	// mayStop says the ledger's upper bound is above ledgerCap: the run
	// stops (MemoryError with Rows) if its ledger outgrows the limit.
	mayStop bool
}

// checkMemory is the memory guard. The engine, population and graph are
// estimated from the agents (EstimateMemory, an upper bound); what is
// left under the tightest limit (cgroup, MemAvailable, --max-memory) is
// the ledger's, as a row limit the run writer enforces. A run whose
// expected ledger (LedgerEstimate) does not fit is refused before it
// starts; one whose upper bound (LedgerBound) does not fit is started with
// the row limit, and stops cleanly if it reaches it.
func checkMemory(sc *scenario.Scenario, spec Spec) (memoryPlan, error) {
	limit := memoryLimit(spec.MaxMemory)
	plan := memoryPlan{limit: limit}
	if limit.Bytes == 0 {
		return plan, nil // no limit could be read
	}
	rowBytes := ledgerRowBytes(spec.CheckpointEvery > 0)
	bound, dayBound := ledgerBounds(sc, spec.Agents, spec.Days, spec.Ledger)
	// The engine hands the sink each day's entries in buffers of its own,
	// grown by append: one per chunk (up to twice the entries) and one flat
	// copy (up to three times while it grows), 16 bytes each: 80 bytes per
	// entry of a day.
	base := EstimateMemory(sc, spec.Agents) + 80*dayBound
	_, expected := LedgerEstimate(sc, spec.Agents, spec.Days, spec.Ledger)
	if l, _ := scenario.ParseLedger(spec.Ledger); l.Fraction > 0 {
		expected = max(expected, rowBytes) // a ledger needs at least a row
	}
	if base+expected > limit.Bytes || base+expected < base {
		return plan, &MemoryError{Need: base + expected, Have: limit.Bytes, Agents: spec.Agents, Ledger: expected, Limit: limit.Source}
	}
	// The ledger gets what is left of 90% of the limit: the rest is
	// headroom for memory the Go runtime does not count (the binary's
	// pages, DuckDB's allocations) and for garbage the collector has not
	// yet returned (see softMemoryLimit).
	if budget := limit.Bytes / 10 * 9; budget > base {
		plan.ledgerCap = max((budget-base)/rowBytes, 1)
	} else {
		plan.ledgerCap = 1
	}
	plan.mayStop = bound > plan.ledgerCap
	if !plan.mayStop {
		plan.ledgerCap = 0 // the bound fits: no limit needed
	}
	return plan, nil
}

// InterruptedError says a run was stopped and can be resumed from Dir.
type InterruptedError struct {
	Dir string
	Day int
	Err error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted after day %d; a checkpoint was written: resume with `nosedive resume %s`", e.Day, e.Dir)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Resume continues an unfinished run directory (left by an interrupted or
// killed run) from its newest valid checkpoint, or from the start when it
// has none, and commits it. warn receives skipped (damaged) checkpoints.
//
// Everything read is checked first (see store.ReadSpec and
// store.ReadCheckpoint): spec.json's fields and hash, the version that
// wrote it, and each checkpoint's file type, size, seed, version, scenario
// and spec hash. A mismatch is an *store.InvalidError naming the file and
// field; nothing is written.
func Resume(ctx context.Context, dir string, workers int, progress func(int, int), warn func(error)) (*Result, error) {
	ss, err := store.ReadSpec(dir)
	if err != nil {
		return nil, err
	}
	specFile := filepath.Join(dir, store.SpecFile)
	if ss.Version != Version {
		return nil, &store.InvalidError{File: specFile, Field: "version",
			Msg: fmt.Sprintf("the run was started by nosedive %q, this is %q: finish it with the version that started it", ss.Version, Version)}
	}
	if workers < 0 || workers > 1024 {
		return nil, fmt.Errorf("resume: workers must be between 0 (all cores) and 1024, got %d", workers)
	}
	sc, err := scenario.Load(ss.ScenarioFile, []byte(ss.ScenarioText), ss.Sets)
	if err != nil {
		return nil, fmt.Errorf("%s: the stored scenario does not validate: %w", specFile, err)
	}
	if h := scenario.Hash(sc.Source, ss.Sets); h != ss.ScenarioSHA256 {
		return nil, &store.InvalidError{File: specFile, Field: "scenario_sha256", Msg: "does not match the stored scenario text and overrides"}
	}
	if d := sc.Network.Degree; sc.Network.Model != "none" && ss.Agents <= d {
		return nil, &store.InvalidError{File: specFile, Field: "agents", Msg: fmt.Sprintf("%d is too few for network.degree %d", ss.Agents, d)}
	}
	spec := Spec{Scenario: sc, Sets: ss.Sets, Name: ss.Name, Agents: ss.Agents, Days: ss.Days, Seed: ss.Seed, Workers: workers,
		Ledger: ss.Ledger, OutDir: filepath.Dir(dir), ID: ss.ID, CheckpointEvery: ss.CheckpointEvery, Progress: progress}
	plan, err := checkMemory(sc, spec)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(filepath.Join(spec.OutDir, ss.ID)); err == nil {
		return nil, fmt.Errorf("run %s already exists in %s", ss.ID, spec.OutDir)
	}
	// A checkpoint is read whole: it must fit in the memory the run has.
	limit := int64(store.DefaultMaxCheckpointBytes)
	if plan.limit.Bytes > 0 {
		limit = int64(min(plan.limit.Bytes, 1<<62))
	}
	ckpt, err := store.LatestCheckpoint(dir, ss, limit, warn)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	softMemoryLimit(plan.limit)
	w := store.Resume(dir, spec.OutDir, ss.ID)
	w.Keep() // a failed resume can be tried again
	return execute(ctx, spec, ss, w, ckpt, plan, time.Now)
}

// newEngine is sim.New, returning ctx.Err() as soon as ctx is done. The
// engine's setup (allocating and initialising its state: about 0.4 us per
// agent, seconds for a large run) does not read the context itself, so it
// runs on a goroutine of its own which, on a cancellation, is left to
// finish and be collected while the run returns.
func newEngine(ctx context.Context, sc *scenario.Scenario, prog *scenario.Program, pop *population.Population, days int, seed uint64, opts sim.Options) (*sim.Engine, error) {
	done := make(chan *sim.Engine, 1)
	go func() { done <- sim.New(sc, prog, pop, days, seed, opts) }()
	select {
	case eng := <-done:
		return eng, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// validOutputs checks a checkpoint's collected outputs against the run
// before they are used: consecutive days with cells of the scenario's
// shape, ledger entries naming agents, rules and days of the run. (The
// checksum finds damage; this refuses a well-formed checkpoint whose
// contents would make the writer index out of range.)
func validOutputs(c *store.Checkpoint, eng *sim.Engine, sc *scenario.Scenario, spec Spec) error {
	bad := func(field, format string, args ...any) error {
		return &store.InvalidError{File: c.Path, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if eng.Day() != c.Day {
		return bad("day", "the header says day %d, the engine state day %d", c.Day, eng.Day())
	}
	s := sc.Schema()
	days := c.Days()
	if len(days) > c.Day+1 {
		return bad("days", "%d daily records for day %d", len(days), c.Day)
	}
	nb := len(sc.Behaviours)
	for k, d := range days {
		if d == nil || d.Day != k {
			return bad("days", "record %d is not day %d", k, k)
		}
		for _, cell := range d.Cells {
			if int(cell.Region) >= len(s.Regions) || int(cell.Group) >= len(s.Groups) ||
				len(cell.Tier) != len(s.Tiers) || len(cell.Sanction) != len(s.Sanctions) || len(cell.Flag) != len(s.Flags) ||
				len(cell.Attempted) != nb || len(cell.Detected) != nb || len(cell.Blocked) != nb {
				return bad("days", "day %d has a cell of another scenario's shape", k)
			}
		}
	}
	nc := len(eng.ContribNames())
	for k, e := range c.Ledger() {
		if e.Agent < 0 || int(e.Agent) >= spec.Agents || e.Rule < 0 || int(e.Rule) >= nc || e.Day < 1 || int(e.Day) > c.Day {
			return bad("ledger", "entry %d (day %d, agent %d, rule %d) is out of range", k, e.Day, e.Agent, e.Rule)
		}
	}
	return nil
}

// execute runs (or continues) the day loop into w and commits the run.
func execute(ctx context.Context, spec Spec, ss *store.Spec, w *store.RunWriter, ckpt *store.Checkpoint, plan memoryPlan, now func() time.Time) (*Result, error) {
	x := &execution{ctx: ctx, spec: spec, ss: ss, w: w, plan: plan, checkpointed: ckpt != nil}
	prog, err := spec.Scenario.Compile()
	if err != nil {
		return nil, err
	}
	x.limitOutputs()
	t0 := now()
	pop, err := generate(ctx, spec.Scenario, prog, spec.Agents, spec.Seed)
	if err != nil {
		return nil, err
	}
	releaseSetupMemory()
	if err := x.startEngine(prog, pop); err != nil {
		return nil, err
	}
	tw := &tee{Sink: w, onDay: spec.OnDay}
	if ckpt != nil {
		if err := x.restore(ckpt, tw); err != nil {
			return nil, err
		}
	}
	t1 := now()
	if err := x.eng.Run(ctx, tw); err != nil {
		return nil, x.runError(err)
	}
	t2 := now()
	if err := x.cancelled(); err != nil {
		return nil, err
	}
	m := x.manifest(prog, pop, store.Timings{Setup: t1.Sub(t0).Seconds(), Simulate: t2.Sub(t1).Seconds()})
	dir, err := x.commit(m, t2)
	if err != nil {
		return nil, err
	}
	return &Result{Dir: dir, Manifest: m, Final: x.eng.Final(), Last: tw.last, Totals: tw.totals}, nil
}

// execution is the state one call of execute shares between its steps.
type execution struct {
	ctx  context.Context
	spec Spec
	ss   *store.Spec
	w    *store.RunWriter
	plan memoryPlan
	eng  *sim.Engine // nil until startEngine
	// checkpointed: the run directory holds a checkpoint of this run
	// (the one resumed from, or one written since), so a failure keeps
	// it for nosedive resume.
	checkpointed bool
}

// limitOutputs caps the ledger and the trace the writer collects at what the memory plan allows.
func (x *execution) limitOutputs() {
	if x.plan.ledgerCap > 0 {
		x.w.SetLedgerLimit(int(min(x.plan.ledgerCap, math.MaxInt32*16)))
	}
	x.w.SetTraceLimit(traceLimit(x.plan))
}

// checkpoint writes a resumable checkpoint of the engine after day.
func (x *execution) checkpoint(day int) error {
	if err := x.w.Checkpoint(day, x.ss, x.eng.Snapshot); err != nil {
		return err
	}
	x.checkpointed = true
	return nil
}

// startEngine builds the engine, with a checkpoint every spec.CheckpointEvery days and after the last.
func (x *execution) startEngine(prog *scenario.Program, pop *population.Population) error {
	spec := x.spec
	ledger, _ := scenario.ParseLedger(spec.Ledger)
	opts := sim.Options{Workers: spec.Workers, Ledger: ledger, Progress: spec.Progress,
		NoRegime: spec.NoRegime, Disabled: spec.Disabled}
	if k := spec.CheckpointEvery; k > 0 {
		opts.AfterDay = func(day int) error {
			if day%k == 0 || day == spec.Days {
				return x.checkpoint(day)
			}
			return nil
		}
	}
	eng, err := newEngine(x.ctx, spec.Scenario, prog, pop, spec.Days, spec.Seed, opts)
	if err != nil {
		return err
	}
	x.eng = eng
	return nil
}

// restore continues from ckpt: the engine state, then the outputs
// collected so far (checked first), counted into tw.
func (x *execution) restore(ckpt *store.Checkpoint, tw *tee) error {
	if err := x.eng.Restore(bytes.NewReader(ckpt.Engine)); err != nil {
		return &store.InvalidError{File: ckpt.Path, Field: "engine", Msg: err.Error()}
	}
	if err := validOutputs(ckpt, x.eng, x.spec.Scenario, x.spec); err != nil {
		return err
	}
	x.w.RestoreOutputs(ckpt)
	for _, d := range x.w.CollectedDays() {
		tw.count(d)
	}
	return nil
}

// runError maps a failed day loop to the error execute returns, keeping
// the unfinished run when a checkpoint lets it be resumed: a ledger over
// its limit is a MemoryError, a cancellation with checkpoints on writes a
// final checkpoint and is an InterruptedError.
func (x *execution) runError(err error) error {
	w := x.w
	var ll *store.LedgerLimitError
	if errors.As(err, &ll) {
		me := &MemoryError{Have: x.plan.limit.Bytes, Agents: x.spec.Agents, Limit: x.plan.limit.Source, Rows: uint64(ll.Rows)}
		if x.checkpointed { // resumable where more memory is free
			w.Keep()
			me.Kept = w.Dir()
		}
		return me
	}
	if x.ctx.Err() != nil && x.spec.CheckpointEvery > 0 {
		if cerr := x.checkpoint(x.eng.Day()); cerr != nil {
			return fmt.Errorf("interrupted, and the final checkpoint failed: %w", cerr)
		}
		w.Keep()
		return &InterruptedError{Dir: w.Dir(), Day: x.eng.Day(), Err: x.ctx.Err()}
	}
	if x.checkpointed {
		// A failure (a full disk, say) must not cost the work already
		// checkpointed: keep the unfinished run for `nosedive resume`.
		w.Keep()
		return fmt.Errorf("%w (the run's last checkpoint is kept in %s: free the cause, then nosedive resume %s)", err, w.Dir(), w.Dir())
	}
	return err
}

// cancelled returns the context's error if the run was cancelled as its
// last day ended, keeping the run when its final checkpoint holds it.
func (x *execution) cancelled() error {
	if err := x.ctx.Err(); err != nil {
		if x.checkpointed { // the final checkpoint holds the whole run
			x.w.Keep()
			return &InterruptedError{Dir: x.w.Dir(), Day: x.eng.Day(), Err: err}
		}
		return err
	}
	return nil
}

// manifest describes the finished run: scenario, seed and size, the
// network and partners on day 0, names, timings and host.
func (x *execution) manifest(prog *scenario.Program, pop *population.Population, timings store.Timings) *store.Manifest {
	spec, sc := x.spec, x.spec.Scenario
	m := &store.Manifest{
		Name:  spec.Name,
		Build: Build(),
		Scenario: store.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File,
			SHA256: x.ss.ScenarioSHA256, Sets: spec.Sets, Text: string(sc.Source)},
		Seed: spec.Seed, Agents: spec.Agents, Days: spec.Days, Ledger: spec.Ledger,
		Graph:   graphInfo(sc, pop, spec.Agents),
		Names:   store.NamesOf(sc, x.eng.ContribNames()),
		Sweep:   spec.Sweep,
		Created: x.ss.Created,
		Timings: timings,
		Host: store.Host{Workers: x.eng.Workers(), Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
			OS: runtime.GOOS + "/" + runtime.GOARCH},
	}
	m.Describe(sc, prog)
	return m
}

// graphInfo measures the acquaintance network of pop (clustering and
// mixing on a sample) and counts the people partnered on day 0.
func graphInfo(sc *scenario.Scenario, pop *population.Population, agents int) store.GraphInfo {
	partnered := 0
	for _, p := range pop.Partner {
		if p >= 0 {
			partnered++
		}
	}
	const clusteringSample = 20000
	return store.GraphInfo{Model: sc.Network.Model, Edges: pop.Graph.Edges(), MeanDegree: pop.Graph.MeanDegree(),
		Clustering: pop.Graph.Clustering(clusteringSample), ClusteringSample: min(clusteringSample, agents),
		WithinGroup:          pop.Graph.ShareWithin(func(v int32) int { return int(pop.Group[v]) }, clusteringSample),
		WithinRegion:         pop.Graph.ShareWithin(func(v int32) int { return int(pop.Region[v]) }, clusteringSample),
		WithinGroupAndRegion: pop.Graph.ShareWithin(func(v int32) int { return int(pop.Region[v])<<8 | int(pop.Group[v]) }, clusteringSample),
		DegreeHistogram:      pop.Graph.DegreeHistogram(100),
		Partnered0:           partnered}
}

// commit writes the run directory (manifest m, final state, finished at
// t2); a failure keeps a checkpointed run for resume, never deletes it.
func (x *execution) commit(m *store.Manifest, t2 time.Time) (string, error) {
	w := x.w
	dir, err := w.Commit(x.ctx, m, x.eng.Final(), t2)
	if err != nil {
		if x.checkpointed {
			// The final checkpoint holds the whole run: a run interrupted
			// while writing, or whose name was taken meanwhile, is kept
			// for resume, never deleted.
			w.Keep()
			if x.ctx.Err() != nil {
				return "", &InterruptedError{Dir: w.Dir(), Day: x.eng.Day(), Err: x.ctx.Err()}
			}
			return "", fmt.Errorf("%w (the run's last checkpoint is kept in %s: nosedive resume %s)", err, w.Dir(), w.Dir())
		}
		return "", err
	}
	return dir, nil
}
