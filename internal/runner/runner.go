// Package runner executes one run end to end: it generates the population,
// steps the engine through every day and commits the run directory. It is
// the one place that wires scenario, population, sim and store together, so
// that the CLI, sweeps and the web lab run scenarios the same way.
package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/nosedive-lab/nosedive/internal/buildinfo"
	"github.com/nosedive-lab/nosedive/internal/metrics"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Version is the nosedive version written into every run, audit and sweep.
// It comes from the build information (internal/buildinfo: the module
// version, a pseudo-version of the commit, or "devel"); a release build may
// set it with -ldflags "-X .../internal/runner.Version=v1.2.3".
var Version string

func init() {
	if Version == "" {
		Version = buildinfo.Read().Version()
	}
}

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
	Agents   int
	Days     int
	Seed     uint64
	Workers  int
	Ledger   string
	OutDir   string
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
	OnDay func(*metrics.Day)
	// NoRegime and Disabled make a counterfactual twin (see sim.Options).
	NoRegime bool
	Disabled []string
	// Sweep, when set, is recorded in run.json: the run belongs to a sweep.
	Sweep *store.SweepInfo
}

// Result is a finished run.
type Result struct {
	Dir      string
	Manifest *store.Manifest
	Final    *sim.Final
	// Last is the final day's aggregates; Totals sums events over all days.
	Last   *metrics.Day
	Totals Totals
}

// Totals are event counts per behaviour summed over the run.
type Totals struct {
	Attempted, Detected, Blocked []int64
}

// tee records the last day and event totals on the way to the real sink.
type tee struct {
	sim.Sink
	last   *metrics.Day
	totals Totals
	onDay  func(*metrics.Day)
}

func (t *tee) Day(d *metrics.Day) error {
	t.count(d)
	if err := t.Sink.Day(d); err != nil {
		return err
	}
	if t.onDay != nil {
		t.onDay(d)
	}
	return nil
}

func (t *tee) count(d *metrics.Day) {
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

// MemoryError says a run would not fit in memory.
type MemoryError struct {
	Need, Have uint64
	Agents     int
	Ledger     uint64 // bytes of it for the ledger
}

func (e *MemoryError) Error() string {
	hint := "use fewer --agents"
	if e.Ledger > e.Need/2 {
		hint = fmt.Sprintf("%s of it is the --ledger; record a smaller sample (e.g. --ledger sample:0.01)", human(e.Ledger))
	}
	return fmt.Sprintf("a run of %d agents needs about %s of memory, but only %s is available; %s",
		e.Agents, human(e.Need), human(e.Have), hint)
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
func generate(sc *scenario.Scenario, prog *scenario.Program, agents int, seed uint64) *population.Population {
	return population.GenerateWith(sc, agents, seed, population.Options{CompactGraph: !prog.Refs().Acq})
}

// EstimateMemory returns the bytes a run needs at peak: population, engine
// state, graph (with its construction buffers) and per-agent contributions.
func EstimateMemory(sc *scenario.Scenario, agents int) uint64 {
	n := uint64(agents)
	deg := uint64(sc.Network.Degree)
	if sc.Network.Model == "none" {
		deg = 0
	}
	perAgent := uint64(population.BytesPerAgent) + sim.BytesPerAgent(len(sc.Scoring.Rules), len(sc.Behaviours))
	graph := n*8 + n*deg*4 /* CSR */ + n*deg/2*8 /* edge list while building */ + n*8 /* fill counters */
	return n*perAgent + graph + 64<<20
}

// Execute runs a spec. On error or cancellation nothing is left in OutDir,
// except that with CheckpointEvery > 0 an interrupted run keeps its
// unfinished directory (with a final checkpoint) for `nosedive resume`.
func Execute(ctx context.Context, spec Spec) (*Result, error) {
	now := time.Now
	if spec.Now != nil {
		now = spec.Now
	}
	sc := spec.Scenario
	if _, err := scenario.ParseLedger(spec.Ledger); err != nil {
		return nil, err
	}
	if err := checkMemory(sc, spec); err != nil {
		return nil, err
	}
	softMemoryLimit()
	t0 := now()
	id := spec.ID
	if id == "" {
		id = store.NewID(spec.OutDir, sc.Name, spec.Seed, t0)
	}
	w, err := store.Create(spec.OutDir, id)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	ss := &store.Spec{ID: id, ScenarioFile: sc.File, ScenarioText: string(sc.Source), ScenarioSHA256: scenario.Hash(sc.Source, spec.Sets),
		Sets: spec.Sets, Agents: spec.Agents, Days: spec.Days, Seed: spec.Seed, Ledger: spec.Ledger,
		CheckpointEvery: spec.CheckpointEvery, Created: t0.UTC().Format(time.RFC3339)}
	if !spec.NoRegime && len(spec.Disabled) == 0 {
		if err := w.WriteSpec(ss); err != nil {
			return nil, err
		}
	}
	return execute(ctx, spec, ss, w, nil, now)
}

// LedgerEstimate returns the expected number of ledger entries of a run and
// their size in bytes in memory (the ledger is held until the run ends):
// people x days x fraction x (expected rule firings per person-day).
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
		if r.Every > 0 {
			perDay += 1 / float64(r.Every)
		}
	}
	if sc.Scoring.Recovery != nil {
		perDay++
	}
	entries = uint64(float64(agents) * float64(days) * l.Fraction * perDay)
	return entries, entries * 12
}

