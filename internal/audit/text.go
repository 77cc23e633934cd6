package audit

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// This file holds the plain-text forms of the audit's results, as the
// commands print them: tables for people, aligned with text/tabwriter.
// The JSON forms are the types themselves.

// stickyWriter keeps the first write error, so that a formatter can write
// freely and report the error once at the end.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

func (s *stickyWriter) flush(tw *tabwriter.Writer) {
	if err := tw.Flush(); err != nil && s.err == nil {
		s.err = err
	}
}

// WriteText writes a single-run audit as `nosedive audit RUN` prints it:
// the headline findings, the table by group (tiers, sanctions, disparity
// against the reference group), and the sections that follow it.
func WriteText(out io.Writer, rep *Report) error {
	w := &stickyWriter{w: out}
	fmt.Fprintf(w, "Audit of %s (%s, %d agents x %d days, seed %d)\n\n", rep.Run, rep.Scenario, rep.Agents, rep.Days, rep.Seed)
	for _, h := range rep.Headline {
		fmt.Fprintf(w, "  * %s\n", h)
	}
	fmt.Fprintf(w, "\nReference group: %s (%s). Ratios outside [0.8, 1.25] fail the four-fifths\nscreen (marked !): a screen for disparity, not a proof of it.\n\n", rep.Reference, rep.ReferenceWhy)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if len(rep.Groups) == 0 {
		return w.err
	}
	hdr := "attribute\tvalue\tn\tmean score\t"
	for _, t := range rep.Groups[0].Tiers {
		hdr += t.Name + "\t"
	}
	hdr += "ever sanctioned\tratio\tno own violation\tbroke no law\tassociation loss\tchildren blocked\tgini\t"
	fmt.Fprintln(tw, hdr)
	rows := append(append([]Row{}, rep.Groups...), rep.Intersections...)
	rows = append(rows, rep.Overall)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%d\t%.1f\t", r.Attribute, r.Value, r.N, r.MeanScore)
		for _, t := range r.Tiers {
			line += textPct(t.Figure) + "\t"
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
		line += fmt.Sprintf("%s\t%s\t%s\t%s\t%.0f%%\t%d\t%.3f\t%s", textPct(r.Ever), ratio, textPct(r.FalseDiscoveryRate), textPct(r.LawAbiding),
			100*r.Loss.AssociationShare, r.ChildrenBlocked, r.Gini, small)
		fmt.Fprintln(tw, line)
	}
	w.flush(tw)
	fmt.Fprintf(w, "\n(no own violation: share of the sanctioned who did nothing penalised; broke no law: share of the\nsanctioned who never did anything the scenario declares unlawful; association loss: share of\npoints lost through partner and acquaintance rules; small: fewer than %d people)\n", rep.MinGroup)

	if len(rep.Conditional) > 0 {
		fmt.Fprintln(w, "\nAt equal own behaviour (gap in the share ever sanctioned vs the reference, weighted over strata):")
		for _, c := range rep.Conditional {
			fmt.Fprintf(w, "  %s: %+.1f points; score gap %+.1f\n", c.Group, 100*c.WeightedGap, c.ScoreGap)
		}
	}
	writePrivilegesText(w, rows)
	writeScoresText(w, rep.Groups, rep.Reference)
	c := rep.Cascade
	fmt.Fprintf(w, "\nCascades along ties: %d sanctioned, %d seeds, %d reached through a sanctioned tie (%d of them with no own violation); mean depth %.2f, max %d.\n",
		c.Sanctioned, c.Seeds, c.Cascaded, c.CascadedNoViolation, c.MeanDepth, c.MaxDepth)
	a := rep.Art5
	fmt.Fprintf(w, "\nEU AI Act Art. 5(1)(c):\n  (i) unrelated contexts: %s. %s\n  (ii) disproportionate: %s. %s\n",
		a.VerdictI, a.EvidenceI, a.VerdictII, a.EvidenceII)
	if len(rep.Worst) > 0 {
		fmt.Fprintln(w, "\nWorst-treated subgroups (share ever sanctioned):")
		for _, r := range rep.Worst {
			fmt.Fprintf(w, "  %s = %s: %s of %d\n", r.Attribute, r.Value, textPct(r.Ever), r.N)
		}
	}
	if len(rep.Chilling) > 0 {
		fmt.Fprintln(w, "\nChilling (lawful penalised behaviour, vs the same people without the regime):")
		for _, c := range rep.Chilling {
			fmt.Fprintf(w, "  %s: %.1f%% less over the run (first %d days %.1f%%, last %d days %.1f%%); %d vs %d events\n",
				c.Behaviour, 100*c.Drop, ChillWindow, 100*c.Immediate, ChillWindow, 100*c.Final, c.Regime, c.Twin)
		}
	}
	writeInstitutionsText(w, rep)
	for _, ab := range rep.Ablations {
		var parts []string
		for _, k := range []string{MetricGap, MetricEver, MetricFalse, MetricChildren} {
			parts = append(parts, fmt.Sprintf("%s %+.4g", k, ab.Effect[k]))
		}
		fmt.Fprintf(w, "\nRule %s adds: %s\n", ab.Rule, strings.Join(parts, ", "))
	}
	return w.err
}

