package audit

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// InputError is bad input in the options a person gave a function of this
// package (the command line's flags, named in the message).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func badInput(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// AttributeDirOptions are the choices of AttributeDir, as `nosedive
// attribute` takes them.
type AttributeDirOptions struct {
	// Agents is the size of the twins (a replica of the run); 0 is the
	// run's own size.
	Agents int
	// Metrics are the figures attributed (CheckFigures); nil is
	// DefaultAttributed.
	Metrics []string
	// Pairs of antithetic permutations sampled, at least 2. Permutations,
	// when not 0, replaces it (half as many pairs, rounded up).
	Pairs, Permutations int
	// Exact and Sampled force the method (at most one of them).
	Exact, Sampled bool
	// Estimator names the estimator of sampled values ("kernel" or
	// "permutation"; "" is DefaultEstimator) and Twins is KernelSHAP's
	// budget of twin runs (0 is DefaultKernelTwins).
	Estimator string
	Twins     int
	// PairsSet, TwinsSet and EstimatorSet say which of --pairs (or
	// --permutations), --twins and --estimator were given: --pairs alone
	// asks for permutation pairs, and each budget belongs to its estimator.
	PairsSet, TwinsSet, EstimatorSet bool
	// Workers is how many twins run at once, 0 to 1024 (0: all cores).
	Workers int
	// Log receives the plan and the progress of the twin runs; nil is
	// none.
	Log io.Writer
}

// AttributeDir attributes the figures of the run in dir to its rules
// (Attribute over twins from runner.NewTwins that share one population,
// network and program), stores the attribution in dir's audit.json
// (computing a basic audit when there is none yet) and returns it. An
// option out of range is an *InputError, as is a run without rules.
func AttributeDir(ctx context.Context, dir string, o AttributeDirOptions) (*Attribution, error) {
	run, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	p, err := o.plan(run.Manifest, dir)
	if err != nil {
		return nil, err
	}
	at, err := p.attribute(ctx, run.Manifest, o)
	if err != nil {
		return nil, err
	}
	if err := storeAttribution(dir, run, at); err != nil {
		return nil, err
	}
	return at, nil
}

// attributePlan is what AttributeDir's options come to for one run.
type attributePlan struct {
	agents, workers int
	estimator       Estimator
	method          Method
	metrics, rules  []string
	log             io.Writer
}

// plan checks the options against the run in dir (manifest m), in the
// order the command line's errors are reported, and fills in defaults.
func (o *AttributeDirOptions) plan(m *store.Manifest, dir string) (attributePlan, error) {
	var p attributePlan
	p.agents = m.Agents
	if o.Agents != 0 {
		if o.Agents < 2 || o.Agents > m.Agents {
			return p, badInput("--agents must be between 2 and the run's %d", m.Agents)
		}
		p.agents = o.Agents
	}
	if o.Permutations != 0 {
		o.Pairs = (o.Permutations + 1) / 2
	}
	if o.Pairs < 2 {
		return p, badInput("--pairs must be at least 2")
	}
	if o.Exact && o.Sampled {
		return p, badInput("--exact and --sampled exclude each other")
	}
	estimator, err := o.chooseEstimator()
	if err != nil {
		return p, err
	}
	p.estimator = estimator
	if o.Workers < 0 || o.Workers > 1024 {
		return p, badInput("--workers must be between 0 (all cores) and 1024")
	}
	p.metrics = o.Metrics
	if len(p.metrics) == 0 {
		p.metrics = DefaultAttributed
	}
	if err := CheckFigures(m, p.metrics); err != nil {
		return p, badInput("--metric: %v", err)
	}
	for _, r := range m.Rules {
		p.rules = append(p.rules, r.Name)
	}
	if len(p.rules) == 0 {
		return p, badInput("%s: the scenario has no rules to attribute", dir)
	}
	n := len(p.rules)
	if min := KernelMinTwins(n); estimator == Kernel && !o.Exact && o.Twins < min {
		return p, badInput("--twins: KernelSHAP over %d rules needs at least %d twins (all rules, none, the %d without one rule, the %d with one and %d coalition pairs)",
			n, min, n, n, KernelMinPairs)
	}
	if o.Exact && n > ExactMaxRules {
		return p, badInput("--exact: %d rules would take 2^%d twin runs; exact values are computed for at most %d rules", n, n, ExactMaxRules)
	}
	p.log = o.Log
	if p.log == nil {
		p.log = io.Discard
	}
	p.workers = o.Workers
	if p.workers == 0 {
		p.workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Exact:
		p.method = Exact
	case o.Sampled:
		p.method = Sampled
	}
	return p, nil
}

// chooseEstimator is the estimator of sampled values the options ask for
// (--pairs alone asks for permutation pairs), with each budget refused
// for the other estimator.
func (o *AttributeDirOptions) chooseEstimator() (Estimator, error) {
	switch {
	case o.PairsSet && !o.EstimatorSet:
		o.Estimator = Permutation.String()
	case o.Estimator == "":
		o.Estimator = DefaultEstimator.String()
	}
	if o.Twins == 0 {
		o.Twins = DefaultKernelTwins
	}
	estimator, err := ParseEstimator(o.Estimator)
	if err != nil {
		return estimator, badInput("--estimator: %v", err)
	}
	if estimator == Kernel && o.PairsSet {
		return estimator, badInput("--pairs counts permutation pairs: with --estimator kernel give --twins")
	}
	if estimator == Permutation && o.TwinsSet {
		return estimator, badInput("--twins is KernelSHAP's budget: with --estimator permutation give --pairs")
	}
	return estimator, nil
}

// attribute builds the twins of the run (manifest m) and attributes its
// figures, logging the plan and a progress meter of the twin runs.
func (p attributePlan) attribute(ctx context.Context, m *store.Manifest, o AttributeDirOptions) (*Attribution, error) {
	fmt.Fprintf(p.log, "nosedive: attributing %d rules by twin runs of %d agents x %d days\n", len(p.rules), p.agents, m.Days)
	twins, err := runner.NewTwins(ctx, m, p.agents)
	if err != nil {
		return nil, err
	}
	// Twins run one per worker, each on one core: at the sizes attribution
	// runs at, a whole twin per core beats splitting each twin's days.
	eval := TwinFigures(twins, p.metrics, 1)
	var meter *progress.Meter
	at, err := Attribute(ctx, p.rules, eval, AttributeOptions{
		Metrics: p.metrics, Method: p.method, Pairs: o.Pairs, Seed: m.Seed,
		Estimator: p.estimator, Twins: o.Twins, EstimatorReason: EstimatorReason(p.estimator, !o.EstimatorSet && !o.PairsSet),
		TwinCost: float64(p.agents) * float64(m.Days), Parallel: p.workers,
		Plan: func(reason string, n int) {
			fmt.Fprintf(p.log, "nosedive: %s\n", reason)
			meter = progress.New(p.log, n, "twin runs", progress.Options{Bar: progress.IsTerminal(p.log)})
		},
		Progress: func(done int, detail string) {
			if meter != nil {
				meter.Set(done, detail)
			}
		},
	})
	if meter != nil {
		meter.Finish()
	}
	if err != nil {
		return nil, err
	}
	at.Agents = p.agents
	return at, nil
}

// storeAttribution puts the attribution in dir's audit.json, next to the
// audit there or a basic one computed from run when there is none.
func storeAttribution(dir string, run *Run, at *Attribution) error {
	rep, err := ReadReport(dir)
	if err != nil {
		if rep, err = Compute(run, Options{}); err != nil {
			return err
		}
	}
	rep.Attribution = at
	return WriteReport(dir, rep)
}