func checkMemory(sc *scenario.Scenario, spec Spec) error {
	_, ledgerBytes := LedgerEstimate(sc, spec.Agents, spec.Days, spec.Ledger)
	need := EstimateMemory(sc, spec.Agents) + ledgerBytes
	have := availableMemory()
	if spec.MaxMemory > 0 && (have == 0 || spec.MaxMemory < have) {
		have = spec.MaxMemory
	}
	if have > 0 && need > have {
		return &MemoryError{Need: need, Have: have, Agents: spec.Agents, Ledger: ledgerBytes}
	}
	return nil
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
// has none, and commits it. warn receives skipped checkpoints.
func Resume(ctx context.Context, dir string, workers int, progress func(int, int), warn func(error)) (*Result, error) {
	softMemoryLimit()
	ss, err := store.ReadSpec(dir)
	if err != nil {
		return nil, err
	}
	sc, err := scenario.Load(ss.ScenarioFile, []byte(ss.ScenarioText), ss.Sets)
	if err != nil {
		return nil, fmt.Errorf("%s: the stored scenario does not validate: %w", dir, err)
	}
	if h := scenario.Hash(sc.Source, ss.Sets); h != ss.ScenarioSHA256 {
		return nil, fmt.Errorf("%s: %s does not match its scenario hash", dir, store.SpecFile)
	}
	spec := Spec{Scenario: sc, Sets: ss.Sets, Agents: ss.Agents, Days: ss.Days, Seed: ss.Seed, Workers: workers,
		Ledger: ss.Ledger, OutDir: filepath.Dir(dir), ID: ss.ID, CheckpointEvery: ss.CheckpointEvery, Progress: progress}
	if err := checkMemory(sc, spec); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(spec.OutDir, ss.ID)); err == nil {
		return nil, fmt.Errorf("run %s already exists in %s", ss.ID, spec.OutDir)
	}
	ckpt, err := store.LatestCheckpoint(dir, ss.ScenarioSHA256, warn)
	if err != nil {
		return nil, err
	}
	w := store.Resume(dir, spec.OutDir, ss.ID)
	w.Keep() // a failed resume can be tried again
	return execute(ctx, spec, ss, w, ckpt, time.Now)
}

