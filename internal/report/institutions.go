package report

// The institutions section of a run's report: per institution, its last
// decision by category (threshold, selection rate and its ratio to the
// reference category, TPR, utility) as a table, with charts over the
// decision days when it decided more than once, and a sentence for each
// figure that says what it is.

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// InstSection is one institution's part of the report.
type InstSection struct {
	ID, Name, Policy, By string
	Decisions, LastDay   int
	Sentences            []string
	Charts               []*Chart
	Header               []string
	Rows                 [][]string
}

// instSeries are an institution's decisions per category over its
// decision days, from institutions.parquet.
type instSeries struct {
	days                      []float64
	threshold, selection, tpr [][]float64 // [category][decision]
	expected, utility         []float64   // summed over categories, per decision
}

func readInstSeries(dir string, in audit.Institution) (*instSeries, error) {
	t, err := store.ReadTable(filepath.Join(dir, store.InstitutionsFile))
	if err != nil {
		return nil, err
	}
	cats := make([]string, len(in.Categories))
	for k, c := range in.Categories {
		cats[k] = c.Category
	}
	s := &instSeries{threshold: make([][]float64, len(cats)), selection: make([][]float64, len(cats)), tpr: make([][]float64, len(cats))}
	col := func(n string) *store.Column { return t.Cols[n] }
	for i := range t.Rows {
		if col("institution").Str[i] != in.Name {
			continue
		}
		day := float64(col("day").Int[i])
		if n := len(s.days); n == 0 || s.days[n-1] != day {
			s.days = append(s.days, day)
			s.expected, s.utility = append(s.expected, 0), append(s.utility, 0)
			for k := range cats {
				s.threshold[k] = append(s.threshold[k], math.NaN())
				s.selection[k] = append(s.selection[k], math.NaN())
				s.tpr[k] = append(s.tpr[k], math.NaN())
			}
		}
		d := len(s.days) - 1
		k := slices.Index(cats, col("category").Str[i])
		if k < 0 {
			continue
		}
		if col("applicants").Int[i] > 0 {
			s.threshold[k][d] = col("threshold").Float[i]
			s.selection[k][d] = col("selection_rate").Float[i]
		}
		if col("expected_successes").Float[i] > 0 {
			s.tpr[k][d] = col("tpr").Float[i]
		}
		s.expected[d] += col("expected_utility").Float[i]
		s.utility[d] += col("utility").Float[i]
	}
	return s, nil
}

// institutionSections builds the sections of the run's institutions.
func institutionSections(pg *Page) ([]InstSection, error) {
	var out []InstSection
	for k, in := range pg.A.Institutions {
		sec := InstSection{ID: fmt.Sprintf("inst-%d", k), Name: in.Name, Policy: in.Policy, By: in.By, Decisions: in.Decisions, LastDay: in.LastDay}
		sec.Sentences = instSentences(pg.A, in)
		sec.Header, sec.Rows = instTable(pg.A, in)
		if in.Decisions > 1 && pg.In.Run != nil {
			s, err := readInstSeries(pg.In.Run.Dir, in)
			if err != nil {
				return nil, err
			}
			charts := instCharts(sec.ID, in, s)
			for _, c := range charts {
				c.InSection = true
				if err := c.finish(); err != nil {
					return nil, err
				}
			}
			sec.Charts = charts
			pg.Charts = append(pg.Charts, charts...)
		}
		out = append(out, sec)
	}
	return out, nil
}

