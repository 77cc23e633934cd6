package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

// AuditFile is the audit's output inside the run directory.
const AuditFile = "audit.json"

type auditOptions struct {
	reference      string
	by             []string
	asJSON         bool
	counterfactual string
	ablate         []string
	minGroup       int
	workers        int
}

func newAuditCmd() *cobra.Command {
	var o auditOptions
	cmd := &cobra.Command{
		Use:   "audit RUN",
		Short: "Measure the harm a run's regime did, by group; write RUN/audit.json",
		Long: `Compute the harm metrics of docs/metrics.md for a run directory: tier
shares, sanction and detention rates and their disparity against a
reference group (with the four-fifths screen), false sanctions, guilt by
association, cascades along ties, children punished for their parents,
gaps at equal behaviour, inequality, the EU AI Act Art. 5(1)(c) lens and
the worst-treated subgroups. With --counterfactual no-regime it runs the
regime-free twin (same people, same random numbers) and measures chilling;
--ablate RULE measures what one rule adds.`,
		Example: `  nosedive audit runs/xinjiang-pilot-s1-20261128-101500
  nosedive audit RUN --by group,region,age --reference han
  nosedive audit RUN --counterfactual no-regime --ablate partner_lower
  nosedive audit RUN --json | jq .art5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
		twin, err := runner.Twin(ctx, dir, runner.NoRegime, o.workers)
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
			twin, err := runner.Twin(ctx, dir, "ablate-"+rule, o.workers)
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
	// Keep an attribution computed earlier by `nosedive attribute`.
	if old, err := readAudit(dir); err == nil && old.Attribution != nil {
		rep.Attribution = old.Attribution
	}
	if err := writeJSONAtomic(filepath.Join(dir, AuditFile), rep); err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printAudit(stdout, rep)
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}

func loadRun(dir string) (*audit.Run, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, badInput("%s: not a run directory", dir)
	}
	r, err := audit.Load(dir)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return r, nil
}

func readAudit(dir string) (*audit.Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, AuditFile))
	if err != nil {
		return nil, err
	}
	var rep audit.Report
	return &rep, json.Unmarshal(b, &rep)
}

// writeJSONAtomic writes v to path through a temporary file and a rename.
func writeJSONAtomic(path string, v any) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	enc := json.NewEncoder(tmp)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func fpct(f audit.Figure) string {
	if math.IsNaN(float64(f.Value)) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(f.Value))
}

func printAudit(w io.Writer, rep *audit.Report) {
	fmt.Fprintf(w, "Audit of %s (%s, %d agents x %d days, seed %d)\n\n", rep.Run, rep.Scenario, rep.Agents, rep.Days, rep.Seed)
	for _, h := range rep.Headline {
		fmt.Fprintf(w, "  * %s\n", h)
	}
	fmt.Fprintf(w, "\nReference group: %s (%s). Ratios outside [0.8, 1.25] fail the four-fifths\nscreen (marked !): a screen for disparity, not a proof of it.\n\n", rep.Reference, rep.ReferenceWhy)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if len(rep.Groups) == 0 {
		return
	}
	hdr := "attribute\tvalue\tn\tmean score\t"
	for _, t := range rep.Groups[0].Tiers {
		hdr += t.Name + "\t"
	}
	hdr += "ever sanctioned\tratio\tno own violation\tbroke no law\tassociation loss\tchildren blocked\tgini\t"
	fmt.Fprintln(tw, hdr)
	rows := append(append([]audit.Row{}, rep.Groups...), rep.Intersections...)
	rows = append(rows, rep.Overall)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%d\t%.1f\t", r.Attribute, r.Value, r.N, r.MeanScore)
		for _, t := range r.Tiers {
			line += fpct(t.Figure) + "\t"
		}
		ratio := "-"
		for _, d := range r.Disparities {
			if d.Metric == "ever_sanctioned" && !math.IsNaN(float64(d.Ratio)) {
				ratio = fmt.Sprintf("%.2f", float64(d.Ratio))
				if d.OutsideBand {
					ratio += "!"
				}
			}
		}
		small := ""
		if r.SmallGroup {
			small = " (small)"
		}
		line += fmt.Sprintf("%s\t%s\t%s\t%s\t%.0f%%\t%d\t%.3f\t%s", fpct(r.Ever), ratio, fpct(r.FalseDiscoveryRate), fpct(r.LawAbiding),
			100*r.Loss.AssociationShare, r.ChildrenBlocked, r.Gini, small)
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n(no own violation: share of the sanctioned who did nothing penalised; broke no law: share of the\nsanctioned who never did anything the scenario declares unlawful; association loss: share of\npoints lost through partner and acquaintance rules; small: fewer than %d people)\n", rep.MinGroup)

	if len(rep.Conditional) > 0 {
		fmt.Fprintln(w, "\nAt equal own behaviour (gap in the share ever sanctioned vs the reference, weighted over strata):")
		for _, c := range rep.Conditional {
			fmt.Fprintf(w, "  %s: %+.1f points; score gap %+.1f\n", c.Group, 100*c.WeightedGap, c.ScoreGap)
		}
	}
	c := rep.Cascade
	fmt.Fprintf(w, "\nCascades along ties: %d sanctioned, %d seeds, %d reached through a sanctioned tie (%d of them with no own violation); mean depth %.2f, max %d.\n",
		c.Sanctioned, c.Seeds, c.Cascaded, c.CascadedNoViolation, c.MeanDepth, c.MaxDepth)
	a := rep.Art5
	fmt.Fprintf(w, "\nEU AI Act Art. 5(1)(c):\n  (i) unrelated contexts: %s. %s\n  (ii) disproportionate: %s. %s\n",
		a.VerdictI, a.EvidenceI, a.VerdictII, a.EvidenceII)
	if len(rep.Worst) > 0 {
		fmt.Fprintln(w, "\nWorst-treated subgroups (share ever sanctioned):")
		for _, r := range rep.Worst {
			fmt.Fprintf(w, "  %s = %s: %s of %d\n", r.Attribute, r.Value, fpct(r.Ever), r.N)
		}
	}
	if len(rep.Chilling) > 0 {
		fmt.Fprintln(w, "\nChilling (lawful penalised behaviour, vs the same people without the regime):")
		for _, c := range rep.Chilling {
			fmt.Fprintf(w, "  %s: %.1f%% less over the run (first %d days %.1f%%, last %d days %.1f%%); %d vs %d events\n",
				c.Behaviour, 100*c.Drop, audit.ChillWindow, 100*c.Immediate, audit.ChillWindow, 100*c.Final, c.Regime, c.Twin)
		}
	}
	for _, ab := range rep.Ablations {
		var parts []string
		for _, k := range []string{audit.MetricGap, audit.MetricEver, audit.MetricFalse, audit.MetricChildren} {
			parts = append(parts, fmt.Sprintf("%s %+.4g", k, ab.Effect[k]))
		}
		fmt.Fprintf(w, "\nRule %s adds: %s\n", ab.Rule, strings.Join(parts, ", "))
	}
}