// execute runs (or continues) the day loop into w and commits the run.
func execute(ctx context.Context, spec Spec, ss *store.Spec, w *store.RunWriter, ckpt *store.Checkpoint, now func() time.Time) (*Result, error) {
	sc := spec.Scenario
	ledger, _ := scenario.ParseLedger(spec.Ledger)
	prog, err := sc.Compile()
	if err != nil {
		return nil, err
	}
	t0 := now()
	pop := generate(sc, prog, spec.Agents, spec.Seed)
	releaseSetupMemory()
	var eng *sim.Engine
	checkpointed := ckpt != nil
	checkpoint := func(day int) error {
		if err := w.Checkpoint(day, ss.ScenarioSHA256, eng.Snapshot); err != nil {
			return err
		}
		checkpointed = true
		return nil
	}
	opts := sim.Options{Workers: spec.Workers, Ledger: ledger, Progress: spec.Progress,
		NoRegime: spec.NoRegime, Disabled: spec.Disabled}
	if k := spec.CheckpointEvery; k > 0 {
		opts.AfterDay = func(day int) error {
			if day%k == 0 || day == spec.Days {
				return checkpoint(day)
			}
			return nil
		}
	}
	eng = sim.New(sc, prog, pop, spec.Days, spec.Seed, opts)
	tw := &tee{Sink: w, onDay: spec.OnDay}
	if ckpt != nil {
		if err := eng.Restore(bytes.NewReader(ckpt.Engine)); err != nil {
			return nil, fmt.Errorf("%s: %w", ckpt.Path, err)
		}
		w.RestoreOutputs(ckpt)
		for _, d := range w.CollectedDays() {
			tw.count(d)
		}
	}
	t1 := now()
	if err := eng.Run(ctx, tw); err != nil {
		if ctx.Err() != nil && spec.CheckpointEvery > 0 {
			if cerr := checkpoint(eng.Day()); cerr != nil {
				return nil, fmt.Errorf("interrupted, and the final checkpoint failed: %w", cerr)
			}
			w.Keep()
			return nil, &InterruptedError{Dir: w.Dir(), Day: eng.Day(), Err: ctx.Err()}
		}
		if checkpointed {
			// A failure (a full disk, say) must not cost the work already
			// checkpointed: keep the unfinished run for `nosedive resume`.
			w.Keep()
			return nil, fmt.Errorf("%w (the run's last checkpoint is kept in %s: free the cause, then nosedive resume %s)", err, w.Dir(), w.Dir())
		}
		return nil, err
	}
	t2 := now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	partnered := 0
	for _, p := range pop.Partner {
		if p >= 0 {
			partnered++
		}
	}
	const clusteringSample = 20000
	m := &store.Manifest{
		Build: Build(),
		Scenario: store.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File,
			SHA256: ss.ScenarioSHA256, Sets: spec.Sets, Text: string(sc.Source)},
		Seed: spec.Seed, Agents: spec.Agents, Days: spec.Days, Ledger: spec.Ledger,
		Graph: store.GraphInfo{Model: sc.Network.Model, Edges: pop.Graph.Edges(), MeanDegree: pop.Graph.MeanDegree(),
			Clustering: pop.Graph.Clustering(clusteringSample), ClusteringSample: min(clusteringSample, spec.Agents),
			Partnered0: partnered},
		Names:   store.NamesOf(sc, eng.ContribNames()),
		Sweep:   spec.Sweep,
		Created: ss.Created,
		Timings: store.Timings{Setup: t1.Sub(t0).Seconds(), Simulate: t2.Sub(t1).Seconds()},
		Host: store.Host{Workers: eng.Workers(), Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
			OS: runtime.GOOS + "/" + runtime.GOARCH},
	}
	m.Describe(sc, prog)
	dir, err := w.Commit(m, eng.Final(), t2)
	if err != nil {
		return nil, err
	}
	return &Result{Dir: dir, Manifest: m, Final: eng.Final(), Last: tw.last, Totals: tw.totals}, nil
}
