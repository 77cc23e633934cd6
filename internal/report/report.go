// Package report renders a run and its audit as one self-contained HTML
// file: plain-language findings, charts (gonum/plot, inline SVG), the audit
// tables, the EU AI Act Art. 5 lens, an ODD-structured model description
// with every rule's source, and a methods section. The file references
// nothing outside itself, so it can be attached to an article or a filing.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

//go:embed report.html.tmpl
var pageTemplate string

// Input is what a report is made from.
type Input struct {
	Run     *audit.Run
	Audit   *audit.Report
	TwinDir string // optional no-regime twin, for the chilling chart
	Version string
	// Replicates, when set, adds the section "Across N replicates" with
	// the headline figures and the group disparities as 95% intervals;
	// Run and Audit are then its first replicate, which the page says.
	Replicates *audit.Replicates
}

// Page is the data the template renders.
type Page struct {
	Title, Version string
	In             Input
	M              *store.Manifest
	A              *audit.Report
	Charts         []*Chart
	ODD            ODD
	WorstTier      string
	RegionsNote    bool
	// Institutions are the sections of the run's institutions
	// (institutions.go).
	Institutions []InstSection
}

// Build assembles the page and its charts.
func Build(in Input) (*Page, error) {
	m := in.Run.Manifest
	title := "nosedive report: " + m.Scenario.Name
	if m.Name != "" {
		title += " · " + m.Name
	}
	if len(m.Scenario.Sets) > 0 {
		title += " (edited)"
	}
	pg := &Page{Title: title, Version: in.Version, In: in, M: m, A: in.Audit,
		WorstTier: m.Names.Tiers[len(m.Names.Tiers)-1], RegionsNote: len(m.Names.Regions) > 1}
	pg.ODD = describe(in.Run)
	var countCols []string
	for _, t := range m.Names.Tiers {
		countCols = append(countCols, "tier_"+colSafe(t))
	}
	for _, s := range m.Names.Sanctions {
		countCols = append(countCols, "sanction_"+colSafe(s))
	}
	countCols = append(countCols, "children_blocked", "detained")
	for _, b := range m.Names.Behaviours {
		countCols = append(countCols, "attempted_"+colSafe(b))
	}
	s := daySeries(in.Run.Daily, m.Names.Groups, countCols)
	builders := []func(*Page, *groupSeries) (*Chart, error){
		scoreChart, tierChart, sanctionChart, disparityChart, lorenzChart, attributionChart, chillingChart, childrenChart,
	}
	for _, b := range builders {
		c, err := b(pg, s)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if err := c.finish(); err != nil {
			return nil, err
		}
		pg.Charts = append(pg.Charts, c)
	}
	var err error
	if pg.Institutions, err = institutionSections(pg); err != nil {
		return nil, err
	}
	return pg, nil
}

// Write renders the page as HTML.
func (pg *Page) Write(w io.Writer) error {
	t, err := template.New("report").Funcs(funcs).Parse(pageTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, pg)
}

