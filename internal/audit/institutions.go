package audit

// The institutions' decisions (institutions.parquet, docs/store-format.md)
// and the change of the mean score over the run: the figures of Liu et
// al., "Delayed Impact of Fair Machine Learning" (ICML 2018), selection
// rate, true-positive rate, threshold and utility per group, and the
// change of each group's mean score (the paper's Delta mu).
// docs/metrics.md#institutions defines them.

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// Institution is the audit of one institution's decisions.
type Institution struct {
	Name   string  `json:"name"`
	Policy string  `json:"policy"`
	By     string  `json:"by"`
	Gain   float64 `json:"gain"`
	Loss   float64 `json:"loss"`
	// Decisions is the number of decision days; LastDay the day value of
	// the last one (as in daily.day), -1 without any.
	Decisions int `json:"decisions"`
	LastDay   int `json:"last_day"`
	// Reference is the category the disparities compare against, and why.
	Reference    string                `json:"reference_category"`
	ReferenceWhy string                `json:"reference_rule"`
	Categories   []InstitutionCategory `json:"categories"`
	// All is every category together: counts and utilities summed, the
	// selection rate weighted by applicants and the TPR by expected
	// successes; it has no threshold.
	All InstitutionCategory `json:"all"`
}

// InstitutionCategory is one category's (group's, region's) figures:
// its last decision, the run's decisions together, and the disparities
// against the reference category.
type InstitutionCategory struct {
	Category    string              `json:"category"`
	Last        InstitutionDecision `json:"last_decision"`
	Run         InstitutionRun      `json:"over_the_run"`
	Disparities []Disparity         `json:"disparities,omitempty"`
}

// InstitutionDecision is one decision for one category. A rate with no
// one to count (no applicants; no expected successes for the TPR) and the
// threshold of a category without applicants are null.
type InstitutionDecision struct {
	Day        int   `json:"day"`
	Applicants int64 `json:"applicants"`
	Approved   int64 `json:"approved"`
	Successes  int64 `json:"successes"`
	Failures   int64 `json:"failures"`
	// SelectionRate and TPR are the policy's (from the believed
	// probabilities and the boundary probability, as the paper's); the
	// realised share approved is ApprovalRate.
	SelectionRate     Num     `json:"selection_rate"`
	ApprovalRate      Figure  `json:"approval_rate"`
	TPR               Num     `json:"tpr"`
	Threshold         Num     `json:"threshold"`
	Boundary          Num     `json:"boundary"`
	ExpectedSuccesses float64 `json:"expected_successes"`
	ExpectedUtility   float64 `json:"expected_utility"`
	Utility           float64 `json:"utility"`
}

// InstitutionRun is every decision of the run for one category together.
type InstitutionRun struct {
	Applicants int64 `json:"applicants"`
	Approved   int64 `json:"approved"`
	Successes  int64 `json:"successes"`
	Failures   int64 `json:"failures"`
	// ApprovalRate is approved / applicants over the run, SuccessRate
	// successes / approved.
	ApprovalRate Figure `json:"approval_rate"`
	SuccessRate  Figure `json:"success_rate"`
	// MeanSelectionRate is the mean of the policy's selection rates over
	// the decisions that had applicants.
	MeanSelectionRate Num     `json:"mean_selection_rate"`
	ExpectedUtility   float64 `json:"expected_utility"`
	Utility           float64 `json:"utility"`
}

// institutionsOf audits the decisions in the run's institutions.parquet;
// nil when the scenario has no institutions. reference is --reference:
// it is used when it names a category.
func (r *Run) institutionsOf(reference string) ([]Institution, error) {
	m := r.Manifest
	if len(m.Institutions) == 0 {
		return nil, nil
	}
	path := filepath.Join(r.Dir, store.InstitutionsFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("audit: %s has institutions but no %s: %w", r.Dir, store.InstitutionsFile, err)
	}
	t, err := store.ReadTable(path)
	if err != nil {
		return nil, err
	}
	return auditInstitutions(m.Institutions, t, reference)
}

