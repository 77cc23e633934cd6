package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

// AuditFile is the audit's output inside the run directory.
const AuditFile = audit.ReportFile

type auditOptions struct {
	reference      string
	by             []string
	asJSON         bool
	counterfactual string
	ablate         []string
	minGroup       int
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
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput("%s needs a run directory (or several, or a sweep directory with --point); see %s --help", cmd.CommandPath(), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || o.point != -1 || isSweepDir(args[0]) {
				return runAuditReplicates(cmd.Context(), o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runAudit(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.reference, "reference", "", "reference value of the first --by attribute (default: the most favoured)")
	f.StringSliceVar(&o.by, "by", []string{"group", "region"}, "attributes to break figures down by: group, region, age or a trait")
	f.BoolVar(&o.asJSON, "json", false, "print audit.json to stdout instead of tables")
	f.StringVar(&o.counterfactual, "counterfactual", "", "run a twin for comparison: no-regime")
	f.StringArrayVar(&o.ablate, "ablate", nil, "run a twin without this rule and report its effect (repeatable)")
	f.IntVar(&o.minGroup, "min-group", audit.DefaultMinGroup, "groups smaller than this carry a small-group warning")
	f.IntVar(&o.workers, "workers", 0, "worker threads for twin runs (default: all cores)")
	f.IntVar(&o.point, "point", -1, "with a sweep directory: audit this design point's replicates")
	return cmd
}

func runAudit(ctx context.Context, o auditOptions, dir string, stdout, stderr io.Writer) error {
	if o.counterfactual != "" && o.counterfactual != runner.NoRegime {
		return badInput("--counterfactual: only %q is supported, got %q", runner.NoRegime, o.counterfactual)
	}
	if o.minGroup < 1 {
		return badInput("--min-group must be at least 1")
	}
	run, err := loadRun(dir)
	if err != nil {
		return err
	}
	rep, err := audit.Compute(run, audit.Options{By: o.by, Reference: o.reference, MinGroup: o.minGroup})
	if err != nil {
		return err
	}
	if o.counterfactual != "" {
		fmt.Fprintf(stderr, "nosedive: running the %s twin of %s\n", o.counterfactual, filepath.Base(dir))
		report, finish := dayProgress(stderr, run.Manifest.Days)
		twin, err := runner.TwinProgress(ctx, dir, runner.NoRegime, o.workers, report)
		finish()
		if err != nil {
			return err
		}
		if rep.Chilling, err = audit.ComputeChilling(run, twin); err != nil {
			return err
		}
	}
	if len(o.ablate) > 0 {
		with, err := audit.HeadlineMetrics(run)
		if err != nil {
			return err
		}
		for _, rule := range o.ablate {
			fmt.Fprintf(stderr, "nosedive: running the twin without rule %s\n", rule)
			report, finish := dayProgress(stderr, run.Manifest.Days)
			twin, err := runner.TwinProgress(ctx, dir, "ablate-"+rule, o.workers, report)
			finish()
			if err != nil {
				return err
			}
			tr, err := loadRun(twin)
			if err != nil {
				return err
			}
			without, err := audit.HeadlineMetrics(tr)
			if err != nil {
				return err
			}
			ab := audit.Ablation{Rule: rule, Metrics: with, Without: without, Effect: map[string]float64{}}
			for k, v := range with {
				ab.Effect[k] = v - without[k]
			}
			rep.Ablations = append(rep.Ablations, ab)
		}
	}
	if err := audit.WriteReport(dir, rep); err != nil { // keeps an earlier attribution
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if err := audit.WriteText(stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}

func readAudit(dir string) (*audit.Report, error) { return audit.ReadReport(dir) }

func loadRun(dir string) (*audit.Run, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, badInput("%s: not a run directory", dir)
	}
	r, err := audit.Load(dir)
	var damaged *store.DamagedError
	switch {
	case errors.As(err, &damaged):
		return nil, err // a damaged file is a failure (exit 1), not bad input
	case err != nil:
		return nil, badInput("%v", err)
	}
	return r, nil
}

// isSweepDir reports whether dir holds a sweep manifest.
func isSweepDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, sweep.ManifestFile))
	return err == nil
}

// replicateDirs resolves `RUN RUN...` or `SWEEP_DIR --point P` to the run
// directories of one design's replicates.
func replicateDirs(args []string, point int, stderr io.Writer) ([]string, error) {
	if point < -1 {
		return nil, badInput("--point %d: points are numbered from 0", point)
	}
	if point == -1 && !(len(args) == 1 && isSweepDir(args[0])) {
		return args, nil
	}
	if len(args) != 1 {
		return nil, badInput("--point takes one sweep directory, got %d arguments", len(args))
	}
	dir := args[0]
	m, err := sweep.ReadManifest(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, badInput("%s is not a sweep directory (no %s); --point needs one", dir, sweep.ManifestFile)
		}
		return nil, badInput("%v", err)
	}
	last := len(m.Points) - 1
	if point == -1 {
		return nil, badInput("%s is a sweep directory: pick a design point with --point P (0 to %d); `nosedive sweep summarize %s` lists them", dir, last, dir)
	}
	if point > last {
		return nil, badInput("--point %d: sweep %s has points 0 to %d", point, m.Name, last)
	}
	dirs, notDone := m.PointRuns(dir, point)
	for _, r := range notDone {
		fmt.Fprintf(stderr, "nosedive: point %d: replicate %d (%s) is not done; left out\n", point, r.Replicate, r.ID)
	}
	return dirs, nil
}

