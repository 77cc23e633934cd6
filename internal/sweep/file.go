// Package sweep runs experiments: many runs of one scenario over a design
// of parameter values (grid, list, Latin hypercube, Morris trajectories,
// Sobol/Saltelli samples) times replicates, each run an ordinary run
// directory, with tidy Parquet result tables written one fragment per run.
//
// Goals: a sweep is a pure function of its file (same file -> byte-identical
// tables whatever the parallelism or sharding); memory stays bounded (one
// run per job, nothing accumulated); an interrupted or killed sweep resumes
// where it stopped; a failed run is recorded and the sweep goes on; the same
// sweep spreads over a cluster as deterministic shards that share storage.
// Non-goals: scheduling (Slurm and Kubernetes do that) and analysis beyond
// per-point means (see internal/sensitivity and `nosedive sql`).
//
// docs/experiments.md describes the sweep file and the directory layout.
package sweep

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// MaxFileSize bounds a sweep file: its byte budget. The loader's other
// budgets (depth, nodes, keys, line length) are internal/yamlfile's, the
// same as a scenario's.
const MaxFileSize = 1 << 20

// sweepFormat is what internal/yamlfile knows of a sweep file. Tags,
// anchors and aliases have no use in one, so it refuses them.
var sweepFormat = yamlfile.Format{Name: "sweep", MaxSize: MaxFileSize, Plain: true}

// MaxRuns bounds points x replicates, to catch a typo before it starts a
// year of computing.
const MaxRuns = 1_000_000

// Design types.
const (
	Grid   = "grid"
	List   = "list"
	LHS    = "lhs"
	Morris = "morris"
	Sobol  = "sobol"
)

// Keepable run files beyond daily.parquet, run.json and audit.json.
const (
	KeepAgents = "agents"
	KeepLedger = "ledger"
)

// file is the sweep file as written; see docs/experiments.md. It is
// decoded by yamlfile.Decoder (its keys are the yaml tags); the values of
// a parameter and the points of a list design stay nodes, checked here
// with their positions.
type file struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Scenario    string      `yaml:"scenario"`
	Agents      int         `yaml:"agents"`
	Days        int         `yaml:"days"`
	Seed        *uint64     `yaml:"seed"`
	Replicates  int         `yaml:"replicates"`
	CRN         *bool       `yaml:"common_random_numbers"`
	Set         []string    `yaml:"set"`
	Parameters  []parameter `yaml:"parameters"`
	Design      design      `yaml:"design"`
	Keep        []string    `yaml:"keep"`
	Metrics     []string    `yaml:"metrics"`
}

type parameter struct {
	Path    string           `yaml:"path"`
	Also    []string         `yaml:"also"`
	Values  []*yamlfile.Node `yaml:"values"`
	Min     *float64         `yaml:"min"`
	Max     *float64         `yaml:"max"`
	Integer bool             `yaml:"integer"`
}

type design struct {
	Type         string           `yaml:"type"`
	Samples      int              `yaml:"samples"`
	Trajectories int              `yaml:"trajectories"`
	Levels       int              `yaml:"levels"`
	Seed         uint64           `yaml:"seed"`
	Points       []*yamlfile.Node `yaml:"points"`
}

// Param is one varied parameter of a sweep.
type Param struct {
	Path string   `json:"path"`
	Also []string `json:"also,omitempty"` // further paths that receive the same value
	// Values are the levels of a categorical parameter (or of a grid or
	// list); Min and Max bound a continuous one (lhs, morris, sobol).
	Values  []string `json:"values,omitempty"`
	Min     float64  `json:"min,omitempty"`
	Max     float64  `json:"max,omitempty"`
	Integer bool     `json:"integer,omitempty"`
	// Numeric says the tidy tables hold the parameter as a double.
	Numeric bool `json:"numeric"`
}

// Continuous reports whether values come from [Min, Max].
func (p *Param) Continuous() bool { return len(p.Values) == 0 }

// Design says how points are chosen.
type Design struct {
	Type         string `json:"type"`
	Samples      int    `json:"samples,omitempty"`      // lhs N, sobol N
	Trajectories int    `json:"trajectories,omitempty"` // morris r
	Levels       int    `json:"levels,omitempty"`       // morris p
	Seed         uint64 `json:"seed"`
}

