package report

// The outcome-curve page of a sweep (nosedive report SWEEP_DIR --curve):
// per group, the change of the group's mean score against the
// institution's selection rate over the sweep's fixed-rate points (mean
// over replicates, 95% band), with the paper's regions shaded and the
// other policies marked. sweep.OutcomeCurve computes it; this file draws
// it and says what it shows.

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/sweep"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

//go:embed curve.html.tmpl
var curveTemplate string

// CurvePage is the outcome-curve page.
type CurvePage struct {
	Title, Version string
	C              *sweep.Curve
	Style          template.CSS // the run report's stylesheet
	Charts         []*Chart
	Groups         []CurveGroup
}

// CurveGroup is one group's chart, sentences and table.
type CurveGroup struct {
	Name      string
	Chart     *Chart
	Sentences []string
	Header    []string
	Rows      [][]string
}

// Region colours: shaded behind the curve, never a series colour.
var regionFill = map[string]color.Color{
	sweep.ActiveHarm:          color.NRGBA{213, 94, 0, 80},  // vermillion
	sweep.RelativeHarm:        color.NRGBA{230, 159, 0, 80}, // orange
	sweep.RelativeImprovement: color.NRGBA{0, 158, 115, 60}, // bluish green
}

// Marks: the policies other than fixed-rate, each its own glyph.
var markStyle = map[string]struct {
	glyph draw.GlyphDrawer
	col   color.Color
	name  string
}{
	"max-utility":        {draw.CircleGlyph{}, color.Black, "max-utility (●)"},
	"demographic-parity": {draw.BoxGlyph{}, color.RGBA{213, 94, 0, 255}, "demographic parity (■)"},
	"equal-opportunity":  {draw.PyramidGlyph{}, color.RGBA{204, 121, 167, 255}, "equal opportunity (▲)"},
	"fixed-threshold":    {draw.CrossGlyph{}, color.RGBA{80, 80, 80, 255}, "fixed threshold (×)"},
}

// BuildCurve assembles the page.
func BuildCurve(c *sweep.Curve, version string) (*CurvePage, error) {
	pg := &CurvePage{Title: fmt.Sprintf("nosedive outcome curve: %s (%s, institution %s)", c.Sweep, c.Scenario, c.Institution), Version: version, C: c}
	if i, j := strings.Index(pageTemplate, "<style>"), strings.Index(pageTemplate, "</style>"); i >= 0 && j > i {
		pg.Style = template.CSS(pageTemplate[i+len("<style>") : j])
	}
	for g, name := range c.Groups {
		ch, err := curveChart(c, g)
		if err != nil {
			return nil, err
		}
		if err := ch.finish(); err != nil {
			return nil, err
		}
		pg.Charts = append(pg.Charts, ch)
		hdr, rows := curveTable(c, g)
		pg.Groups = append(pg.Groups, CurveGroup{Name: name, Chart: ch, Sentences: curveSentences(c, g), Header: hdr, Rows: rows})
	}
	return pg, nil
}

// RenderCurve builds and writes the page.
func RenderCurve(w io.Writer, c *sweep.Curve, version string) (*CurvePage, error) {
	pg, err := BuildCurve(c, version)
	if err != nil {
		return nil, err
	}
	t, err := template.New("curve").Parse(curveTemplate)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pg); err != nil {
		return nil, err
	}
	_, err = w.Write(buf.Bytes())
	return pg, err
}

func regionsOf(c *sweep.Curve, g int) *sweep.CurveRegions {
	if g < len(c.Regions) {
		return &c.Regions[g]
	}
	return nil
}

