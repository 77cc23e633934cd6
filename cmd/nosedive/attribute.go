package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/spf13/cobra"
)

type attributeOptions struct {
	audit.AttributeDirOptions // --agents, --metric, --estimator, --twins, --pairs, --permutations, --exact, --sampled, --workers
	quiet                     bool
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
			o.PairsSet = cmd.Flags().Changed("pairs") || cmd.Flags().Changed("permutations")
			o.TwinsSet = cmd.Flags().Changed("twins")
			o.EstimatorSet = cmd.Flags().Changed("estimator")
			return runAttribute(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Agents, "agents", 0, "run the twins on this many agents (default: the run's size)")
	f.StringSliceVar(&o.Metrics, "metric", nil, "figure to attribute (repeatable; default: the four above)")
	f.StringVar(&o.Estimator, "estimator", audit.DefaultEstimator.String(), "estimator of sampled values: kernel (KernelSHAP) or permutation (antithetic pairs)")
	f.IntVar(&o.Twins, "twins", audit.DefaultKernelTwins, "twin runs KernelSHAP may use (at least 2n+20 for n rules)")
	f.IntVar(&o.Pairs, "pairs", audit.DefaultPairs, "antithetic permutation pairs sampled by --estimator permutation (implies it)")
	f.IntVar(&o.Permutations, "permutations", 0, "permutations sampled (replaced by --pairs: half as many pairs)")
	f.MarkDeprecated("permutations", "use --pairs (a permutation and its reverse count as one pair)")
	f.BoolVar(&o.Exact, "exact", false, "exact Shapley values whatever they cost (at most 20 rules)")
	f.BoolVar(&o.Sampled, "sampled", false, "estimate Shapley values (--estimator) even when exact ones are affordable")
	f.IntVar(&o.Workers, "workers", 0, "worker threads (default: all cores)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runAttribute(ctx context.Context, o attributeOptions, dir string, stdout, stderr io.Writer) error {
	if !o.quiet {
		o.Log = stderr
	}
	at, err := audit.AttributeDir(ctx, dir, o.AttributeDirOptions)
	if err != nil {
		return err
	}
	if err := audit.WriteAttributionText(stdout, at); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}
