package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Twins is the static setup shared by the counterfactual twins of one run:
// the scenario, its compiled program, the population (people,
// households, acquaintance graph) and the program's hoisted columns over
// it (sim.Static), built once and then only read. Each twin
// allocates and initialises its own engine state, runs its days in memory
// and is handed back whole; nothing is written to disk.
//
// A twin run through Twins gives exactly what a stand-alone run of the same
// scenario, size and seed with the same rules off gives (Execute with
// Spec.Disabled or Spec.NoRegime): the population is a pure function of
// scenario, size and seed, and the engine never writes it (partners it may
// change are its own copies; see sim.New). A test holds the two to the
// same figures.
//
// Run may be called from several goroutines at once.
type Twins struct {
	sc    *scenario.Scenario
	prog  *scenario.Program
	pop   *population.Population
	st    *sim.Static
	days  int
	seed  uint64
	rules []string
	base  store.Manifest // the manifest each twin's copy starts from
}

// NewTwins builds the shared setup for twins of the run described by m, on
// agents people (m.Agents when agents is 0).
func NewTwins(ctx context.Context, m *store.Manifest, agents int) (*Twins, error) {
	if agents == 0 {
		agents = m.Agents
	}
	sc, err := ScenarioOf(m)
	if err != nil {
		return nil, fmt.Errorf("rebuild scenario of %s: %w", m.ID, err)
	}
	spec := Spec{Scenario: sc, Agents: agents, Days: m.Days, Seed: m.Seed, Ledger: "none"}
	if _, err := checkMemory(sc, spec); err != nil {
		return nil, err
	}
	prog, err := sc.Compile()
	if err != nil {
		return nil, err
	}
	pop, err := generate(ctx, sc, prog, agents, m.Seed)
	if err != nil {
		return nil, err
	}
	t := &Twins{sc: sc, prog: prog, pop: pop, st: sim.NewStatic(prog, pop), days: m.Days, seed: m.Seed}
	for _, r := range sc.Scoring.Rules {
		t.rules = append(t.rules, r.Name)
	}
	// The names of the contribution columns come from an engine; they
	// depend on the scenario only, so one built on no days serves.
	names := sim.New(sc, prog, pop, 0, m.Seed, sim.Options{Workers: 1, Static: t.st}).ContribNames()
	t.base = store.Manifest{
		Build:    Build(),
		Scenario: m.Scenario,
		Seed:     m.Seed, Agents: agents, Days: m.Days, Ledger: "none",
		Names: store.NamesOf(sc, names),
	}
	t.base.Describe(sc, prog)
	return t, nil
}

// Rules are the names of the scenario's rules, in order.
func (t *Twins) Rules() []string { return t.rules }

// Agents is the number of people each twin simulates.
func (t *Twins) Agents() int { return t.pop.N }

// Days is the number of days each twin simulates.
func (t *Twins) Days() int { return t.days }

// TwinRun is one twin's outcome, in memory.
type TwinRun struct {
	// Manifest describes the twin as its run.json would (without graph
	// statistics, timings and files, which no audit figure reads).
	Manifest *store.Manifest
	Scenario *scenario.Scenario
	Pop      *population.Population // shared with every twin: read it, do not change it
	Final    *sim.Final
	Days     []*daily.Day
}

// TwinOptions say which twin to run and how.
type TwinOptions struct {
	// Disabled names the rules switched off; NoRegime switches off all
	// scoring (see sim.Options).
	Disabled []string
	NoRegime bool
	// Workers is the engine's worker count (0: all cores). Results do not
	// depend on it.
	Workers  int
	Progress func(day, days int)
}

// Run runs one twin.
func (t *Twins) Run(ctx context.Context, o TwinOptions) (*TwinRun, error) {
	for _, r := range o.Disabled {
		if !slices.Contains(t.rules, r) {
			return nil, &UnknownRuleError{Rule: r, Known: t.rules}
		}
	}
	eng, err := newEngine(ctx, t.sc, t.prog, t.pop, t.days, t.seed,
		sim.Options{Workers: o.Workers, NoRegime: o.NoRegime, Disabled: o.Disabled, Progress: o.Progress, Static: t.st})
	if err != nil {
		return nil, err
	}
	var sink daySink
	if err := eng.Run(ctx, &sink); err != nil {
		return nil, err
	}
	m := t.base
	m.ID = "twin"
	m.Host = store.Host{Workers: eng.Workers()}
	return &TwinRun{Manifest: &m, Scenario: t.sc, Pop: t.pop, Final: eng.Final(), Days: sink.days}, nil
}

// daySink keeps the days and drops the ledger (twins record none).
type daySink struct{ days []*daily.Day }

func (s *daySink) Day(d *daily.Day) error                   { s.days = append(s.days, d); return nil }
func (s *daySink) Ledger(entries []daily.LedgerEntry) error { return nil }