// auditInstitutions computes the figures of each institution from the
// rows of institutions.parquet.
func auditInstitutions(infos []store.InstitutionInfo, t *store.Table, reference string) ([]Institution, error) {
	for _, c := range []string{"day", "institution", "category", "threshold", "boundary", "applicants", "approved", "successes",
		"failures", "selection_rate", "tpr", "expected_successes", "expected_utility", "utility"} {
		if !t.Has(c) {
			return nil, fmt.Errorf("audit: %s has no column %s", store.InstitutionsFile, c)
		}
	}
	col := func(n string) *store.Column { return t.Cols[n] }
	day, inst, cat := col("day").Int, col("institution").Str, col("category").Str
	out := make([]Institution, len(infos))
	for k, x := range infos {
		in := Institution{Name: x.Name, Policy: x.Policy, By: x.By, Gain: x.Gain, Loss: x.Loss, LastDay: -1}
		in.Categories = make([]InstitutionCategory, len(x.Categories))
		for c, name := range x.Categories {
			nan := Num(math.NaN())
			in.Categories[c] = InstitutionCategory{Category: name, Last: InstitutionDecision{Day: -1, SelectionRate: nan,
				ApprovalRate: rate(0, 0), TPR: nan, Threshold: nan, Boundary: nan}}
		}
		days := map[int64]bool{}
		sel := make([][]float64, len(x.Categories)) // policy selection rates of decisions with applicants
		for i := range t.Rows {
			if inst[i] != x.Name {
				continue
			}
			c := slices.Index(x.Categories, cat[i])
			if c < 0 {
				return nil, fmt.Errorf("audit: %s: institution %s has no category %q", store.InstitutionsFile, x.Name, cat[i])
			}
			d := InstitutionDecision{Day: int(day[i]), Applicants: col("applicants").Int[i], Approved: col("approved").Int[i],
				Successes: col("successes").Int[i], Failures: col("failures").Int[i],
				SelectionRate: Num(col("selection_rate").Float[i]), TPR: Num(col("tpr").Float[i]),
				Threshold: Num(col("threshold").Float[i]), Boundary: Num(col("boundary").Float[i]),
				ExpectedSuccesses: col("expected_successes").Float[i], ExpectedUtility: col("expected_utility").Float[i],
				Utility: col("utility").Float[i]}
			d.ApprovalRate = rate(d.Approved, d.Applicants)
			if d.Applicants == 0 {
				d.SelectionRate, d.Boundary = Num(math.NaN()), Num(math.NaN())
				if math.IsInf(float64(d.Threshold), 0) {
					d.Threshold = Num(math.NaN())
				}
			}
			if !(d.ExpectedSuccesses > 0) {
				d.TPR = Num(math.NaN()) // stored as 0: there is nothing to be a share of
			}
			days[day[i]] = true
			in.LastDay = max(in.LastDay, int(day[i]))
			ic := &in.Categories[c]
			if d.Day >= ic.Last.Day {
				ic.Last = d
			}
			ru := &ic.Run
			ru.Applicants += d.Applicants
			ru.Approved += d.Approved
			ru.Successes += d.Successes
			ru.Failures += d.Failures
			ru.ExpectedUtility += d.ExpectedUtility
			ru.Utility += d.Utility
			if d.Applicants > 0 {
				sel[c] = append(sel[c], float64(d.SelectionRate))
			}
		}
		in.Decisions = len(days)
		for c := range in.Categories {
			ru := &in.Categories[c].Run
			ru.ApprovalRate, ru.SuccessRate = rate(ru.Approved, ru.Applicants), rate(ru.Successes, ru.Approved)
			ru.MeanSelectionRate = Num(mean(sel[c]))
		}
		in.All = allCategories(in.Categories, sel)
		in.Reference, in.ReferenceWhy = institutionReference(in.Categories, reference)
		if ref := slices.IndexFunc(in.Categories, func(c InstitutionCategory) bool { return c.Category == in.Reference }); ref >= 0 {
			for c := range in.Categories {
				in.Categories[c].Disparities = institutionDisparities(in.Categories[c], in.Categories[ref])
			}
		}
		out[k] = in
	}
	return out, nil
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// allCategories sums the categories: the last decision's selection rate
// weighted by applicants, its TPR by expected successes.
func allCategories(cs []InstitutionCategory, sel [][]float64) InstitutionCategory {
	a := InstitutionCategory{Category: "all", Last: InstitutionDecision{Day: -1}}
	var sr, tpr float64
	var all []float64
	for c, x := range cs {
		l := &a.Last
		l.Day = max(l.Day, x.Last.Day)
		l.Applicants += x.Last.Applicants
		l.Approved += x.Last.Approved
		l.Successes += x.Last.Successes
		l.Failures += x.Last.Failures
		l.ExpectedSuccesses += x.Last.ExpectedSuccesses
		l.ExpectedUtility += x.Last.ExpectedUtility
		l.Utility += x.Last.Utility
		if x.Last.Applicants > 0 {
			sr += float64(float64(x.Last.SelectionRate) * float64(x.Last.Applicants))
		}
		if x.Last.ExpectedSuccesses > 0 {
			tpr += float64(float64(x.Last.TPR) * x.Last.ExpectedSuccesses)
		}
		ru := &a.Run
		ru.Applicants += x.Run.Applicants
		ru.Approved += x.Run.Approved
		ru.Successes += x.Run.Successes
		ru.Failures += x.Run.Failures
		ru.ExpectedUtility += x.Run.ExpectedUtility
		ru.Utility += x.Run.Utility
		all = append(all, sel[c]...)
	}
	l := &a.Last
	l.SelectionRate, l.TPR, l.Threshold, l.Boundary = Num(math.NaN()), Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	if l.Applicants > 0 {
		l.SelectionRate = Num(sr / float64(l.Applicants))
	}
	if l.ExpectedSuccesses > 0 {
		l.TPR = Num(tpr / l.ExpectedSuccesses)
	}
	l.ApprovalRate = rate(l.Approved, l.Applicants)
	ru := &a.Run
	ru.ApprovalRate, ru.SuccessRate = rate(ru.Approved, ru.Applicants), rate(ru.Successes, ru.Approved)
	ru.MeanSelectionRate = Num(math.NaN()) // a mean over categories and days would weigh days, not people
	return a
}

// institutionReference picks the category the disparities compare
// against: the one --reference names, else the most favoured, the one
// with the highest selection rate at the last decision (the four-fifths
// rule's reference), the first among equals.
func institutionReference(cs []InstitutionCategory, named string) (string, string) {
	for _, c := range cs {
		if named != "" && c.Category == named {
			return c.Category, "chosen with --reference"
		}
	}
	best := -1
	for k, c := range cs {
		v := float64(c.Last.SelectionRate)
		if math.IsNaN(v) {
			continue
		}
		if best < 0 || v > float64(cs[best].Last.SelectionRate) {
			best = k
		}
	}
	if best < 0 {
		return "", "no category had applicants at the last decision"
	}
	return cs[best].Category, "most favoured: highest selection rate at the last decision"
}

// institutionDisparities compares a category with the reference on the
// last decision's selection rate and TPR and the run's approval rate; a
// lower rate is worse.
func institutionDisparities(c, ref InstitutionCategory) []Disparity {
	share := func(x Num, defined bool) Figure {
		if !defined {
			return Figure{Value: Num(math.NaN())}
		}
		return Figure{Value: x, Denominator: 1}
	}
	return []Disparity{
		compareRates("selection_rate", share(c.Last.SelectionRate, c.Last.Applicants > 0), share(ref.Last.SelectionRate, ref.Last.Applicants > 0), false),
		compareRates("tpr", share(c.Last.TPR, c.Last.ExpectedSuccesses > 0), share(ref.Last.TPR, ref.Last.ExpectedSuccesses > 0), false),
		compareRates("run_approval_rate", c.Run.ApprovalRate, ref.Run.ApprovalRate, false),
	}
}

// compareRates is the disparity of rate a against the reference rate b:
// their ratio and difference, undefined (null ratio) when a denominator
// is empty, both rates are 0, or only the reference rate is 0 (the ratio
// is unbounded, flagged outside the band). Only the denominator's being
// empty matters (Denominator 0), not its size.
func compareRates(metric string, a, b Figure, higherIsWorse bool) Disparity {
	d := Disparity{Metric: metric, Rate: a.Value, Reference: b.Value, Difference: a.Value - b.Value, HigherIsWors: higherIsWorse}
	switch {
	case a.Denominator == 0 && b.Denominator == 0:
		d.Undefined = "no one in either denominator"
	case a.Denominator == 0:
		d.Undefined = "no one in this group's denominator"
	case b.Denominator == 0:
		d.Undefined = "no one in the reference group's denominator"
	case b.Value == 0 && a.Value == 0:
		d.Undefined = "both rates are 0"
	case b.Value == 0:
		d.Undefined = "the reference rate is 0: the ratio is unbounded"
		d.OutsideBand = true
	}
	if d.Undefined != "" {
		d.Ratio = Num(math.NaN())
		if a.Denominator == 0 || b.Denominator == 0 {
			d.Difference = Num(math.NaN())
		}
	} else {
		d.Ratio = a.Value / b.Value
		d.OutsideBand = d.Ratio < FourFifths[0] || d.Ratio > FourFifths[1]
	}
	return d
}

// scoreChanges fills each row's ScoreChange (the mean score at the end
// minus the mean score on day 0, over the same people) from the daily
// table, whose cells are region x group: rows of everyone, of a group, of
// a region and of a group in a region have one; rows of other attributes
// are left NaN.
func (r *Run) scoreChanges(rep *Report) {
	t := r.Daily
	if t == nil || t.Rows == 0 || !t.Has("score_mean") || !t.Has("agents") {
		return
	}
	days, regions, groups := t.Cols["day"].Int, t.Cols["region"].Str, t.Cols["group"].Str
	mean, agents := t.Cols["score_mean"].Float, t.Cols["agents"].Int
	first, last := slices.Min(days), slices.Max(days)
	change := func(in func(region, group string) bool) Num {
		var n0, n1 int64
		var s0, s1 float64
		for i := range t.Rows {
			if agents[i] == 0 || !in(regions[i], groups[i]) {
				continue
			}
			switch days[i] {
			case first:
				n0 += agents[i]
				s0 += float64(mean[i] * float64(agents[i]))
			case last:
				n1 += agents[i]
				s1 += float64(mean[i] * float64(agents[i]))
			}
		}
		if n0 == 0 || n1 == 0 {
			return Num(math.NaN())
		}
		return Num(s1/float64(n1) - s0/float64(n0))
	}
	set := func(row *Row) {
		row.ScoreChange = Num(math.NaN())
		switch row.Attribute {
		case "all":
			row.ScoreChange = change(func(string, string) bool { return true })
		case "group":
			row.ScoreChange = change(func(_, g string) bool { return g == row.Value })
		case "region":
			row.ScoreChange = change(func(reg, _ string) bool { return reg == row.Value })
		case "group×region", "region×group":
			a, b, _ := cutCross(row.Value)
			if row.Attribute == "region×group" {
				a, b = b, a
			}
			row.ScoreChange = change(func(reg, g string) bool { return g == a && reg == b })
		}
	}
	set(&rep.Overall)
	for i := range rep.Groups {
		set(&rep.Groups[i])
	}
	for i := range rep.Intersections {
		set(&rep.Intersections[i])
	}
	for i := range rep.Worst {
		set(&rep.Worst[i])
	}
}

// cutCross splits "a×b".
func cutCross(s string) (string, string, bool) {
	for i, c := range s {
		if c == '×' {
			return s[:i], s[i+len("×"):], true
		}
	}
	return s, "", false
}

// writeInstitutionsText writes each institution's last decision by
// category, as `nosedive audit RUN` prints it.
func writeInstitutionsText(w *stickyWriter, rep *Report) {
	num := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "-"
		}
		return fmt.Sprintf("%.1f", x)
	}
	share := func(x Num) string { return textPct(Figure{Value: x}) }
	for _, in := range rep.Institutions {
		fmt.Fprintf(w, "\nInstitution %s (policy %s, thresholds by %s, gain %g, loss %g): %d decisions, the last on day %d; reference %s %s (%s).\n",
			in.Name, in.Policy, in.By, in.Gain, in.Loss, in.Decisions, in.LastDay, in.By, in.Reference, in.ReferenceWhy)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, in.By+"\tapplicants\tthreshold\tboundary\tselection rate\tratio\tTPR\tapproved\tsucceeded\texpected utility\tutility\tscore change\tapproved over run\tutility over run\t")
		rows := append(slices.Clone(in.Categories), in.All)
		for k, c := range rows {
			l := c.Last
			ratio := "-"
			for _, d := range c.Disparities {
				switch {
				case d.Metric != "selection_rate":
				case d.Undefined == "":
					ratio = fmt.Sprintf("%.2f", float64(d.Ratio))
					if d.OutsideBand {
						ratio += "!"
					}
				case d.OutsideBand:
					ratio = "unbounded!"
				}
			}
			change := math.NaN()
			switch {
			case k == len(rows)-1:
				change = float64(rep.Overall.ScoreChange)
			case in.By == "group":
				for _, g := range rep.Groups {
					if g.Attribute == "group" && g.Value == c.Category {
						change = float64(g.ScoreChange)
					}
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", c.Category, l.Applicants, num(float64(l.Threshold)),
				share(l.Boundary), share(l.SelectionRate), ratio, share(l.TPR), l.Approved, l.Successes, num(l.ExpectedUtility), num(l.Utility),
				num(change), textPct(c.Run.ApprovalRate), num(c.Run.Utility))
		}
		w.flush(tw)
	}
	if len(rep.Institutions) > 0 {
		fmt.Fprintln(w, "(the last decision's figures; selection rate and TPR are the policy's, approved and succeeded what happened;\nscore change: mean score at the end minus on day 0; ratio: selection rate against the reference, ! outside [0.8, 1.25])")
	}
}
