package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/sweep"
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
	if err := store.WriteJSONAtomic(filepath.Join(dir, AuditFile), rep); err != nil {
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
			switch {
			case d.Metric != "ever_sanctioned":
			case !math.IsNaN(float64(d.Ratio)):
				ratio = fmt.Sprintf("%.2f", float64(d.Ratio))
				if d.OutsideBand {
					ratio += "!"
				}
			case d.OutsideBand:
				ratio = "unbounded!" // the reference rate is 0
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
	var dirs []string
	for _, r := range m.Runs {
		if r.Point != point {
			continue
		}
		d := filepath.Join(dir, sweep.RunsDir, r.ID)
		if _, err := os.Stat(filepath.Join(d, "run.json")); err != nil {
			fmt.Fprintf(stderr, "nosedive: point %d: replicate %d (%s) is not done; left out\n", point, r.Replicate, r.ID)
			continue
		}
		dirs = append(dirs, d)
	}
	return dirs, nil
}

// loadReplicates audits each replicate as single-run audit does (and
// writes its audit.json) when the run keeps its agents table, and reads
// its audit.json otherwise (sweep runs keep only aggregates by default).
// With stored set (the report), it reads each audit.json that exists, as
// single-run report does, and computes (without writing) the others.
// With no --reference, every replicate is compared against the group the
// first one picks, so that the disparities compare like with like.
func loadReplicates(o auditOptions, dirs []string, stored bool) ([]*audit.Report, []*store.Manifest, error) {
	var ms []*store.Manifest
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, nil, badInput("%s: not a run directory", d)
		}
		m, err := store.ReadManifest(d)
		if err != nil {
			return nil, nil, badInput("%s: not a run directory: %v", d, err)
		}
		ms = append(ms, m)
	}
	if err := audit.CheckReplicates(ms); err != nil {
		return nil, nil, badInput("%v", err)
	}
	defaults := o.reference == "" && slices.Equal(o.by, []string{"group", "region"}) && o.minGroup == audit.DefaultMinGroup
	opts := audit.Options{By: o.by, Reference: o.reference, MinGroup: o.minGroup}
	var reps []*audit.Report
	for _, d := range dirs {
		if stored {
			if rep, err := readAudit(d); err == nil {
				reps = append(reps, rep)
				continue
			}
		}
		if _, err := os.Stat(filepath.Join(d, store.AgentsFile)); err != nil {
			rep, err := readAudit(d)
			if err != nil {
				return nil, nil, badInput("%s keeps neither its agents table nor an audit.json, so it cannot be audited", d)
			}
			if !defaults {
				return nil, nil, badInput("%s keeps no agents table (a sweep run without keep: [agents]); its stored audit.json has the default --by, --reference and --min-group, so those flags cannot apply", d)
			}
			reps = append(reps, rep)
			continue
		}
		run, err := loadRun(d)
		if err != nil {
			return nil, nil, err
		}
		rep, err := audit.Compute(run, opts)
		if err != nil {
			return nil, nil, err
		}
		if !stored {
			if old, err := readAudit(d); err == nil && old.Attribution != nil {
				rep.Attribution = old.Attribution
			}
			if err := store.WriteJSONAtomic(filepath.Join(d, AuditFile), rep); err != nil {
				return nil, nil, err
			}
		}
		if opts.Reference == "" {
			opts.Reference = rep.Reference
		}
		reps = append(reps, rep)
	}
	return reps, ms, nil
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
	reps, ms, err := loadReplicates(o, dirs, stored)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := audit.Summarize(reps, ms, meanCI)
	if nr := (*audit.NotReplicatesError)(nil); errors.As(err, &nr) {
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
	printReplicates(stdout, s)
	fmt.Fprintf(stdout, "\nwritten or read: %s in each of the %d run directories\n", AuditFile, len(dirs))
	return nil
}

// ivFormat prints an interval as "mean [lo, hi]" with the given scale and
// precision, "-" with no value, and "(n=K)" when fewer replicates than
// total had a value.
func ivFormat(iv audit.Interval, total int, scale float64, prec int, unit string) string {
	if iv.N == 0 {
		return "-"
	}
	f := func(x audit.Num) string { return strconv.FormatFloat(scale*float64(x), 'f', prec, 64) }
	s := f(iv.Mean) + unit
	if iv.N >= 2 {
		s += " [" + f(iv.Lo) + ", " + f(iv.Hi) + "]"
	}
	if iv.N < total {
		s += fmt.Sprintf(" (n=%d)", iv.N)
	}
	return s
}