func curveChart(c *sweep.Curve, g int) (*Chart, error) {
	name := c.Groups[g]
	p := newPlot(fmt.Sprintf("Outcome curve of group %s: change of its mean score against the share of it %s approves", name, c.Institution),
		"selection rate of group "+name+" (%)", "change of the group's mean score (points)")
	col, _ := style(g)
	var xs, ys, lo, hi []float64
	for _, pt := range c.Points {
		x, y := pt.Selection[g], pt.Change[g]
		if math.IsNaN(x.Mean) || math.IsNaN(y.Mean) {
			continue
		}
		xs, ys = append(xs, 100*x.Mean), append(ys, y.Mean)
		l, h := y.Lo, y.Hi
		if math.IsNaN(l) {
			l, h = y.Mean, y.Mean
		}
		lo, hi = append(lo, l), append(hi, h)
	}
	// The plot's y range: the curve's band, the marks' intervals and 0.
	ymin, ymax := 0.0, 0.0
	for i := range xs {
		ymin, ymax = math.Min(ymin, lo[i]), math.Max(ymax, hi[i])
	}
	for _, m := range c.Marks {
		for _, v := range []float64{m.Change[g].Lo, m.Change[g].Hi, m.Change[g].Mean} {
			if !math.IsNaN(v) {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
	}
	pad := 0.08 * (ymax - ymin)
	if pad == 0 {
		pad = 1
	}
	p.Y.Min, p.Y.Max = ymin-pad, ymax+pad
	p.X.Min, p.X.Max = 0, 100
	rg := regionsOf(c, g)
	shaded := map[string]bool{}
	spans := []sweep.Span(nil)
	if rg != nil {
		spans = rg.Spans
	} else {
		for _, s := range sweep.Spans(xsFrac(xs), ys, 0) {
			if s.Region == sweep.ActiveHarm {
				spans = append(spans, s)
			}
		}
	}
	for _, s := range spans {
		fill := regionFill[s.Region]
		band(p, []float64{100 * s.From, 100 * s.To}, []float64{p.Y.Min, p.Y.Min}, []float64{p.Y.Max, p.Y.Max}, fill)
		if !shaded[s.Region] {
			shaded[s.Region] = true
			p.fillLegend(regionLabel(s.Region, rg), fill)
		}
	}
	zero := []float64{0, 100}
	line(p, zero, []float64{0, 0}, neutral, solid, "no change (below: active harm)")
	if rg != nil {
		line(p, zero, []float64{rg.MaxUtility, rg.MaxUtility}, neutral, dotted, fmt.Sprintf("max-utility's change, %+.1f (below: relative harm)", rg.MaxUtility))
	}
	if len(xs) > 1 && c.Replicates > 1 {
		band(p, xs, lo, hi, faded(col, 70))
		p.fillLegend(fmt.Sprintf("95%% interval over %d replicates", c.Replicates), faded(col, 70))
	}
	line(p, xs, ys, col, solid, fmt.Sprintf("fixed-rate policy, group %s: mean over replicates", name))
	for _, m := range c.Marks {
		x, y := m.Selection[g], m.Change[g]
		if math.IsNaN(x.Mean) || math.IsNaN(y.Mean) {
			continue
		}
		st, ok := markStyle[m.Policy]
		if !ok {
			st = markStyle["fixed-threshold"]
		}
		pts := plotter.XYs{{X: 100 * x.Mean, Y: y.Mean}}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		if !math.IsNaN(y.Lo) {
			line(p, []float64{100 * x.Mean, 100 * x.Mean}, []float64{y.Lo, y.Hi}, st.col, solid, "")
		}
		// A white halo under the mark keeps it visible on any band.
		halo, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		halo.GlyphStyle = draw.GlyphStyle{Color: color.White, Radius: vg.Points(7), Shape: st.glyph}
		sc.GlyphStyle = draw.GlyphStyle{Color: st.col, Radius: vg.Points(5), Shape: st.glyph}
		p.Add(halo, sc)
		p.legend(fmt.Sprintf("%s: %s selected, %s", st.name, fpct(x.Mean), signedNum(y.Mean)), st.col, nil)
	}
	return &Chart{ID: "curve-" + colSafe(name), Title: "Outcome curve, group " + name, Reading: curveReading(c, g), plot: p}, nil
}

func xsFrac(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x / 100
	}
	return out
}

func regionLabel(region string, rg *sweep.CurveRegions) string {
	switch region {
	case sweep.ActiveHarm:
		return "active harm: the group's mean score falls"
	case sweep.RelativeHarm:
		return fmt.Sprintf("relative harm: below max-utility's %+.1f", rg.MaxUtility)
	}
	return fmt.Sprintf("relative improvement: at or above max-utility's %+.1f", rg.MaxUtility)
}

// curveReading is the chart's one-sentence reading: where the curve
// peaks and where it ends.
func curveReading(c *sweep.Curve, g int) string {
	xs, ys := c.Line(g)
	if len(xs) == 0 {
		return "No fixed-rate point has both figures for this group."
	}
	best := 0
	for i := range ys {
		if ys[i] > ys[best] {
			best = i
		}
	}
	last := len(xs) - 1
	return fmt.Sprintf("Approving %s of group %s changes its mean score by %s points; the change peaks at %s when %s are approved and is %s at %s.",
		fpct(xs[0]), c.Groups[g], signedNum(ys[0]), signedNum(ys[best]), fpct(xs[best]), signedNum(ys[last]), fpct(xs[last]))
}

func ci(s sweep.Stat, f func(float64) string) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "n/a"
	}
	if math.IsNaN(s.Lo) {
		return f(s.Mean)
	}
	return fmt.Sprintf("%s [%s, %s]", f(s.Mean), f(s.Lo), f(s.Hi))
}