// Render builds and writes a report in one go.
func Render(w io.Writer, in Input) (*Page, error) {
	pg, err := Build(in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pg.Write(&buf); err != nil {
		return nil, err
	}
	_, err = w.Write(buf.Bytes())
	return pg, err
}

var funcs = template.FuncMap{
	"pct": func(f audit.Figure) string {
		if math.IsNaN(float64(f.Value)) {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(f.Value))
	},
	"pctf": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"num":  func(x float64) string { return fmt.Sprintf("%.1f", x) },
	"numN": func(x audit.Num) string { // an extra score's mean: – when undefined
		if math.IsNaN(float64(x)) {
			return "–"
		}
		return fmt.Sprintf("%.1f", float64(x))
	},
	"signedN": func(x audit.Num) string {
		if math.IsNaN(float64(x)) {
			return "–"
		}
		return fmt.Sprintf("%+.1f", float64(x))
	},
	"ratio": func(x audit.Num) string {
		if math.IsInf(float64(x), 1) {
			return "unbounded"
		}
		if math.IsNaN(float64(x)) {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", float64(x))
	},
	"disp": func(r audit.Row, metric string) *audit.Disparity {
		for k := range r.Disparities {
			if r.Disparities[k].Metric == metric {
				return &r.Disparities[k]
			}
		}
		return nil
	},
	"join": strings.Join,
	"fig": func(ns []audit.Named, name string) audit.Figure {
		for _, n := range ns {
			if n.Name == name {
				return n.Figure
			}
		}
		return audit.Figure{Value: audit.Num(math.NaN())}
	},
	"signed": func(x float64) string { return fmt.Sprintf("%+.3g", x) },
	"metricName": func(k string) string {
		if m := audit.HeadlineMeaning(k); m != "" {
			return m
		}
		return k
	},
	// metrics are the figures the attribution attributed (the four
	// defaults for an attribution written before --metric).
	"metrics": func(at *audit.Attribution) []string {
		if len(at.Metrics) > 0 {
			return at.Metrics
		}
		return audit.DefaultAttributed
	},
	"sortedRules": func(at *audit.Attribution, metric string) []string {
		rules := append([]string(nil), at.Rules...)
		sort.SliceStable(rules, func(i, j int) bool {
			return math.Abs(at.Shapley[rules[i]][metric]) > math.Abs(at.Shapley[rules[j]][metric])
		})
		return rules
	},
	"shap": func(at *audit.Attribution, rule, metric string) float64 { return at.Shapley[rule][metric] },
	"loo":  func(at *audit.Attribution, rule, metric string) float64 { return at.LeaveOneOut[rule][metric] },
	// se is a Shapley value's uncertainty: its 95% interval when sampled
	// (a standard error for an attribution written before intervals),
	// "exact" otherwise.
	"se": func(at *audit.Attribution, rule, metric string) string {
		switch {
		case at.Interval != nil:
			iv := at.Interval[rule][metric]
			return fmt.Sprintf("[%+.3g, %+.3g]", iv[0], iv[1])
		case at.StdErr != nil:
			return fmt.Sprintf("± %.2g s.e.", at.StdErr[rule][metric])
		}
		return "exact"
	},
	"total": func(at *audit.Attribution, metric string) float64 { return at.Total[metric] },
	// zeroWidth is the note under a table whose sampled intervals have no
	// width for some rules, "" when none.
	"zeroWidth": func(at *audit.Attribution, metric string) string {
		if z := at.ZeroWidth(metric); len(z) > 0 {
			return audit.ZeroWidthNote(z)
		}
		return ""
	},
	"isnan":   func(x audit.Num) bool { return math.IsNaN(float64(x)) },
	"nonzero": func(at *audit.Attribution, metric string) bool { return at.Moves(metric) },
	"mul100":  func(x float64) float64 { return 100 * x },
	// points is a difference of two shares in percentage points.
	"points": func(x audit.Num) string {
		if math.IsNaN(float64(x)) {
			return "n/a"
		}
		return fmt.Sprintf("%+.1f points", 100*float64(x))
	},
	"pair": func(title string, lines []Line) map[string]any {
		return map[string]any{"Title": title, "Lines": lines}
	},
}

func colSafe(s string) string { return strings.ReplaceAll(s, "-", "_") }

func scoreChart(pg *Page, s *groupSeries) (*Chart, error) {
	// Per group the median (thick) and the quartiles (thin lines of the
	// same colour and dash): translucent bands, one per group, overlapped
	// and mixed into colours no group has (blue over green read as teal).
	p := newPlot("Score over time by group: median (thick line) and the middle half of the group between the quartiles (thin lines)", "day", "score (points)")
	for g, name := range s.groups {
		c, dash := style(g)
		for _, q := range []string{"score_p25", "score_p75"} {
			line(p, s.days, s.q[q][g], faded(c, 170), dash, "")
		}
		line(p, s.days, s.q["score_p50"][g], c, dash, "group "+name+": median (thick), quartiles (thin)")
	}
	var parts []string
	last := len(s.days) - 1
	for g, name := range s.groups {
		parts = append(parts, fmt.Sprintf("group %s from %.0f to %.0f", name, s.q["score_p50"][g][0], s.q["score_p50"][g][last]))
	}
	reading := "The median score moved " + strings.Join(parts, "; ") + fmt.Sprintf(" points by day %d.", int(s.days[last]))
	return &Chart{ID: "score", Title: "Scores over time", Reading: reading, plot: p}, nil
}

func tierChart(pg *Page, s *groupSeries) (*Chart, error) {
	m := pg.M
	p := newPlot("Share of each group in the worst tier ("+pg.WorstTier+", solid) and the best tier ("+m.Names.Tiers[0]+", dashed)", "day", "share of the group (%)")
	worst := "tier_" + colSafe(pg.WorstTier)
	best := "tier_" + colSafe(m.Names.Tiers[0])
	var parts []string
	last := len(s.days) - 1
	for g, name := range s.groups {
		w := make([]float64, len(s.days))
		b := make([]float64, len(s.days))
		for d := range s.days {
			if n := s.agents[g][d]; n > 0 {
				w[d] = 100 * s.counts[worst][g][d] / n
				b[d] = 100 * s.counts[best][g][d] / n
			}
		}
		line(p, s.days, w, colour(g), solid, fmt.Sprintf("%s, group %s", pg.WorstTier, name))
		line(p, s.days, b, colour(g), dashed, fmt.Sprintf("%s, group %s", m.Names.Tiers[0], name))
		parts = append(parts, fmt.Sprintf("%.0f%% of group %s", w[last], name))
	}
	p.Y.Min, p.Y.Max = 0, 100
	reading := fmt.Sprintf("By day %d, %s are %s.", int(s.days[last]), strings.Join(parts, " and "), pg.WorstTier)
	return &Chart{ID: "tiers", Title: "Tiers over time", Reading: reading, plot: p}, nil
}

func sanctionChart(pg *Page, s *groupSeries) (*Chart, error) {
	m := pg.M
	if len(m.Names.Sanctions) == 0 {
		return nil, nil
	}
	p := newPlot("People under each sanction", "day", "people")
	bestK, bestV := 0, -1.0
	last := len(s.days) - 1
	names := append([]string(nil), m.Names.Sanctions...)
	var ys [][]float64
	for k, name := range m.Names.Sanctions {
		y := s.total("sanction_" + colSafe(name))
		ys = append(ys, y)
		if y[last] > bestV {
			bestK, bestV = k, y[last]
		}
	}
	if s.total("detained")[last] > 0 {
		names, ys = append(names, "detained"), append(ys, s.total("detained"))
	}
	// Series equal on every day (two sanctions that always come
	// together, a sanction that is detention) are one line with one
	// legend entry: drawn apart, one would hide the other.
	var merged []string
	for k, same := range identical(ys) {
		var label []string
		for _, i := range same {
			label = append(label, names[i])
		}
		c, dash := style(k)
		line(p, s.days, ys[same[0]], c, dash, strings.Join(label, " = "))
		if len(same) > 1 {
			merged = append(merged, strings.Join(label, " and "))
		}
	}
	p.Y.Min = 0
	reading := fmt.Sprintf("The most widespread sanction at the end is %s, applied to %.0f of %d people (%.1f%%).",
		m.Names.Sanctions[bestK], bestV, m.Agents, 100*bestV/float64(m.Agents))
	if len(merged) > 0 {
		reading += " " + strings.Join(merged, "; ") + " count the same number of people on every day, so each set is drawn as one line (labelled a = b)."
	}
	return &Chart{ID: "sanctions", Title: "Sanctions over time", Reading: reading, plot: p}, nil
}

func disparityChart(pg *Page, s *groupSeries) (*Chart, error) {
	if len(s.groups) < 2 {
		return nil, nil
	}
	worst := "tier_" + colSafe(pg.WorstTier)
	ref := -1
	for g, name := range s.groups {
		if name == pg.A.Reference {
			ref = g
		}
	}
	if ref < 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("Disparity: share in %s relative to group %s (four-fifths band shaded; drawn where at least %d of group %s are %s)",
		pg.WorstTier, pg.A.Reference, MinRatioCount, pg.A.Reference, pg.WorstTier), "day", "ratio to reference")
	band(p, []float64{s.days[0], s.days[len(s.days)-1]}, []float64{0.8, 0.8}, []float64{1.25, 1.25}, faded(neutral, 40))
	p.fillLegend("four-fifths band [0.8, 1.25]", faded(neutral, 40))
	maxR := 1.5
	var parts []string
	last := len(s.days) - 1
	hidden := 0
	for g, name := range s.groups {
		if g == ref {
			continue
		}
		y, h := ratioSeries(s, worst, g, ref)
		hidden += h
		for _, v := range y {
			if !math.IsNaN(v) {
				maxR = math.Max(maxR, v)
			}
		}
		c, dash := style(g)
		line(p, s.days, y, c, dash, "group "+name)
		if !math.IsNaN(y[last]) {
			parts = append(parts, fmt.Sprintf("group %s is %.2f times as likely as group %s to be %s", name, y[last], pg.A.Reference, pg.WorstTier))
		}
	}
	// A log scale shows 0.5 and 2 as equally far from parity.
	p.Y.Scale = plot.LogScale{}
	ticks := logTicks(maxR)
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = 0.2, math.Max(ticks[len(ticks)-1].Value, 2)
	p.Y.Label.Text = "ratio (log scale)" // a longer label shrinks the plot: gonum fits it rotated
	if hidden > 0 {
		p.legend(fmt.Sprintf("not drawn: days with fewer than %d of group %s %s", MinRatioCount, pg.A.Reference, pg.WorstTier), color.Transparent, nil)
	}
	reading := "Ratios outside the shaded band [0.8, 1.25] fail the four-fifths screen. "
	if hidden > 0 {
		reading += fmt.Sprintf("Days on which fewer than %d people of group %s are %s are left out: a ratio over so few people jumps with each one. ",
			MinRatioCount, pg.A.Reference, pg.WorstTier)
	}
	if len(parts) > 0 {
		reading += fmt.Sprintf("At day %d, ", int(s.days[last])) + strings.Join(parts, "; ") + "."
	}
	return &Chart{ID: "disparity", Title: "Disparity over time", Reading: reading, plot: p}, nil
}

func lorenzChart(pg *Page, _ *groupSeries) (*Chart, error) {
	r := pg.In.Run
	if r.Agents == nil {
		return nil, nil // a sweep run without its agents table
	}
	score := r.Agents.Cols["score"].Float
	grp := r.Agents.Cols["group"].Str
	p := newPlot("Lorenz curves of final scores (scores shifted to start at zero)", "share of people, lowest scores first", "share of all points")
	eq, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	eq.Color, eq.Width = neutral, vg.Points(1.2)
	eq.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
	p.Add(eq)
	p.legend("perfect equality", eq.Color, eq.Dashes)
	for g, name := range pg.M.Names.Groups {
		var v []float64
		for i, x := range score {
			if grp[i] == name {
				v = append(v, x)
			}
		}
		xs, ys := lorenz(v)
		row := groupRow(pg.A, "group", name)
		label := "group " + name
		if row != nil {
			label += fmt.Sprintf(" (Gini %.3f)", row.Gini)
		}
		c, dash := style(g)
		line(p, xs, ys, c, dash, label)
	}
	reading := fmt.Sprintf("The further a curve sags below the diagonal, the more unequal the scores; the overall Gini coefficient is %.3f.", pg.A.Overall.Gini)
	return &Chart{ID: "lorenz", Title: "Inequality of scores", Reading: reading, plot: p}, nil
}

type bars struct {
	labels []string
	values []float64
}

func attributionChart(pg *Page, _ *groupSeries) (*Chart, error) {
	at := pg.A.Attribution
	var b bars
	metric, method := audit.MetricEver, ""
	switch {
	case at != nil:
		for _, r := range at.Rules {
			b.labels = append(b.labels, r)
			b.values = append(b.values, 100*at.Shapley[r][metric])
		}
		method = "Shapley value"
	case len(pg.A.Ablations) > 0:
		for _, ab := range pg.A.Ablations {
			b.labels = append(b.labels, ab.Rule)
			b.values = append(b.values, 100*ab.Effect[metric])
		}
		method = "leave-one-out effect"
	default:
		return nil, nil
	}
	p := newPlot("Contribution of each rule to the share of people ever sanctioned ("+method+")", "", "percentage points")
	vals := make(plotter.Values, len(b.values))
	copy(vals, b.values)
	bc, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return nil, err
	}
	bc.Color = colour(0)
	bc.LineStyle.Width = 0
	p.Add(bc)
	p.fillLegend("percentage points added by the rule", colour(0))
	p.NominalX(b.labels...)
	best := 0
	for k := range b.values {
		if b.values[k] > b.values[best] {
			best = k
		}
	}
	reading := fmt.Sprintf("Rule %s adds the most: %+.1f percentage points to the share of people ever sanctioned.", b.labels[best], b.values[best])
	return &Chart{ID: "attribution", Title: "Which rule causes the harm", Reading: reading, plot: p}, nil
}