func printReplicates(w io.Writer, s *audit.Replicates) {
	n := len(s.Runs)
	pct := func(iv audit.Interval) string { return ivFormat(iv, n, 100, 1, "%") }
	num := func(iv audit.Interval, prec int) string { return ivFormat(iv, n, 1, prec, "") }
	seeds := make([]string, n)
	for i, x := range s.Seeds {
		seeds[i] = strconv.FormatUint(x, 10)
	}
	sets := ""
	if len(s.Sets) > 0 {
		sets = ", --set " + strings.Join(s.Sets, " ")
	}
	fmt.Fprintf(w, "Audit of %d replicates of %s (%d agents x %d days%s; seeds %s)\n", n, s.Scenario, s.Agents, s.Days, sets, strings.Join(seeds, ", "))
	for _, r := range s.Runs {
		fmt.Fprintf(w, "  %s\n", r)
	}
	fmt.Fprintf(w, "\nEvery figure is the mean over the %d replicates [95%% confidence interval, Student t\nwith %d degrees of freedom]; (n=K) marks a figure only K replicates have (a rate with no\ndenominator, a ratio against a reference rate of zero).\n\n", n, n-1)
	fmt.Fprintln(w, "Headline figures (named as in `nosedive sweep summarize`):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range s.Headline {
		var v string
		switch {
		case strings.HasSuffix(h.Name, "_score"):
			v = num(h.Interval, 1)
		case h.Name == "gini":
			v = num(h.Interval, 3)
		case h.Name == "sanctioned_without_own_violation" || h.Name == "children_blocked" || h.Name == "cascaded":
			v = num(h.Interval, 1)
		case h.Name == "association_share" || strings.HasPrefix(h.Name, "gap_"):
			v = ivFormat(h.Interval, n, 100, 1, " pts")
			if h.Name == "association_share" {
				v = pct(h.Interval)
			}
		default:
			v = pct(h.Interval)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", h.Name, v)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nReference group: %s. Ratios whose mean lies outside [0.8, 1.25] fail the four-fifths\nscreen (marked !): a screen for disparity, not a proof of it.\n", s.Reference)
	rows := append(append([]audit.ReplicateRow{}, s.Groups...), s.Intersection...)
	rows = append(rows, s.Overall)
	small := func(r audit.ReplicateRow) string {
		if r.SmallGroup {
			return " (small)"
		}
		return ""
	}
	fmt.Fprintln(w, "\nScores and tiers:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "attribute\tvalue\tpeople\tmean score\t"
	for _, t := range s.Tiers {
		hdr += t + "\t"
	}
	fmt.Fprintln(tw, hdr+"gini\t")
	for _, r := range rows {
		f := r.Figures
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t", r.Attribute, r.Value, num(f.Get("people"), 0), num(f.Get("mean_score"), 1))
		for _, t := range s.Tiers {
			line += pct(f.Get("tier_"+t)) + "\t"
		}
		fmt.Fprintln(tw, line+num(f.Get("gini"), 3)+"\t"+small(r))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nSanctions:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attribute\tvalue\tever sanctioned\tratio\tno own violation\tbroke no law\tassociation loss\tchildren blocked\t")
	for _, r := range rows {
		f := r.Figures
		ratio := "-"
		if r.Attribute != "all" && !strings.Contains(r.Attribute, "×") {
			iv := f.Get("ratio_ever_sanctioned")
			ratio = num(iv, 2)
			if iv.N > 0 && (iv.Mean < audit.FourFifths[0] || iv.Mean > audit.FourFifths[1]) {
				ratio += "!"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Attribute, r.Value, pct(f.Get("ever_sanctioned")), ratio,
			pct(f.Get("false_discovery_rate")), pct(f.Get("sanctioned_law_abiding")), pct(f.Get("association_share")),
			num(f.Get("children_blocked"), 1), small(r))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n(ratio: share ever sanctioned against the reference group's, whose mean is undefined (-)\nwhen the reference rate is zero in a replicate; no own violation: share of the sanctioned who did\nnothing penalised; broke no law: share of the sanctioned who never did anything unlawful;\nassociation loss: share of points lost through partner and acquaintance rules; small: fewer\nthan %d people in some replicate. --json has every figure of every row.)\n", s.MinGroup)
	if len(s.Conditional) > 0 {
		fmt.Fprintln(w, "\nAt equal own behaviour (gap in the share ever sanctioned vs the reference, weighted over strata):")
		for _, c := range s.Conditional {
			fmt.Fprintf(w, "  %s: %s points; score gap %s\n", c.Group, ivFormat(c.WeightedGap, n, 100, 1, ""), num(c.ScoreGap, 1))
		}
	}
	c := s.Cascade
	fmt.Fprintf(w, "\nCascades along ties: %s sanctioned, %s seeds, %s reached through a sanctioned tie\n(%s of them with no own violation); mean depth %s, max %s.\n",
		num(c.Get("sanctioned"), 1), num(c.Get("seeds"), 1), num(c.Get("cascaded"), 1), num(c.Get("cascaded_without_own_violation"), 1),
		num(c.Get("mean_depth"), 2), num(c.Get("max_depth"), 1))
	verdicts := func(v map[string]int) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			parts = append(parts, fmt.Sprintf("%s in %d of %d", k, v[k], n))
		}
		return strings.Join(parts, ", ")
	}
	a := s.Art5
	fmt.Fprintf(w, "\nEU AI Act Art. 5(1)(c):\n  (i) unrelated contexts: %s; cross-context detriment %s of sanctions.\n  (ii) disproportionate: %s; %s of sanctions disproportionate, %s without own conduct.\n",
		verdicts(s.VerdictsI), pct(a.Get("cross_context_detriment_rate")), verdicts(s.VerdictsII),
		pct(a.Get("disproportionate_share")), pct(a.Get("without_own_conduct_share")))
	if len(s.Worst) > 0 {
		fmt.Fprintln(w, "\nWorst-treated subgroups (share ever sanctioned, over the replicates that list the subgroup among their worst):")
		for i, r := range s.Worst {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  %s = %s: %s of %s people; listed in %d of %d\n", r.Attribute, r.Value, pct(r.Ever), num(r.People, 0), r.Listed, n)
		}
	}
}