// Sweep is a validated sweep file with its scenario.
type Sweep struct {
	File         string   `json:"file"`
	Text         string   `json:"text"`
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	Scenario     string   `json:"scenario"`
	ScenarioFile string   `json:"scenario_file"`
	ScenarioText string   `json:"scenario_text"`
	Agents       int      `json:"agents"`
	Days         int      `json:"days"`
	Seed         uint64   `json:"seed"`
	Replicates   int      `json:"replicates"`
	CRN          bool     `json:"common_random_numbers"`
	Sets         []string `json:"set,omitempty"`
	Params       []Param  `json:"parameters"`
	Design       Design   `json:"design"`
	Keep         []string `json:"keep,omitempty"`
	Metrics      []string `json:"metrics,omitempty"`
	Points       []Point  `json:"points"`
}

// Point is one design point: a value per parameter (in the order of
// Params) and, for lhs, morris and sobol designs, its unit-cube coordinates.
type Point struct {
	Index int `json:"point"`
	// Values are as the tables hold them; "" is a list point's ~ (the
	// scenario's own value, NULL in the tables).
	Values []string  `json:"values"`
	Unit   []float64 `json:"unit,omitempty"`
}

// Runs is the number of runs: points x replicates.
func (s *Sweep) Runs() int { return len(s.Points) * s.Replicates }

// Sets returns the --set overrides of a point: the sweep's fixed sets, then
// each parameter's value on its path and its also-paths. A value "" (a
// list point's ~) sets nothing: the point keeps the scenario's value.
func (s *Sweep) PointSets(p int) []string {
	sets := slices.Clone(s.Sets)
	for k, par := range s.Params {
		v := s.Points[p].Values[k]
		if v == "" {
			continue
		}
		sets = append(sets, par.Path+"="+v)
		for _, a := range par.Also {
			sets = append(sets, a+"="+v)
		}
	}
	return sets
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// loader collects positioned diagnostics for one sweep file.
type loader struct {
	d    *yamlfile.Diags
	pos  yamlfile.Positions // where each key path was given
	root yamlfile.Pos       // where the file's mapping starts
}

// at returns where a key path ("design.type", "parameters[1].values[0]",
// "" for the whole file) was given, or no position when it was not.
func (l *loader) at(path string) scenario.Pos {
	if path == "" {
		return l.root
	}
	return l.pos[path]
}

func (l *loader) add(path, format string, args ...any) {
	l.d.Add(l.at(path), format, args...)
}

// ReadFile reads and loads a sweep file.
func ReadFile(path string) (*Sweep, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, scenario.Errors{{File: path, Msg: "cannot read: " + pathErr(err)}}
	}
	if st.IsDir() {
		return nil, scenario.Errors{{File: path, Msg: "is a directory, not a sweep file"}}
	}
	if st.Size() > MaxFileSize {
		return nil, scenario.Errors{{File: path, Msg: fmt.Sprintf("file is %d bytes; sweep files are limited to %d", st.Size(), MaxFileSize)}}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, scenario.Errors{{File: path, Msg: "cannot read: " + pathErr(err)}}
	}
	return Load(path, src, filepath.Dir(path))
}