func chillingChart(pg *Page, s *groupSeries) (*Chart, error) {
	if pg.In.TwinDir == "" || len(pg.A.Chilling) == 0 {
		return nil, nil
	}
	twin, err := store.ReadTable(filepath.Join(pg.In.TwinDir, store.DailyFile))
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, c := range pg.A.Chilling {
		cols = append(cols, "attempted_"+colSafe(c.Behaviour))
	}
	t := daySeries(twin, pg.M.Names.Groups, cols)
	p := newPlot("Lawful penalised behaviour with the regime (solid) and without it (dotted), per day", "day", "events per day (7-day mean)")
	k := 0
	for _, c := range pg.A.Chilling {
		col := "attempted_" + colSafe(c.Behaviour)
		with, without := smooth(s.total(col)[1:], 7), smooth(t.total(col)[1:], 7)
		line(p, s.days[1:], with, colour(k), solid, c.Behaviour+" (regime)")
		line(p, s.days[1:], without, colour(k), dotted, c.Behaviour+" (no regime)")
		k++
	}
	best := pg.A.Chilling[0]
	for _, c := range pg.A.Chilling {
		if c.Drop > best.Drop {
			best = c
		}
	}
	reading := fmt.Sprintf("Under the regime the same people did %.0f%% less %s over the run (%.0f%% less in the last %d days).",
		100*best.Drop, best.Behaviour, 100*best.Final, audit.ChillWindow)
	return &Chart{ID: "chilling", Title: "The chilling effect", Reading: reading, plot: p}, nil
}

