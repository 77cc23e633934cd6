package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

type attributeOptions struct {
	agents, pairs, perms, workers int
	metrics                       []string
	exact, sampled, quiet         bool
	// estimator of sampled values and KernelSHAP's budget of twins;
	// the ...Set fields say which of the flags were given.
	estimator                        string
	twins                            int
	pairsSet, twinsSet, estimatorSet bool
}

func newAttributeCmd() *cobra.Command {
	var o attributeOptions
	cmd := &cobra.Command{
		Use:   "attribute RUN",
		Short: "Rank rules by the harm they cause (leave-one-out and Shapley values)",
		Long: `Re-run the regime with subsets of its rules switched off (same people,
same random numbers) and attribute each figure to rules. Without --metric:

  gap_worst_tier                    worst-tier share, most minus least affected group
  ever_sanctioned                   share of people ever sanctioned
  sanctioned_without_own_violation  people sanctioned who did nothing penalised
  children_blocked                  school-age children kept out of top schools

--metric takes any headline figure of the audit (the names of sweep
audit tables and of claims' figure:, e.g. detained, tier:untrustworthy,
cascaded); give it more than once for several.

Shapley values are exact (all 2^n subsets of n rules) while that costs at
most 1e10 agent-days (twin runs x agents x days) or sampling would need as
many twins, and are otherwise estimated, each value with a 95%
interval: by KernelSHAP (--estimator kernel, the default: a weighted
least-squares fit over --twins coalitions, sizes 1 and n-1 in full and
the others sampled with their complements) or from --pairs antithetic
permutation pairs (--estimator permutation: a random order of the rules
and its reverse). At equal twins KernelSHAP's errors are about two
thirds of the permutation pairs' and its intervals hold their 95%
(docs/metrics.md). The output says which and why (--exact, --sampled
force it). Either way the values add up to the effect of all
rules together, which is checked. The twins share the population,
network and compiled rules, are run in memory (nothing is written but
RUN/audit.json) and run one per core. Use --agents to attribute on a
smaller replica of the run when it is large.`,
		Example: `  nosedive attribute runs/xinjiang-pilot-s1-20261128-101500
  nosedive attribute RUN --agents 20000 --metric detained --sampled --twins 48
  nosedive attribute RUN --sampled --estimator permutation --pairs 32`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.pairsSet = cmd.Flags().Changed("pairs") || cmd.Flags().Changed("permutations")
			o.twinsSet = cmd.Flags().Changed("twins")
			o.estimatorSet = cmd.Flags().Changed("estimator")
			if o.pairsSet && !o.estimatorSet {
				o.estimator = "permutation" // --pairs asks for permutation pairs
			}
			return runAttribute(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.agents, "agents", 0, "run the twins on this many agents (default: the run's size)")
	f.StringSliceVar(&o.metrics, "metric", nil, "figure to attribute (repeatable; default: the four above)")
	f.StringVar(&o.estimator, "estimator", audit.DefaultEstimator.String(), "estimator of sampled values: kernel (KernelSHAP) or permutation (antithetic pairs)")
	f.IntVar(&o.twins, "twins", audit.DefaultKernelTwins, "twin runs KernelSHAP may use (at least 2n+20 for n rules)")
	f.IntVar(&o.pairs, "pairs", audit.DefaultPairs, "antithetic permutation pairs sampled by --estimator permutation (implies it)")
	f.IntVar(&o.perms, "permutations", 0, "permutations sampled (replaced by --pairs: half as many pairs)")
	f.MarkDeprecated("permutations", "use --pairs (a permutation and its reverse count as one pair)")
	f.BoolVar(&o.exact, "exact", false, "exact Shapley values whatever they cost (at most 20 rules)")
	f.BoolVar(&o.sampled, "sampled", false, "estimate Shapley values from permutation pairs even when exact ones are affordable")
	f.IntVar(&o.workers, "workers", 0, "worker threads (default: all cores)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runAttribute(ctx context.Context, o attributeOptions, dir string, stdout, stderr io.Writer) error {
	run, err := loadRun(dir)
	if err != nil {
		return err
	}
	m := run.Manifest
	agents := m.Agents
	if o.agents != 0 {
		if o.agents < 2 || o.agents > m.Agents {
			return badInput("--agents must be between 2 and the run's %d", m.Agents)
		}
		agents = o.agents
	}
	if o.perms != 0 {
		o.pairs = (o.perms + 1) / 2
	}
	if o.pairs < 2 {
		return badInput("--pairs must be at least 2")
	}
	if o.exact && o.sampled {
		return badInput("--exact and --sampled exclude each other")
	}
	estimator, err := audit.ParseEstimator(o.estimator)
	if err != nil {
		return badInput("--estimator: %v", err)
	}
	if estimator == audit.Kernel && o.pairsSet {
		return badInput("--pairs counts permutation pairs: with --estimator kernel give --twins")
	}
	if estimator == audit.Permutation && o.twinsSet {
		return badInput("--twins is KernelSHAP's budget: with --estimator permutation give --pairs")
	}
	if o.workers < 0 || o.workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024")
	}
	metrics := o.metrics
	if len(metrics) == 0 {
		metrics = audit.DefaultAttributed
	}
	if err := audit.CheckFigures(m, metrics); err != nil {
		return badInput("--metric: %v", err)
	}
	var rules []string
	for _, r := range m.Rules {
		rules = append(rules, r.Name)
	}
	if len(rules) == 0 {
		return badInput("%s: the scenario has no rules to attribute", dir)
	}
	if min := audit.KernelMinTwins(len(rules)); estimator == audit.Kernel && !o.exact && o.twins < min {
		return badInput("--twins: KernelSHAP over %d rules needs at least %d twins (all rules, none, the %d without one rule, the %d with one and %d coalition pairs)",
			len(rules), min, len(rules), len(rules), audit.KernelMinPairs)
	}
	if o.exact && len(rules) > audit.ExactMaxRules {
		return badInput("--exact: %d rules would take 2^%d twin runs; exact values are computed for at most %d rules", len(rules), len(rules), audit.ExactMaxRules)
	}
	if o.quiet {
		stderr = io.Discard
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(stderr, "nosedive: attributing %d rules by twin runs of %d agents x %d days\n", len(rules), agents, m.Days)
	twins, err := runner.NewTwins(ctx, m, agents)
	if err != nil {
		return err
	}
	// Twins run one per worker, each on one core: at the sizes attribution
	// runs at, a whole twin per core beats splitting each twin's days.
	eval := audit.TwinFigures(twins, metrics, 1)
	var meter *progress.Meter
	method := audit.Auto
	switch {
	case o.exact:
		method = audit.Exact
	case o.sampled:
		method = audit.Sampled
	}
	at, err := audit.Attribute(ctx, rules, eval, audit.AttributeOptions{
		Metrics: metrics, Method: method, Pairs: o.pairs, Seed: m.Seed,
		Estimator: estimator, Twins: o.twins, EstimatorReason: audit.EstimatorReason(estimator, !o.estimatorSet && !o.pairsSet),
		TwinCost: float64(agents) * float64(m.Days), Parallel: workers,
		Plan: func(reason string, n int) {
			fmt.Fprintf(stderr, "nosedive: %s\n", reason)
			meter = progress.New(stderr, n, "twin runs", progress.Options{Bar: progress.IsTerminal(stderr)})
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
		return err
	}
	at.Agents = agents
	rep, err := readAudit(dir)
	if err != nil {
		if rep, err = audit.Compute(run, audit.Options{}); err != nil {
			return err
		}
	}
	rep.Attribution = at
	if err := audit.WriteReport(dir, rep); err != nil {
		return err
	}
	if err := audit.WriteAttributionText(stdout, at); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}