func instCharts(id string, in audit.Institution, s *instSeries) []*Chart {
	by := in.By
	thr := newPlot(fmt.Sprintf("Threshold of %s per %s at each decision (applicants ranked above it are approved)", in.Name, by), "day", "threshold (ranking value)")
	sel := newPlot(fmt.Sprintf("Selection rate (solid) and true-positive rate (dashed) of %s per %s at each decision", in.Name, by), "day", "share (%)")
	var thrParts, selParts []string
	last := len(s.days) - 1
	for k, c := range in.Categories {
		col, dash := style(k)
		line(thr, s.days, s.threshold[k], col, dash, by+" "+c.Category)
		pc := make([]float64, len(s.days))
		pt := make([]float64, len(s.days))
		for d := range s.days {
			pc[d], pt[d] = 100*s.selection[k][d], 100*s.tpr[k][d]
		}
		line(sel, s.days, pc, col, solid, "selection rate, "+by+" "+c.Category)
		line(sel, s.days, pt, col, dashed, "TPR, "+by+" "+c.Category)
		thrParts = append(thrParts, fmt.Sprintf("%s %s from %s to %s", by, c.Category, fnum(s.threshold[k][0]), fnum(s.threshold[k][last])))
		selParts = append(selParts, fmt.Sprintf("%s %s from %s to %s", by, c.Category, fpct(s.selection[k][0]), fpct(s.selection[k][last])))
	}
	sel.Y.Min, sel.Y.Max = 0, 100
	ut := newPlot(fmt.Sprintf("Utility of %s at each decision: expected from its beliefs (solid) and realised (dashed), all %ss together", in.Name, by), "day", "utility")
	line(ut, s.days, s.expected, colour(0), solid, "expected utility")
	line(ut, s.days, s.utility, colour(1), dashed, "realised utility")
	var sumE, sumU float64
	for d := range s.days {
		sumE += s.expected[d]
		sumU += s.utility[d]
	}
	days := fmt.Sprintf("over %d decisions from day %d to day %d", len(s.days), int(s.days[0]), int(s.days[last]))
	return []*Chart{
		{ID: id + "-threshold", Title: "Thresholds over time", Reading: fmt.Sprintf("The threshold moved %s: %s.", days, strings.Join(thrParts, "; ")), plot: thr},
		{ID: id + "-selection", Title: "Selection rates over time", Reading: fmt.Sprintf("The selection rate moved %s: %s.", days, strings.Join(selParts, "; ")), plot: sel},
		{ID: id + "-utility", Title: "Utility over time", Reading: fmt.Sprintf("Summed %s, the expected utility was %s and the realised %s.", days, fnum(sumE), fnum(sumU)), plot: ut},
	}
}

// fnum and fpct print a figure, "n/a" when it is undefined.
func fnum(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", x)
}