// textPct prints a share as a percentage with one decimal, "-" with no
// value.
func textPct(f Figure) string {
	if math.IsNaN(float64(f.Value)) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(f.Value))
}

// WriteReplicatesText writes the summary of replicate runs as
// `nosedive audit RUN RUN...` prints it: every figure as "mean [lo, hi]".
func WriteReplicatesText(out io.Writer, s *Replicates) error {
	w := &stickyWriter{w: out}
	n := len(s.Runs)
	pct := func(iv Interval) string { return textInterval(iv.clip(Share), n, 100, 1, "%") }
	num := func(iv Interval, prec int) string { return textInterval(iv, n, 1, prec, "") }
	count := func(iv Interval) string { return textInterval(iv.clip(Count), n, 1, 1, "") }
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
		fmt.Fprintf(tw, "  %s\t%s\n", h.Name, FormatInterval(h.Interval, n, h.Name))
	}
	w.flush(tw)
	fmt.Fprintf(w, "\nReference group: %s. Ratios whose mean lies outside [0.8, 1.25] fail the four-fifths\nscreen (marked !): a screen for disparity, not a proof of it.\n", s.Reference)
	rows := append(append([]ReplicateRow{}, s.Groups...), s.Intersection...)
	rows = append(rows, s.Overall)
	small := func(r ReplicateRow) string {
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
	w.flush(tw)
	fmt.Fprintln(w, "\nSanctions:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attribute\tvalue\tever sanctioned\tratio\tno own violation\tbroke no law\tassociation loss\tchildren blocked\t")
	for _, r := range rows {
		f := r.Figures
		ratio := "-"
		if r.Attribute != "all" && !strings.Contains(r.Attribute, "×") {
			iv := f.Get("ratio_ever_sanctioned")
			ratio = num(iv, 2)
			if iv.N > 0 && (iv.Mean < FourFifths[0] || iv.Mean > FourFifths[1]) {
				ratio += "!"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Attribute, r.Value, pct(f.Get("ever_sanctioned")), ratio,
			pct(f.Get("false_discovery_rate")), pct(f.Get("sanctioned_law_abiding")), pct(f.Get("association_share")),
			count(f.Get("children_blocked")), small(r))
	}
	w.flush(tw)
	fmt.Fprintf(w, "\n(ratio: share ever sanctioned against the reference group's, whose mean is undefined (-)\nwhen the reference rate is zero in a replicate; no own violation: share of the sanctioned who did\nnothing penalised; broke no law: share of the sanctioned who never did anything unlawful;\nassociation loss: share of points lost through partner and acquaintance rules; small: fewer\nthan %d people in some replicate. --json has every figure of every row.)\n", s.MinGroup)
	if len(s.Conditional) > 0 {
		fmt.Fprintln(w, "\nAt equal own behaviour (gap in the share ever sanctioned vs the reference, weighted over strata):")
		for _, c := range s.Conditional {
			fmt.Fprintf(w, "  %s: %s points; score gap %s\n", c.Group, textInterval(c.WeightedGap, n, 100, 1, ""), num(c.ScoreGap, 1))
		}
	}
	c := s.Cascade
	fmt.Fprintf(w, "\nCascades along ties: %s sanctioned, %s seeds, %s reached through a sanctioned tie\n(%s of them with no own violation); mean depth %s, max %s.\n",
		count(c.Get("sanctioned")), count(c.Get("seeds")), count(c.Get("cascaded")), count(c.Get("cascaded_without_own_violation")),
		textInterval(c.Get("mean_depth").clip(Count), n, 1, 2, ""), count(c.Get("max_depth")))
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
	return w.err
}

// textInterval prints an interval as "mean [lo, hi]" with the given scale and
// precision, "-" with no value, and "(n=K)" when fewer replicates than
// total had a value.
// FormatInterval prints a headline figure's mean over total replicates
// with its 95% interval, in the figure's unit (a percentage, percentage
// points, a count, a score) and clipped to the range it can take.
func FormatInterval(iv Interval, total int, name string) string {
	k, ok := HeadlineKind(name)
	if !ok { // not a headline figure: four significant digits
		f := func(x Num) string { return strconv.FormatFloat(float64(x), 'g', 4, 64) }
		if iv.N == 0 {
			return "-"
		}
		s := f(iv.Mean)
		if iv.N >= 2 {
			s += " [" + f(iv.Lo) + ", " + f(iv.Hi) + "]"
		}
		if iv.N < total {
			s += fmt.Sprintf(" (n=%d)", iv.N)
		}
		return s
	}
	iv = iv.clip(k)
	switch k {
	case Share:
		return textInterval(iv, total, 100, 1, "%")
	case Gap:
		return textInterval(iv, total, 100, 1, " pts")
	case Index:
		return textInterval(iv, total, 1, 3, "")
	}
	return textInterval(iv, total, 1, 1, "")
}

// clip narrows the interval to the range a figure of kind k can take.
func (iv Interval) clip(k Kind) Interval {
	lo, hi := k.Bounds()
	iv.Lo = Num(math.Min(math.Max(float64(iv.Lo), lo), hi))
	iv.Hi = Num(math.Min(math.Max(float64(iv.Hi), lo), hi))
	return iv
}

func textInterval(iv Interval, total int, scale float64, prec int, unit string) string {
	if iv.N == 0 {
		return "-"
	}
	f := func(x Num) string { return strconv.FormatFloat(scale*float64(x), 'f', prec, 64) }
	s := f(iv.Mean) + unit
	if iv.N >= 2 {
		s += " [" + f(iv.Lo) + ", " + f(iv.Hi) + "]"
	}
	if iv.N < total {
		s += fmt.Sprintf(" (n=%d)", iv.N)
	}
	return s
}

// WriteExplanationText writes one citizen's explanation as `nosedive
// explain` prints it.
func WriteExplanationText(out io.Writer, x *Explanation) error {
	w := &stickyWriter{w: out}
	fmt.Fprintf(w, "Citizen %d of run %s, after day %d\n\n", x.Agent, x.Run, x.Day)
	traits := "none"
	if len(x.Traits) > 0 {
		traits = strings.Join(x.Traits, ", ")
	}
	partner := "none"
	if x.Partner >= 0 {
		partner = fmt.Sprint(x.Partner)
	}
	fmt.Fprintf(w, "  region %s, group %s, age %s; traits: %s; school-age children: %d; partner: %s\n",
		x.Region, x.Group, x.Age, traits, x.Children, partner)
	status := fmt.Sprintf("  score %.1f, tier %s", x.Score, x.Tier)
	if x.Threshold != nil {
		status += fmt.Sprintf(" (%s starts at %.0f)", x.NextTier, *x.Threshold)
	}
	if x.Detained {
		status += "; DETAINED"
	}
	if len(x.Flags) > 0 {
		status += "; flagged " + strings.Join(x.Flags, ", ")
	}
	fmt.Fprintln(w, status)
	if len(x.Sanctions) > 0 {
		fmt.Fprintln(w, "\nSanctions:")
		for _, s := range x.Sanctions {
			end := "still in force"
			if s.End >= 0 {
				end = fmt.Sprintf("lifted on day %d", s.End)
			}
			fmt.Fprintf(w, "  %s (%s) from day %d, %s\n", s.Name, s.Context, s.Start, end)
		}
	}
	if len(x.TierChanges) > 0 {
		fmt.Fprintln(w, "\nTier changes:")
		for _, t := range x.TierChanges {
			fmt.Fprintf(w, "  day %d: %s -> %s\n", t.Day, t.From, t.To)
		}
	}
	fmt.Fprintf(w, "\nWhy the score is %.1f (baseline + contributions, exact):\n", x.Score)
	fmt.Fprintf(w, "  %10.1f  starting score\n", x.BaseValue)
	for _, c := range x.Contributions {
		who := c.Origin
		if len(c.Via) > 0 && len(c.Via) <= 5 {
			who += fmt.Sprintf(" %v", c.Via)
		}
		fmt.Fprintf(w, "  %+10.1f  %s (%d times; %s; data from %s)\n", c.Points, c.Rule, c.Times, who, c.SourceContext)
	}
	fmt.Fprintf(w, "  %10.1f  total\n", x.Sum)
	if len(x.PrincipalReasons) > 0 {
		fmt.Fprintf(w, "\nPrincipal reasons (reference: %s):\n", x.Reference)
		for _, r := range x.PrincipalReasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	if len(x.Counterfactuals) > 0 {
		fmt.Fprintln(w, "\nWhat single change would have changed the tier (everything else held fixed):")
		for _, c := range x.Counterfactuals {
			fmt.Fprintf(w, "  %s: %.1f points, %s\n", c.Change, c.NewScore, c.NewTier)
		}
	}
	if len(x.Events) > 0 {
		fmt.Fprintln(w, "\nWhat the citizen did (attempted / blocked / seen by the regime):")
		for _, e := range x.Events {
			fmt.Fprintf(w, "  %s: %d / %d / %d\n", e.Behaviour, e.Attempted, e.Blocked, e.Detected)
		}
	}
	return w.err
}

// FormatFigure prints one value of a headline figure (a mean, an sd, a
// minimum) in the figure's unit, as FormatInterval prints its mean; "n/a"
// for NaN.
func FormatFigure(x float64, name string) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	k, ok := HeadlineKind(name)
	switch {
	case !ok:
		return strconv.FormatFloat(x, 'g', 4, 64)
	case k == Share:
		return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
	case k == Gap:
		return strconv.FormatFloat(100*x, 'f', 1, 64) + " pts"
	case k == Index:
		return strconv.FormatFloat(x, 'f', 3, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}
