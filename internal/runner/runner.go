// Package runner executes one run end to end: it generates the population,
// steps the engine through every day and commits the run directory. It is
// the one place that wires scenario, population, sim and store together, so
// that the CLI, sweeps and the web lab run scenarios the same way.
package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/nosedive-lab/nosedive/internal/metrics"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Version is the nosedive version written into every run; set at build time
// with -ldflags "-X .../internal/runner.Version=v1.2.3".
var Version = "dev"

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
	// NoRegime and Disabled make a counterfactual twin (see sim.Options).
	NoRegime bool
	Disabled []string
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
}

func (t *tee) Day(d *metrics.Day) error {
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
	return t.Sink.Day(d)
}

// MemoryError says a run would not fit in memory.
type MemoryError struct {
	Need, Have uint64
	Agents     int
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("a run of %d agents needs about %s of memory, but only %s is available; use fewer --agents",
		e.Agents, human(e.Need), human(e.Have))
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

// Execute runs a spec. On error or cancellation nothing is left in OutDir.
func Execute(ctx context.Context, spec Spec) (*Result, error) {
	now := time.Now
	if spec.Now != nil {
		now = spec.Now
	}
	sc := spec.Scenario
	ledger, err := scenario.ParseLedger(spec.Ledger)
	if err != nil {
		return nil, err
	}
	need := EstimateMemory(sc, spec.Agents)
	have := availableMemory()
	if spec.MaxMemory > 0 && (have == 0 || spec.MaxMemory < have) {
		have = spec.MaxMemory
	}
	if have > 0 && need > have {
		return nil, &MemoryError{Need: need, Have: have, Agents: spec.Agents}
	}
	prog, err := sc.Compile()
	if err != nil {
		return nil, err
	}
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

	pop := population.Generate(sc, spec.Agents, spec.Seed)
	eng := sim.New(sc, prog, pop, spec.Days, spec.Seed, sim.Options{Workers: spec.Workers, Ledger: ledger, Progress: spec.Progress,
		NoRegime: spec.NoRegime, Disabled: spec.Disabled})
	t1 := now()
	tw := &tee{Sink: w}
	if err := eng.Run(ctx, tw); err != nil {
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
		Version: Version,
		Scenario: store.ScenarioInfo{Name: sc.Name, Description: sc.Description, File: sc.File,
			SHA256: scenario.Hash(sc.Source, spec.Sets), Sets: spec.Sets, Text: string(sc.Source)},
		Seed: spec.Seed, Agents: spec.Agents, Days: spec.Days, Ledger: spec.Ledger,
		Graph: store.GraphInfo{Model: sc.Network.Model, Edges: pop.Graph.Edges(), MeanDegree: pop.Graph.MeanDegree(),
			Clustering: pop.Graph.Clustering(clusteringSample), ClusteringSample: min(clusteringSample, spec.Agents),
			Partnered0: partnered},
		Names:   store.NamesOf(sc, eng.ContribNames()),
		Created: t0.UTC().Format(time.RFC3339),
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

// ErrInterrupted wraps context cancellation for callers that print it.
var ErrInterrupted = errors.New("interrupted")