func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load decodes and validates a sweep file: the scenario it names (a
// built-in or a path relative to baseDir), every parameter path (by
// loading the scenario with each point's overrides, as `run --set` would)
// and the design. Problems come back together as scenario.Errors with
// positions in the sweep file.
func Load(fileName string, src []byte, baseDir string) (*Sweep, error) {
	// The one path of every YAML file a person writes: budgets, the
	// positioned tree and the strict decoder, with a scenario's diagnostics.
	src = yamlfile.TrimBOM(src)
	d := &yamlfile.Diags{File: fileName, Src: src}
	tree := yamlfile.Parse(sweepFormat, d)
	if tree == nil {
		return nil, d.Err()
	}
	l := &loader{d: d, pos: yamlfile.Positions{}, root: tree.Pos}
	var raw file
	(&yamlfile.Decoder{Diags: d, Root: "sweep", Pos: l.pos}).Decode(tree, &raw)
	if err := d.Err(); err != nil {
		return nil, err
	}
	s := &Sweep{File: fileName, Text: string(src), Name: raw.Name, Description: raw.Description,
		Scenario: raw.Scenario, Replicates: raw.Replicates, CRN: raw.CRN == nil || *raw.CRN, Sets: raw.Set}
	switch {
	case raw.Name == "":
		l.add("", "name is required (it names the sweep directory)")
	case !nameRe.MatchString(raw.Name) || len(raw.Name) > 100:
		l.add("name", "name %q must be letters, digits, '_', '-' or '.', starting with a letter or digit", raw.Name)
	}
	if raw.Replicates == 0 {
		s.Replicates = 1
	} else if raw.Replicates < 0 || raw.Replicates > 10000 {
		l.add("replicates", "replicates must be between 1 and 10000, got %d", raw.Replicates)
	}
	// The scenario.
	var sc *scenario.Scenario
	if raw.Scenario == "" {
		l.add("", "scenario is required: a built-in name or a scenario file")
	} else {
		file, text, err := readScenario(raw.Scenario, baseDir)
		if err != nil {
			l.add("scenario", "%v", err)
		} else {
			s.ScenarioFile, s.ScenarioText = file, string(text)
			sc, err = scenario.Load(file, text, raw.Set)
			if err != nil {
				l.add("set", "the scenario with the sweep's fixed set overrides does not validate:\n%v", err)
				sc = nil
			}
		}
	}
	if sc != nil {
		s.Agents, s.Days, s.Seed = sc.Run.Agents, sc.Run.Days, sc.Run.Seed
		if raw.Agents != 0 {
			if raw.Agents < 2 || raw.Agents > scenario.MaxAgents {
				l.add("agents", "agents must be between 2 and %d, got %d", scenario.MaxAgents, raw.Agents)
			} else if d := sc.Network.Degree; sc.Network.Model != "none" && raw.Agents <= d {
				l.add("agents", "agents %d is too few for network.degree %d", raw.Agents, d)
			}
			s.Agents = raw.Agents
		}
		if raw.Days != 0 {
			if raw.Days < 1 || raw.Days > scenario.MaxDays {
				l.add("days", "days must be between 1 and %d, got %d", scenario.MaxDays, raw.Days)
			}
			s.Days = raw.Days
		}
	}
	if raw.Seed != nil {
		s.Seed = *raw.Seed
	}
	for i, k := range raw.Keep {
		if k != KeepAgents && k != KeepLedger {
			l.add(fmt.Sprintf("keep[%d]", i), "keep: %q is not a run file a sweep can keep; choose from agents, ledger (daily.parquet and audit.json are always kept)%s", k, rule.Suggest(k, []string{KeepAgents, KeepLedger}))
		}
	}
	s.Keep = raw.Keep
	known := AuditMetrics
	if sc != nil {
		known = append(slices.Clone(AuditMetrics), institutionMetrics(sc)...)
	}
	for i, m := range raw.Metrics {
		if !slices.Contains(known, m) {
			l.add(fmt.Sprintf("metrics[%d]", i), "metrics: unknown audit metric %q%s; see docs/experiments.md", m, rule.Suggest(m, known))
		}
	}
	s.Metrics = raw.Metrics
	l.params(s, &raw)
	l.design(s, &raw)
	if d.Len() == 0 {
		l.points(s, &raw)
	}
	if d.Len() == 0 && s.Runs() > MaxRuns {
		l.add("design", "the sweep has %d points x %d replicates = %d runs; the limit is %d", len(s.Points), s.Replicates, s.Runs(), MaxRuns)
	}
	if d.Len() == 0 && sc != nil {
		l.validatePoints(s, &raw)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// readScenario resolves a built-in name or a file relative to baseDir.
func readScenario(name, baseDir string) (string, []byte, error) {
	if src, err := scenario.BuiltinSource(name); err == nil {
		return name + ".yaml", src, nil
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if !strings.ContainsAny(name, "/.") {
			_, nf := scenario.BuiltinSource(name)
			return "", nil, nf
		}
		return "", nil, fmt.Errorf("scenario %q: cannot read %s: %s", name, path, pathErr(err))
	}
	if len(src) > scenario.MaxFileSize {
		return "", nil, fmt.Errorf("scenario %q is %d bytes; scenario files are limited to %d", name, len(src), scenario.MaxFileSize)
	}
	return path, src, nil
}

// valueText is the text a parameter value is set as (and stored in the
// tidy tables as): a string as written, a boolean as true or false, a
// number in Go's shortest form (0x10 is 16, 1.50 is 1.5, .inf is +Inf, as
// the decoder before internal/yamlfile wrote them). A list, a mapping or
// nothing is not a value.
func valueText(n *yamlfile.Node) (string, bool) {
	if n == nil || n.Kind != yamlfile.KindScalar {
		return "", false
	}
	switch n.Type {
	case yamlfile.TypeInt:
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 0, 64); err == nil {
			return strconv.FormatUint(u, 10), true
		}
	case yamlfile.TypeFloat:
		if f, err := yamlfile.ParseFloat(n.Value); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64), true
		}
	}
	return n.Value, true
}

