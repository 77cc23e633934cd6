package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Chart is one figure of the report: an inline SVG with its title and a
// one-sentence reading.
type Chart struct {
	ID      string
	Title   string
	Heading string // the long title above the chart
	Reading string
	SVG     template.HTML
	Legend  []LegendItem
	plot    *canvas
}

// LegendItem is one series of a chart, shown as an HTML legend under the
// SVG (so text never depends on the viewer's fonts).
type LegendItem struct {
	Label string
	Color string // CSS colour
	Dash  string // SVG stroke-dasharray, "" for solid
	Fill  bool   // a shaded area rather than a line
}

// canvas is a plot plus the legend items of its series.
type canvas struct {
	*plot.Plot
	items []LegendItem
}

func css(c color.Color) string {
	r, g, b, a := c.RGBA()
	return fmt.Sprintf("rgba(%d,%d,%d,%.2f)", r>>8, g>>8, b>>8, float64(a)/0xffff)
}

func dashCSS(d []vg.Length) string {
	var parts []string
	for _, x := range d {
		parts = append(parts, fmt.Sprintf("%.0f", x.Points()))
	}
	return strings.Join(parts, " ")
}

func (c *canvas) legend(label string, th plot.Thumbnailer, col color.Color, dash []vg.Length, fill bool) {
	c.Legend.Add(label, th)
	c.items = append(c.items, LegendItem{Label: label, Color: css(col), Dash: dashCSS(dash), Fill: fill})
}

// Colours (Okabe-Ito, safe for colour-blind readers) and dash patterns, so
// that series stay distinguishable in black and white.
var (
	palette = []color.Color{
		color.RGBA{0, 114, 178, 255},   // blue
		color.RGBA{213, 94, 0, 255},    // vermillion
		color.RGBA{0, 158, 115, 255},   // green
		color.RGBA{204, 121, 167, 255}, // purple
		color.RGBA{230, 159, 0, 255},   // orange
		color.RGBA{86, 180, 233, 255},  // sky
		color.RGBA{240, 228, 66, 255},  // yellow
		color.RGBA{0, 0, 0, 255},
	}
	dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
)

func colour(k int) color.Color { return palette[k%len(palette)] }

func faded(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha}
}

func newPlot(title, x, y string) *canvas {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return &canvas{Plot: p}
}

func line(p *canvas, xs, ys []float64, k int, label string) {
	pts := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		if !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) {
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	if len(pts) == 0 {
		return
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return
	}
	l.Color = colour(k)
	l.Width = vg.Points(1.6)
	l.Dashes = dashes[k%len(dashes)]
	p.Add(l)
	if label != "" {
		p.legend(label, l, l.Color, l.Dashes, false)
	}
}

// band fills the area between lo and hi.
func band(p *canvas, xs, lo, hi []float64, c color.Color) {
	var pts plotter.XYs
	for i := range xs {
		pts = append(pts, plotter.XY{X: xs[i], Y: lo[i]})
	}
	for i := len(xs) - 1; i >= 0; i-- {
		pts = append(pts, plotter.XY{X: xs[i], Y: hi[i]})
	}
	poly, err := plotter.NewPolygon(pts)
	if err != nil {
		return
	}
	poly.Color = c
	poly.LineStyle.Width = 0
	p.Add(poly)
}

// render turns a plot into inline SVG; clip-path ids are made unique per
// chart so several SVGs can live in one page.
func render(id string, p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	// gonum measures text with Liberation Serif; ask for it or its metric twin.
	s = strings.ReplaceAll(s, `font-family:Liberation Serif`, `font-family:'Liberation Serif','Times New Roman',Times,serif`)
	s = strings.ReplaceAll(s, `id="clip`, `id="`+id+`-clip`)
	s = strings.ReplaceAll(s, `url(#clip`, `url(#`+id+`-clip`)
	s = strings.Replace(s, "<svg ", fmt.Sprintf(`<svg role="img" aria-labelledby="%s-title" viewBox="0 0 %.0f %.0f" `, id, w.Points(), h.Points()), 1)
	return template.HTML(s), nil
}

const (
	chartW = 7.2 * vg.Inch
	chartH = 3.6 * vg.Inch
)

// finish renders the SVG without title and legend: the page shows both in
// HTML. The PNG keeps them.
func (c *Chart) finish() error {
	title, legend := c.plot.Title.Text, c.plot.Legend
	c.plot.Title.Text = ""
	c.plot.Legend = plot.NewLegend()
	svg, err := render(c.ID, c.plot.Plot, chartW, chartH)
	c.plot.Title.Text, c.plot.Legend = title, legend
	c.SVG, c.Legend, c.Heading = svg, c.plot.items, title
	return err
}

// SavePNG writes the chart as a PNG file in dir.
func (c *Chart) SavePNG(dir string) (string, error) {
	path := filepath.Join(dir, c.ID+".png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, c.plot.Save(chartW, chartH, path)
}
