package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
	// InSection says the chart is shown in its own section (an
	// institution's), not among the charts.
	InSection bool
	plot      *canvas
}

// LegendItem is one series of a chart, shown as an HTML legend under the
// SVG (so text never depends on the viewer's fonts) and drawn below the
// plot in the PNG: never over the data.
type LegendItem struct {
	Label string
	Color string // CSS colour
	Dash  string // SVG stroke-dasharray, "" for solid
	Fill  bool   // a shaded area rather than a line

	col    color.Color
	dashes []vg.Length
}

// canvas is a plot plus the legend items of its series.
type canvas struct {
	*plot.Plot
	items []LegendItem
}

func css(c color.Color) string {
	r, g, b, a := c.RGBA()
	if a == 0xffff {
		return fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
	}
	if a == 0 {
		return "rgba(0,0,0,0)"
	}
	// RGBA is alpha-premultiplied; CSS's rgba() is not.
	un := func(x uint32) uint32 { return x * 0xffff / a >> 8 }
	return fmt.Sprintf("rgba(%d,%d,%d,%.2f)", un(r), un(g), un(b), float64(a)/0xffff)
}

func dashCSS(d []vg.Length) string {
	var parts []string
	for _, x := range d {
		parts = append(parts, fmt.Sprintf("%g", x.Points()))
	}
	return strings.Join(parts, " ")
}

// legend adds a line's entry, in the line's own colour and dash pattern.
func (c *canvas) legend(label string, col color.Color, dash []vg.Length) {
	c.items = append(c.items, LegendItem{Label: label, Color: css(col), Dash: dashCSS(dash), col: col, dashes: dash})
}

// fillLegend adds a shaded area's entry.
func (c *canvas) fillLegend(label string, col color.Color) {
	c.items = append(c.items, LegendItem{Label: label, Color: css(col), Fill: true, col: col})
}

// Palette is the one list of series colours of nosedive's charts, in the
// report and in the web lab (internal/web/assets/charts.js holds the same
// list; a test there keeps the two equal): the colour-blind-safe colours
// of Okabe and Ito (2008), most distinct first, so that the groups of a
// scenario (rarely more than four) get blue, orange, bluish green and
// vermillion. Series k gets Palette[k % len(Palette)]; black is kept for
// reference lines and yellow, hard to see on white, comes last.
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"}

// Dash patterns (in points) that go with the palette, so that series also
// differ in black and white: series k gets Dashes[k % len(Dashes)].
var Dashes = [][]float64{nil, {6, 3}, {2, 2}, {8, 3, 2, 3}}

var (
	palette = func() []color.Color {
		out := make([]color.Color, len(Palette))
		for k, h := range Palette {
			var r, g, b uint8
			fmt.Sscanf(h, "#%02x%02x%02x", &r, &g, &b)
			out[k] = color.RGBA{r, g, b, 255}
		}
		return out
	}()
	dashes = func() [][]vg.Length {
		out := make([][]vg.Length, len(Dashes))
		for k, d := range Dashes {
			for _, x := range d {
				out[k] = append(out[k], vg.Points(x))
			}
		}
		return out
	}()
	// neutral draws reference lines and bands (equality, the four-fifths
	// band): no series has it.
	neutral = color.RGBA{80, 80, 80, 255}
	solid   []vg.Length
	dashed  = []vg.Length{vg.Points(6), vg.Points(3)}
	dotted  = []vg.Length{vg.Points(1.5), vg.Points(2)}
)

func colour(k int) color.Color { return palette[k%len(palette)] }

// style is series k's colour and dash pattern; a group keeps its style in
// every chart of the report.
func style(k int) (color.Color, []vg.Length) { return colour(k), dashes[k%len(dashes)] }

func faded(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha}
}

func newPlot(title, x, y string) *canvas {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	p.Add(plotter.NewGrid())
	return &canvas{Plot: p}
}

// plainTicks are gonum's default ticks labelled without trailing zeros
// (50, not 50.00).
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%.6g", ts[i].Value)
			if strings.ContainsRune(ts[i].Label, 'e') {
				ts[i].Label = fmt.Sprintf("%.0f", ts[i].Value)
			}
		}
	}
	return ts
}