func isNumber(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func (l *loader) params(s *Sweep, raw *file) {
	if len(raw.Parameters) == 0 {
		l.add("", "parameters is required: at least one dotted path to vary")
		return
	}
	seen := map[string]bool{}
	for i, p := range raw.Parameters {
		at := fmt.Sprintf("parameters[%d]", i)
		par := Param{Path: p.Path, Also: p.Also, Integer: p.Integer}
		if p.Path == "" {
			l.add(at, "a parameter needs a path (the dotted path `run --set` takes)")
		}
		for j, path := range append([]string{p.Path}, p.Also...) {
			if path != "" && seen[path] {
				where := at + ".path"
				if j > 0 {
					where = fmt.Sprintf("%s.also[%d]", at, j-1)
				}
				l.add(where, "path %s is varied twice", path)
			}
			seen[path] = true
		}
		for j, v := range p.Values {
			str, ok := valueText(v)
			if !ok || str == "" || strings.ContainsAny(str, "\n=") {
				l.add(fmt.Sprintf("%s.values[%d]", at, j), "a value must be a single number, word or string")
				continue
			}
			if slices.Contains(par.Values, str) {
				l.add(fmt.Sprintf("%s.values[%d]", at, j), "value %s is listed twice", str)
			}
			par.Values = append(par.Values, str)
		}
		continuous := p.Min != nil || p.Max != nil
		switch {
		case continuous && len(p.Values) > 0:
			l.add(at, "give either values or min and max, not both")
		case continuous && (p.Min == nil || p.Max == nil):
			l.add(at, "a continuous parameter needs both min and max")
		case continuous && !(*p.Min < *p.Max):
			l.add(at+".max", "max must be greater than min")
		case continuous:
			par.Min, par.Max, par.Numeric = *p.Min, *p.Max, true
		}
		if p.Integer && !continuous {
			l.add(at+".integer", "integer applies to min/max parameters only")
		}
		if !continuous {
			par.Numeric = len(par.Values) > 0
			for _, v := range par.Values {
				par.Numeric = par.Numeric && isNumber(v)
			}
		}
		s.Params = append(s.Params, par)
	}
}

func (l *loader) design(s *Sweep, raw *file) {
	d := raw.Design
	s.Design = Design{Type: d.Type, Seed: d.Seed}
	if d.Type == "" {
		s.Design.Type = Grid
		if len(d.Points) > 0 {
			s.Design.Type = List
		}
	}
	known := []string{Grid, List, LHS, Morris, Sobol}
	if !slices.Contains(known, s.Design.Type) {
		l.add("design.type", "design type %q is not one of %s%s", d.Type, strings.Join(known, ", "), rule.Suggest(d.Type, known))
		return
	}
	if d.Samples != 0 && s.Design.Type != LHS && s.Design.Type != Sobol {
		l.add("design.samples", "samples applies to lhs and sobol designs")
	}
	if (d.Trajectories != 0 || d.Levels != 0) && s.Design.Type != Morris {
		l.add("design", "trajectories and levels apply to morris designs")
	}
	if len(d.Points) > 0 && s.Design.Type != List {
		l.add("design.points", "points apply to list designs")
	}
	switch s.Design.Type {
	case Grid, List:
		for i, p := range s.Params {
			if p.Continuous() && s.Design.Type == Grid {
				l.add(fmt.Sprintf("parameters[%d]", i), "a grid design needs values for %s (min and max are for lhs, morris and sobol)", p.Path)
			}
			if p.Continuous() && s.Design.Type == List && (raw.Parameters[i].Min != nil || raw.Parameters[i].Max != nil) {
				l.add(fmt.Sprintf("parameters[%d]", i), "a list design takes its values from design.points, not min and max")
			}
		}
		if s.Design.Type == List && len(d.Points) == 0 {
			l.add("design", "a list design needs points: one mapping of path: value per point")
		}
	case LHS:
		s.Design.Samples = d.Samples
		if d.Samples < 2 || d.Samples > MaxRuns {
			l.add("design.samples", "an lhs design needs samples between 2 and %d", MaxRuns)
		}
	case Sobol:
		s.Design.Samples = d.Samples
		if d.Samples < 2 || d.Samples > 1<<20 || d.Samples&(d.Samples-1) != 0 {
			l.add("design.samples", "a sobol design needs samples N, a power of two between 2 and 1048576 (got %d); it runs N x (parameters + 2) points", d.Samples)
		}
		if 2*len(s.Params) > SobolMaxDim {
			l.add("parameters", "a sobol design handles at most %d parameters", SobolMaxDim/2)
		}
	case Morris:
		s.Design.Trajectories, s.Design.Levels = d.Trajectories, d.Levels
		if d.Levels == 0 {
			s.Design.Levels = 4
		}
		if d.Trajectories < 2 || d.Trajectories > 10000 {
			l.add("design.trajectories", "a morris design needs trajectories between 2 and 10000")
		}
		if s.Design.Levels < 2 || s.Design.Levels%2 != 0 || s.Design.Levels > 100 {
			l.add("design.levels", "morris levels must be an even number between 2 and 100, got %d", s.Design.Levels)
		}
	}
}

// validatePoints loads the scenario with every point's overrides, so that an
// unknown path or a value out of range is reported before any run starts,
// at the parameter (or list point) that causes it.
func (l *loader) validatePoints(s *Sweep, raw *file) {
	reported := map[int]bool{}
	for _, p := range pointsToValidate(s) {
		if _, err := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), s.PointSets(p)); err != nil {
			// Blame the first parameter whose value alone fails.
			blamed := false
			for k, par := range s.Params {
				if reported[k] {
					blamed = true
					continue
				}
				one := slices.Clone(s.Sets)
				v := s.Points[p].Values[k]
				if v == "" {
					continue // left as the scenario has it
				}
				for _, path := range append([]string{par.Path}, par.Also...) {
					one = append(one, path+"="+v)
				}
				if _, err1 := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), one); err1 != nil {
					// A --set problem has no position in the scenario: the
					// path is wrong. Otherwise the value is.
					at := fmt.Sprintf("parameters[%d].path", k)
					if j := slices.Index(par.Values, v); !pathProblem(err1) && j >= 0 && len(raw.Parameters[k].Values) > j {
						at = fmt.Sprintf("parameters[%d].values[%d]", k, j)
					} else if !pathProblem(err1) && s.Design.Type == List {
						at = fmt.Sprintf("design.points[%d]", p)
					}
					for a, path := range par.Also {
						if strings.Contains(err1.Error(), "--set "+path+":") {
							at = fmt.Sprintf("parameters[%d].also[%d]", k, a)
						}
					}
					l.add(at, "%s=%s does not apply to scenario %s: %s", par.Path, v, s.Scenario, oneLine(err1))
					reported[k], blamed = true, true
					break
				}
			}
			if !blamed {
				l.add("design", "point %d (%s) does not validate: %s", p, strings.Join(s.PointSets(p), " "), oneLine(err))
				return
			}
			if l.d.Len() >= 10 {
				return
			}
		}
	}
}