// meanCI is sweep.MeanCI, the t-interval of `sweep summarize`, in the
// shape audit.Summarize takes.
func meanCI(xs []float64) (mean, lo, hi float64, n int) {
	st := sweep.MeanCI(xs)
	return st.Mean, st.Lo, st.Hi, st.N
}

// summarizeReplicates resolves, audits and summarises a replicate set
// (stored: see loadReplicates).
func summarizeReplicates(o auditOptions, args []string, stored bool, stderr io.Writer) (*audit.Replicates, []*audit.Report, []string, error) {
	dirs, err := replicateDirs(args, o.point, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(dirs) < 2 {
		what := fmt.Sprintf("%d run", len(dirs))
		if o.point >= 0 {
			what = fmt.Sprintf("point %d has %d finished replicate(s)", o.point, len(dirs))
		}
		return nil, nil, nil, badInput("%s: a single run gives no interval; use `nosedive audit RUN` (or `report RUN`) for one run, or give two or more replicates", what)
	}
	reps, ms, err := audit.ReplicateSet{Dirs: dirs, Options: audit.Options{By: o.by, Reference: o.reference, MinGroup: o.minGroup},
		Stored: stored}.Load()
	var s *audit.Replicates
	if err == nil {
		s, err = audit.Summarize(reps, ms, meanCI)
	}
	nr, rd := (*audit.NotReplicatesError)(nil), (*audit.RunDirError)(nil)
	if errors.As(err, &nr) || errors.As(err, &rd) {
		return nil, nil, nil, badInput("%v", err)
	}
	return s, reps, dirs, err
}

func runAuditReplicates(_ context.Context, o auditOptions, args []string, stdout, stderr io.Writer) error {
	if o.counterfactual != "" || len(o.ablate) > 0 {
		return badInput("--counterfactual and --ablate audit one run; run them on each replicate with `nosedive audit RUN`")
	}
	if o.minGroup < 1 {
		return badInput("--min-group must be at least 1")
	}
	s, _, dirs, err := summarizeReplicates(o, args, false, stderr)
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	if err := audit.WriteReplicatesText(stdout, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten or read: %s in each of the %d run directories\n", AuditFile, len(dirs))
	return nil
}