func curveSentences(c *sweep.Curve, g int) []string {
	name := c.Groups[g]
	var out []string
	rg := regionsOf(c, g)
	if rg == nil {
		out = append(out, "The sweep has no max-utility point, so relative harm and relative improvement cannot be drawn; only active harm (the mean score falls) is shaded.")
	} else {
		by := map[string][]string{}
		var order []string
		for _, s := range rg.Spans {
			if _, ok := by[s.Region]; !ok {
				order = append(order, s.Region)
			}
			by[s.Region] = append(by[s.Region], fmt.Sprintf("%s to %s", fpct(s.From), fpct(s.To)))
		}
		var parts []string
		for _, r := range order {
			parts = append(parts, fmt.Sprintf("%s from %s", r, strings.Join(by[r], " and from ")))
		}
		out = append(out, fmt.Sprintf("Against max-utility's change of %+.1f points for group %s, the curve (linear between the sweep's rates) is in %s.", rg.MaxUtility, name, strings.Join(parts, "; ")))
	}
	for _, m := range c.Marks {
		x, y := m.Selection[g], m.Change[g]
		if math.IsNaN(x.Mean) || math.IsNaN(y.Mean) {
			out = append(out, fmt.Sprintf("Policy %s (point %d) has no selection rate or score change for group %s.", m.Policy, m.Point, name))
			continue
		}
		where := ""
		switch {
		case m.Policy == "max-utility":
			where = "; the reference for relative harm"
		case rg != nil:
			where = "; " + sweep.Region(y.Mean, rg.MaxUtility)
		case y.Mean < 0:
			where = "; " + sweep.ActiveHarm
		}
		out = append(out, fmt.Sprintf("Policy %s selects %s of group %s and changes its mean score by %s points%s.", m.Policy, ci(x, fpct), name, ci(y, signedNum), where))
	}
	return out
}

func curveTable(c *sweep.Curve, g int) ([]string, [][]string) {
	hdr := []string{"point", "policy", "selection rate", "score change", "replicates", "region"}
	var rows [][]string
	rg := regionsOf(c, g)
	add := func(p sweep.CurvePoint) {
		x, y := p.Selection[g], p.Change[g]
		region := "–"
		switch {
		case math.IsNaN(y.Mean):
		case rg != nil:
			region = sweep.Region(y.Mean, rg.MaxUtility)
		case y.Mean < 0:
			region = sweep.ActiveHarm
		}
		pol := p.Policy
		if pol == "fixed-rate" {
			pol = fmt.Sprintf("fixed-rate %g", p.Rate)
		}
		rows = append(rows, []string{fmt.Sprint(p.Point), pol, ci(x, fpct), ci(y, signedNum), fmt.Sprint(y.N), region})
	}
	for _, p := range c.Points {
		add(p)
	}
	for _, p := range c.Marks {
		add(p)
	}
	return hdr, rows
}