func childrenChart(pg *Page, s *groupSeries) (*Chart, error) {
	last := len(s.days) - 1
	if s.total("children_blocked")[last] == 0 && pg.A.Overall.ChildrenBlocked == 0 {
		return nil, nil
	}
	p := newPlot("School-age children kept out of top schools because of their parents", "day", "children")
	for g, name := range s.groups {
		c, dash := style(g)
		line(p, s.days, s.counts["children_blocked"][g], c, dash, "group "+name)
	}
	p.Y.Min = 0
	reading := fmt.Sprintf("At the end, %d children are blocked.", pg.A.Overall.ChildrenBlocked)
	return &Chart{ID: "children", Title: "Children punished for their parents", Reading: reading, plot: p}, nil
}

// ratioSeries is group g's share in the count column worst over the
// reference group's, day by day: NaN where the group has none (the log
// scale has no 0) and on the days the reference group has fewer than
// MinRatioCount people in it, which hidden counts (only days on which
// either share is above zero). Ratios below 0.2 are drawn at 0.2, the
// axis' floor.
func ratioSeries(s *groupSeries, worst string, g, ref int) (y []float64, hidden int) {
	y = make([]float64, len(s.days))
	for d := range s.days {
		rg := s.counts[worst][g][d] / math.Max(s.agents[g][d], 1)
		rr := s.counts[worst][ref][d] / math.Max(s.agents[ref][d], 1)
		y[d] = math.NaN()
		// A ratio over a handful of people is noise (one person more or
		// less doubles it).
		if s.counts[worst][ref][d] < MinRatioCount {
			if rr > 0 || rg > 0 {
				hidden++
			}
			continue
		}
		if rg > 0 {
			y[d] = math.Max(rg/rr, 0.2)
		}
	}
	return y, hidden
}