func fpct(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

func disparity(c audit.InstitutionCategory, metric string) *audit.Disparity {
	for k := range c.Disparities {
		if c.Disparities[k].Metric == metric {
			return &c.Disparities[k]
		}
	}
	return nil
}

func instTable(rep *audit.Report, in audit.Institution) ([]string, [][]string) {
	hdr := []string{in.By, "applicants", "threshold", "at-threshold approval", "selection rate", "ratio vs " + in.Reference, "TPR", "approved (succeeded)", "expected utility", "utility"}
	if in.By == "group" {
		hdr = append(hdr, "score change")
	}
	if in.Decisions > 1 {
		hdr = append(hdr, "approved over the run", "utility over the run")
	}
	var rows [][]string
	row := func(c audit.InstitutionCategory, all bool) {
		l := c.Last
		ratio := "–"
		if d := disparity(c, "selection_rate"); d != nil && !all {
			switch {
			case d.Undefined != "" && d.OutsideBand:
				ratio = "unbounded !"
			case d.Undefined != "":
				ratio = "n/a"
			default:
				ratio = fmt.Sprintf("%.2f", float64(d.Ratio))
				if d.OutsideBand {
					ratio += " !"
				}
			}
		}
		r := []string{c.Category, fmt.Sprint(l.Applicants), fnum(float64(l.Threshold)), fpct(float64(l.Boundary)), fpct(float64(l.SelectionRate)), ratio,
			fpct(float64(l.TPR)), fmt.Sprintf("%d (%d)", l.Approved, l.Successes), fnum(l.ExpectedUtility), fnum(l.Utility)}
		if in.By == "group" {
			ch := math.NaN()
			if all {
				ch = float64(rep.Overall.ScoreChange)
			} else if g := groupRow(rep, "group", c.Category); g != nil {
				ch = float64(g.ScoreChange)
			}
			r = append(r, signedNum(ch))
		}
		if in.Decisions > 1 {
			r = append(r, fpct(float64(c.Run.ApprovalRate.Value)), fnum(c.Run.Utility))
		}
		rows = append(rows, r)
	}
	for _, c := range in.Categories {
		row(c, false)
	}
	row(in.All, true)
	return hdr, rows
}

func signedNum(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f", x)
}

// instSentences say what the figures of the last decision are, each with
// its number.
func instSentences(rep *audit.Report, in audit.Institution) []string {
	if in.Decisions == 0 {
		return []string{fmt.Sprintf("%s made no decision in this run (its first decision day is after day %d).", in.Name, rep.Days)}
	}
	var out []string
	var sel, none, tpr []string
	for _, c := range in.Categories {
		l := c.Last
		if l.Applicants == 0 {
			none = append(none, c.Category)
			continue
		}
		sel = append(sel, fmt.Sprintf("%s of %s %s's %d applicants (threshold %s)", fpct(float64(l.SelectionRate)), in.By, c.Category, l.Applicants, fnum(float64(l.Threshold))))
		if !math.IsNaN(float64(l.TPR)) {
			tpr = append(tpr, fmt.Sprintf("%s of %s %s's", fpct(float64(l.TPR)), in.By, c.Category))
		}
	}
	when := fmt.Sprintf("At its last decision (day %d)", in.LastDay)
	if in.Decisions == 1 {
		when = fmt.Sprintf("At its one decision (day %d)", in.LastDay)
	}
	s := fmt.Sprintf("%s, %s (policy %s, gain %g per success, loss %g per failure) selected %s.", when, in.Name, in.Policy, in.Gain, in.Loss, strings.Join(sel, ", "))
	if len(sel) == 0 {
		s = fmt.Sprintf("%s, %s (policy %s) had no applicants.", when, in.Name, in.Policy)
	}
	if len(none) > 0 && len(sel) > 0 {
		s += fmt.Sprintf(" %s %s had no applicants, so its rates are undefined.", upperFirst(in.By), strings.Join(none, ", "))
	}
	out = append(out, s)
	for _, c := range in.Categories {
		d := disparity(c, "selection_rate")
		if d == nil || c.Category == in.Reference {
			continue
		}
		switch {
		case d.Undefined != "":
			out = append(out, fmt.Sprintf("The selection rate of %s %s against %s %s has no ratio: %s.", in.By, c.Category, in.By, in.Reference, d.Undefined))
		default:
			band := "inside the four-fifths band [0.8, 1.25]"
			if d.OutsideBand {
				band = "outside the four-fifths band [0.8, 1.25]"
			}
			out = append(out, fmt.Sprintf("%s %s's selection rate is %.2f times that of %s %s (%s, a difference of %+.1f percentage points), %s.",
				upperFirst(in.By), c.Category, float64(d.Ratio), in.By, in.Reference, in.ReferenceWhy, 100*float64(d.Difference), band))
		}
	}
	if len(tpr) > 0 {
		out = append(out, fmt.Sprintf("Of the successes its beliefs expected among the applicants, it approved %s (the true-positive rates).", strings.Join(tpr, ", ")))
	}
	l := in.All.Last
	u := fmt.Sprintf("The decision's expected utility was %s; the realised utility was %s (%d successes and %d failures among %d approved).", fnum(l.ExpectedUtility), fnum(l.Utility), l.Successes, l.Failures, l.Approved)
	if in.Decisions > 1 {
		r := in.All.Run
		u += fmt.Sprintf(" Over its %d decisions it approved %s of %d applications and realised a utility of %s.", in.Decisions, fpct(float64(r.ApprovalRate.Value)), r.Applicants, fnum(r.Utility))
	}
	out = append(out, u)
	if in.By == "group" {
		var parts []string
		for _, c := range in.Categories {
			if g := groupRow(rep, "group", c.Category); g != nil {
				parts = append(parts, fmt.Sprintf("group %s's by %s", c.Category, signedNum(float64(g.ScoreChange))))
			}
		}
		out = append(out, fmt.Sprintf("From day 0 to day %d the mean score changed by %s points overall, %s (the change of each group's mean score, Δμ in Liu et al. 2018).",
			rep.Days, signedNum(float64(rep.Overall.ScoreChange)), strings.Join(parts, ", ")))
	}
	return out
}

// upperFirst capitalises the first letter of a word (group -> Group).
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