// maxValidated bounds the points loaded up front. Larger designs are
// checked on a sample that still holds every distinct value and the
// extremes of each parameter; a point outside it that fails becomes a
// failed run.
const maxValidated = 256

func pointsToValidate(s *Sweep) []int {
	n := len(s.Points)
	if n <= maxValidated {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	pick := map[int]bool{}
	for i := range maxValidated / 2 {
		pick[i] = true
	}
	for k := range s.Params {
		seen := map[string]bool{}
		lo, hi := 0, 0
		for i, p := range s.Points {
			if v := p.Values[k]; !seen[v] && len(seen) < maxValidated/2 {
				seen[v] = true
				if !s.Params[k].Continuous() {
					pick[i] = true
				}
			}
			if p.Unit != nil {
				if p.Unit[k] < s.Points[lo].Unit[k] {
					lo = i
				}
				if p.Unit[k] > s.Points[hi].Unit[k] {
					hi = i
				}
			}
		}
		pick[lo], pick[hi] = true, true
	}
	out := make([]int, 0, len(pick))
	for i := range pick {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// pathProblem reports whether a scenario error comes from the --set path
// itself (such errors carry no position in the scenario file).
func pathProblem(err error) bool {
	var se scenario.Errors
	if errors.As(err, &se) {
		for _, d := range se {
			if d.Line == 0 || strings.HasPrefix(d.Msg, "--set") {
				return true
			}
		}
	}
	return false
}

func oneLine(err error) string {
	var se scenario.Errors
	if errors.As(err, &se) {
		msgs := make([]string, len(se))
		for i, d := range se {
			msgs[i] = d.Msg
			if d.Line > 0 {
				msgs[i] = fmt.Sprintf("%s (scenario line %d)", d.Msg, d.Line)
			}
		}
		return strings.Join(msgs, "; ")
	}
	return err.Error()
}
