package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

// AuditFile is the audit's output inside the run directory.
const AuditFile = audit.ReportFile

type auditOptions struct {
	audit.Options  // --by, --reference, --min-group
	asJSON         bool
	counterfactual string
	ablate         []string
	workers        int
	point          int // -1: not a sweep point
}

func newAuditCmd() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit RUN [RUN...] | audit SWEEP_DIR --point P",
		Short: "Measure the harm a run's regime did, by group; write RUN/audit.json",
		Long: `Compute the harm metrics of docs/metrics.md for a run directory: tier
shares, sanction and detention rates and their disparity against a
reference group (with the four-fifths screen), false sanctions, guilt by
association, cascades along ties, children punished for their parents,
gaps at equal behaviour, inequality, the EU AI Act Art. 5(1)(c) lens and
the worst-treated subgroups. With --counterfactual no-regime it runs the
regime-free twin (same people, same random numbers) and measures chilling;
--ablate RULE measures what one rule adds.

Given several run directories (replicates of one design: same scenario
text, --set overrides, population size and days, different seeds) or a
sweep directory and --point P, it audits each replicate (writing its
audit.json when the run keeps its agents table, reading it otherwise) and
prints every figure as "mean [lo, hi]": the mean over the replicates with
its 95% Student t interval (docs/experiments.md).`,
		Example: `  nosedive audit runs/xinjiang-pilot-s1-20261128-101500
  nosedive audit RUN --by group,region,age --reference han
  nosedive audit RUN --counterfactual no-regime --ablate partner_lower
  nosedive audit RUN --json | jq .art5
  nosedive audit runs/xinjiang-pilot-s1-* runs/xinjiang-pilot-s2-* runs/xinjiang-pilot-s3-*
  nosedive audit runs/xinjiang-sweep --point 2 --json | jq .headline.ever_sanctioned`,
		Args: runDirArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || o.point != -1 || sweep.IsDir(args[0]) {
				return runAuditReplicates(cmd.Context(), o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runAudit(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Reference, "reference", "", "reference value of the first --by attribute (default: the most favoured)")
	f.StringSliceVar(&o.By, "by", []string{"group", "region"}, "attributes to break figures down by: group, region, age or a trait")
	f.BoolVar(&o.asJSON, "json", false, "print audit.json to stdout instead of tables")
	f.StringVar(&o.counterfactual, "counterfactual", "", "run a twin for comparison: no-regime")
	f.StringArrayVar(&o.ablate, "ablate", nil, "run a twin without this rule and report its effect (repeatable)")
	f.IntVar(&o.MinGroup, "min-group", audit.DefaultMinGroup, "groups smaller than this carry a small-group warning")
	f.IntVar(&o.workers, "workers", 0, "worker threads for twin runs (default: all cores)")
	f.IntVar(&o.point, "point", -1, "with a sweep directory: audit this design point's replicates")
	return cmd
}

func runAudit(ctx context.Context, o auditOptions, dir string, stdout, stderr io.Writer) error {
	if o.counterfactual != "" && o.counterfactual != runner.NoRegime {
		return badInput("--counterfactual: only %q is supported, got %q", runner.NoRegime, o.counterfactual)
	}
	if o.MinGroup < 1 {
		return badInput("--min-group must be at least 1")
	}
	run, err := audit.LoadDir(dir)
	if err != nil {
		return err
	}
	rep, err := audit.Compute(run, o.Options)
	if err != nil {
		return err
	}
	if err := audit.AddTwins(ctx, rep, run, o.counterfactual != "", o.ablate, runner.TwinFunc(dir, o.workers, stderr)); err != nil {
		return err
	}
	if err := audit.WriteReport(dir, rep); err != nil { // keeps an earlier attribution
		return err
	}
	if o.asJSON {
		return writeJSON(stdout, rep)
	}
	if err := audit.WriteText(stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}

// summarizeReplicates resolves, audits and summarises a replicate set
// (stored: see audit.ReplicateSet).
func summarizeReplicates(o auditOptions, args []string, stored bool, stderr io.Writer) (*audit.Replicates, []*audit.Report, []string, error) {
	return sweep.Replicates(args, o.point, audit.ReplicateSet{Options: o.Options, Stored: stored}, func(msg string) { fmt.Fprintln(stderr, "nosedive: "+msg) })
}

func runAuditReplicates(_ context.Context, o auditOptions, args []string, stdout, stderr io.Writer) error {
	if o.counterfactual != "" || len(o.ablate) > 0 {
		return badInput("--counterfactual and --ablate audit one run; run them on each replicate with `nosedive audit RUN`")
	}
	if o.MinGroup < 1 {
		return badInput("--min-group must be at least 1")
	}
	s, _, dirs, err := summarizeReplicates(o, args, false, stderr)
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(stdout, s)
	}
	if err := audit.WriteReplicatesText(stdout, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten or read: %s in each of the %d run directories\n", AuditFile, len(dirs))
	return nil
}
