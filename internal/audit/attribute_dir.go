package audit

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
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
	m := run.Manifest
	agents := m.Agents
	if o.Agents != 0 {
		if o.Agents < 2 || o.Agents > m.Agents {
			return nil, badInput("--agents must be between 2 and the run's %d", m.Agents)
		}
		agents = o.Agents
	}
	if o.Permutations != 0 {
		o.Pairs = (o.Permutations + 1) / 2
	}
	if o.Pairs < 2 {
		return nil, badInput("--pairs must be at least 2")
	}
	if o.Exact && o.Sampled {
		return nil, badInput("--exact and --sampled exclude each other")
	}
	switch {
	case o.PairsSet && !o.EstimatorSet:
		o.Estimator = Permutation.String() // --pairs asks for permutation pairs
	case o.Estimator == "":
		o.Estimator = DefaultEstimator.String()
	}
	if o.Twins == 0 {
		o.Twins = DefaultKernelTwins
	}
	estimator, err := ParseEstimator(o.Estimator)
	if err != nil {
		return nil, badInput("--estimator: %v", err)
	}
	if estimator == Kernel && o.PairsSet {
		return nil, badInput("--pairs counts permutation pairs: with --estimator kernel give --twins")
	}
	if estimator == Permutation && o.TwinsSet {
		return nil, badInput("--twins is KernelSHAP's budget: with --estimator permutation give --pairs")
	}
	if o.Workers < 0 || o.Workers > 1024 {
		return nil, badInput("--workers must be between 0 (all cores) and 1024")
	}
	metrics := o.Metrics
	if len(metrics) == 0 {
		metrics = DefaultAttributed
	}
	if err := CheckFigures(m, metrics); err != nil {
		return nil, badInput("--metric: %v", err)
	}
	var rules []string
	for _, r := range m.Rules {
		rules = append(rules, r.Name)
	}
	if len(rules) == 0 {
		return nil, badInput("%s: the scenario has no rules to attribute", dir)
	}
	if min := KernelMinTwins(len(rules)); estimator == Kernel && !o.Exact && o.Twins < min {
		return nil, badInput("--twins: KernelSHAP over %d rules needs at least %d twins (all rules, none, the %d without one rule, the %d with one and %d coalition pairs)",
			len(rules), min, len(rules), len(rules), KernelMinPairs)
	}
	if o.Exact && len(rules) > ExactMaxRules {
		return nil, badInput("--exact: %d rules would take 2^%d twin runs; exact values are computed for at most %d rules", len(rules), len(rules), ExactMaxRules)
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	workers := o.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(log, "nosedive: attributing %d rules by twin runs of %d agents x %d days\n", len(rules), agents, m.Days)
	twins, err := runner.NewTwins(ctx, m, agents)
	if err != nil {
		return nil, err
	}
	// Twins run one per worker, each on one core: at the sizes attribution
	// runs at, a whole twin per core beats splitting each twin's days.
	eval := TwinFigures(twins, metrics, 1)
	var meter *progress.Meter
	method := Auto
	switch {
	case o.Exact:
		method = Exact
	case o.Sampled:
		method = Sampled
	}
	at, err := Attribute(ctx, rules, eval, AttributeOptions{
		Metrics: metrics, Method: method, Pairs: o.Pairs, Seed: m.Seed,
		Estimator: estimator, Twins: o.Twins, EstimatorReason: EstimatorReason(estimator, !o.EstimatorSet && !o.PairsSet),
		TwinCost: float64(agents) * float64(m.Days), Parallel: workers,
		Plan: func(reason string, n int) {
			fmt.Fprintf(log, "nosedive: %s\n", reason)
			meter = progress.New(log, n, "twin runs", progress.Options{Bar: progress.IsTerminal(log)})
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
	at.Agents = agents
	rep, err := ReadReport(dir)
	if err != nil {
		if rep, err = Compute(run, Options{}); err != nil {
			return nil, err
		}
	}
	rep.Attribution = at
	if err := WriteReport(dir, rep); err != nil {
		return nil, err
	}
	return at, nil
}