// MinRatioCount is the fewest people of the reference group in the worst
// tier for which the disparity chart draws a ratio: with n people the
// ratio's relative sampling error is about 1/sqrt(n), 22% at 20.
const MinRatioCount = 20

// identical partitions series into sets equal on every day, in the order
// of their first member.
func identical(ys [][]float64) [][]int {
	var out [][]int
next:
	for i, y := range ys {
		for k, set := range out {
			if slices.Equal(ys[set[0]], y) {
				out[k] = append(out[k], i)
				continue next
			}
		}
		out = append(out, []int{i})
	}
	return out
}

func smooth(y []float64, w int) []float64 {
	out := make([]float64, len(y))
	for i := range y {
		lo := max(0, i-w+1)
		s := 0.0
		for k := lo; k <= i; k++ {
			s += y[k]
		}
		out[i] = s / float64(i-lo+1)
	}
	return out
}

func logTicks(hi float64) []plot.Tick {
	var out []plot.Tick
	// Up to the first tick at or above hi, the axis' top.
	for _, v := range []float64{0.2, 0.5, 0.8, 1, 1.25, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4} {
		if len(out) == 0 || out[len(out)-1].Value < hi || v <= 2 {
			label := fmt.Sprintf("%g", v)
			// On a tall axis 0.8, 1 and 1.25 sit a few points apart and
			// their labels overlap: the band's edges keep their ticks.
			if (v == 0.8 || v == 1.25) && hi > 4 {
				label = ""
			}
			out = append(out, plot.Tick{Value: v, Label: label})
		}
	}
	return out
}