// line draws a series (NaN and infinite values are gaps) and, with a
// label, its legend entry in the same colour and dash pattern.
func line(p *canvas, xs, ys []float64, col color.Color, dash []vg.Length, label string) {
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
	l.Color = col
	l.Width = vg.Points(1.6)
	if label == "" {
		l.Width = vg.Points(0.7) // an unlabelled companion line (quartiles)
	}
	l.Dashes = dash
	p.Add(l)
	if label != "" {
		p.legend(label, col, dash)
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
	// (gonum writes the viewBox itself: a second one is an error in SVG.)
	s = strings.Replace(s, "<svg ", fmt.Sprintf(`<svg role="img" aria-labelledby="%s-title" `, id), 1)
	return template.HTML(s), nil
}

const (
	chartW = 7.2 * vg.Inch
	chartH = 3.6 * vg.Inch
)

// finish renders the SVG without title and legend: the page shows both in
// HTML. The PNG draws them itself.
func (c *Chart) finish() error {
	title := c.plot.Title.Text
	c.plot.Title.Text = ""
	svg, err := render(c.ID, c.plot.Plot, chartW, chartH)
	c.plot.Title.Text = title
	c.SVG, c.Legend, c.Heading = svg, c.plot.items, title
	return err
}

// PNGScale is how many device pixels a PNG chart has per CSS pixel: 2, so
// that it stays sharp on high-density screens and in print (1382 x ~800
// pixels for a chart with a three-row legend).
const PNGScale = 2

// legendColumns and legendRow lay out a PNG's legend below the plot: in
// two columns, or one when a label would not fit in half the width.
const (
	legendColumns = 2
	legendRow     = 12.5 * vg.Length(1) // points, for 10-point text
)

func pngLegendColumns(items []LegendItem) int {
	for _, it := range items {
		if len([]rune(it.Label)) > 52 {
			return 1
		}
	}
	return legendColumns
}

// wrap breaks text into lines of at most width runes, at spaces.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > width {
			lines, line = append(lines, line), w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// thumb draws a legend entry's swatch: a line in the series' colour and
// dash pattern, or a filled box for a shaded area.
type thumb struct{ it LegendItem }

func (t thumb) Thumbnail(c *draw.Canvas) {
	if t.it.Fill {
		c.FillPolygon(t.it.col, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}})
		return
	}
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: t.it.col, Width: vg.Points(1.6), Dashes: t.it.dashes}, c.Min.X, y, c.Max.X, y)
}

// PNG renders the chart as a PNG at PNGScale: its title above the plot and
// its legend in rows below it, outside the plotting area.
func (c *Chart) PNG(w io.Writer) error {
	cols := pngLegendColumns(c.Legend)
	rows := (len(c.Legend) + cols - 1) / cols
	legH := vg.Length(float64(rows)*float64(legendRow)) + vg.Points(8) // (no fused multiply-add: PNGs are identical on every machine)
	img := vgimg.NewWith(vgimg.UseWH(chartW, chartH+legH), vgimg.UseDPI(PNGScale*96))
	dc := draw.New(img)
	top := dc
	top.Min.Y += legH
	// The page's long titles are wrapped to the PNG's width.
	title := c.plot.Title.Text
	c.plot.Title.Text = wrap(title, 90)
	c.plot.Draw(top)
	c.plot.Title.Text = title
	colW := (dc.Max.X - dc.Min.X) / vg.Length(cols)
	for col := range cols {
		l := plot.NewLegend()
		l.Top, l.Left = true, true
		l.TextStyle.Font.Size = vg.Points(10)
		l.ThumbnailWidth = vg.Points(28)
		for k := col * rows; k < min((col+1)*rows, len(c.Legend)); k++ {
			l.Add(c.Legend[k].Label, thumb{c.Legend[k]})
		}
		sub := dc
		sub.Max.Y = dc.Min.Y + legH - vg.Points(2)
		sub.Min.X = dc.Min.X + vg.Length(float64(vg.Length(col)*colW)) + vg.Points(8)
		sub.Max.X = sub.Min.X + colW - vg.Points(8)
		l.Draw(sub)
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// SavePNG writes the chart as ID.png in dir (atomically; see PNG).
func (c *Chart) SavePNG(dir string) (string, error) {
	path := filepath.Join(dir, c.ID+".png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return path, store.WriteAtomic(path, c.PNG)
}
