package report

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
)

// buildWithTwin runs a scenario and its no-regime twin and builds the
// report's page (every chart, the chilling one included).
func buildWithTwin(t *testing.T, name string) *Page {
	t.Helper()
	run, rep, runDir := auditedRun(t, name, 3000, 60, 5)
	dir, err := runner.Twin(context.Background(), runDir, runner.NoRegime, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Chilling, err = audit.ComputeChilling(run, dir); err != nil {
		t.Fatal(err)
	}
	pg, err := Build(Input{Run: run, Audit: rep, Version: "test", TwinDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

func chartByID(pg *Page, id string) *Chart {
	for _, c := range pg.Charts {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Every legend entry is drawn in the chart as it is shown in the legend
// (the same colour and dash pattern), no two entries look alike, every
// group keeps one colour across charts, and the titles say which style is
// which. (Before, the chilling chart's title said "regime solid" over
// dashed regime lines.)
func TestChartStylesMatchTheirLegends(t *testing.T) {
	pg := buildWithTwin(t, "xinjiang-pilot")
	ids := map[string]bool{}
	groupColour := map[string]string{}
	groupLabel := regexp.MustCompile(`group (\w+)`)
	for _, c := range pg.Charts {
		ids[c.ID] = true
		seen := map[string]string{}
		for _, it := range c.Legend {
			if it.Fill || strings.HasPrefix(it.Label, "not drawn") {
				continue
			}
			want := `stroke:` + regexp.QuoteMeta(it.Color) + `;stroke-width:[0-9.]+`
			if it.Dash != "" {
				want += `;stroke-dasharray:` + strings.ReplaceAll(it.Dash, " ", ",")
			}
			if !regexp.MustCompile(want + `"`).MatchString(string(c.SVG)) {
				t.Errorf("%s: legend entry %q (%s, dash %q) is not drawn in that style", c.ID, it.Label, it.Color, it.Dash)
			}
			key := it.Color + "/" + it.Dash
			if other, ok := seen[key]; ok {
				t.Errorf("%s: %q and %q look alike (%s)", c.ID, it.Label, other, key)
			}
			seen[key] = it.Label
			if m := groupLabel.FindStringSubmatch(it.Label); m != nil && c.ID != "tiers" {
				if prev, ok := groupColour[m[1]]; ok && prev != it.Color {
					t.Errorf("%s: group %s is %s here and %s elsewhere", c.ID, m[1], it.Color, prev)
				}
				groupColour[m[1]] = it.Color
			}
		}
	}
	if !ids["chilling"] || !ids["sanctions"] || !ids["disparity"] {
		t.Fatalf("charts %v lack chilling, sanctions or disparity", ids)
	}
	colours := map[string]bool{}
	for _, c := range groupColour {
		colours[c] = true
	}
	if len(colours) != len(groupColour) || len(groupColour) != 3 {
		t.Errorf("group colours %v: want three distinct", groupColour)
	}
	ch := chartByID(pg, "chilling")
	if !strings.Contains(ch.Heading, "with the regime (solid) and without it (dotted)") {
		t.Errorf("chilling title %q", ch.Heading)
	}
	for _, it := range ch.Legend {
		if strings.HasSuffix(it.Label, "(regime)") != (it.Dash == "") {
			t.Errorf("chilling: %q has dash %q; regime lines are solid, the others dotted", it.Label, it.Dash)
		}
	}
	tiers := chartByID(pg, "tiers")
	for _, it := range tiers.Legend {
		if strings.HasPrefix(it.Label, pg.WorstTier+",") != (it.Dash == "") {
			t.Errorf("tiers: %q has dash %q; the title says worst tier solid, best dashed", it.Label, it.Dash)
		}
	}
}

// Okabe and Ito's eight colours, each once, blue first; reference lines
// use none of them.
func TestPaletteIsOkabeIto(t *testing.T) {
	okabeIto := []string{"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
	got := slices.Clone(Palette)
	slices.Sort(got)
	slices.Sort(okabeIto)
	if !slices.Equal(got, okabeIto) || Palette[0] != "#0072B2" {
		t.Errorf("Palette %v is not the Okabe-Ito set led by blue", Palette)
	}
	if slices.Contains(Palette, css(neutral)) {
		t.Errorf("the neutral colour %s is a series colour", css(neutral))
	}
}

// Series equal on every day are drawn once, labelled a = b, and the
// reading says so: in xinjiang-pilot travel_ban and no_account come
// together, and re-education is detention.
func TestIdenticalSeriesMerged(t *testing.T) {
	if got := identical([][]float64{{1, 2}, {1, 3}, {1, 2}, {0, 0}, {1, 3}}); !slices.EqualFunc(got, [][]int{{0, 2}, {1, 4}, {3}}, slices.Equal[[]int]) {
		t.Errorf("identical = %v", got)
	}
	pg := buildWithTwin(t, "xinjiang-pilot")
	c := chartByID(pg, "sanctions")
	var labels []string
	for _, it := range c.Legend {
		labels = append(labels, it.Label)
	}
	for _, want := range []string{"travel_ban = no_account", "reeducation = detained"} {
		if !slices.Contains(labels, want) {
			t.Errorf("sanctions legend %q lacks %q", labels, want)
		}
	}
	if !strings.Contains(c.Reading, "travel_ban and no_account") || !strings.Contains(c.Reading, "drawn as one line") {
		t.Errorf("the reading does not explain the merged lines: %s", c.Reading)
	}
}

// A ratio is drawn only on days when the reference group has at least
// MinRatioCount people in the worst tier; the others are counted, and the
// chart says so. (Before, xinjiang-pilot's disparity spiked to about 500
// early on: one or two reference people in the denominator.)
func TestRatioNeedsADenominator(t *testing.T) {
	s := &groupSeries{days: []float64{0, 1, 2, 3}, groups: []string{"ref", "b"},
		agents: [][]float64{{100, 100, 100, 100}, {100, 100, 100, 100}},
		counts: map[string][][]float64{"w": {{0, 1, 20, 40}, {0, 30, 50, 0}}}}
	y, hidden := ratioSeries(s, "w", 1, 0)
	if !math.IsNaN(y[0]) || !math.IsNaN(y[1]) || y[2] != 2.5 || !math.IsNaN(y[3]) || hidden != 1 {
		t.Errorf("ratios %v, %d hidden; want NaN, NaN (1 reference person), 2.5, NaN (none in b), 1 hidden", y, hidden)
	}
	pg := buildWithTwin(t, "xinjiang-pilot")
	c := chartByID(pg, "disparity")
	if !strings.Contains(c.Heading, "drawn where at least 20 of group han are untrustworthy") {
		t.Errorf("disparity title %q does not say where ratios are drawn", c.Heading)
	}
}

// report --png charts are drawn at twice the screen size, the legend
// below the plot: taller than the plot by one row per two entries.
func TestPNGAtTwiceTheSize(t *testing.T) {
	pg := buildWithTwin(t, "xinjiang-pilot")
	for _, c := range pg.Charts {
		var buf bytes.Buffer
		if err := c.PNG(&buf); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		plotH := int(math.Round(chartH.Points() / 72 * 96 * PNGScale))
		b := img.Bounds()
		rows := (len(c.Legend) + pngLegendColumns(c.Legend) - 1) / pngLegendColumns(c.Legend)
		if b.Dx() != int(math.Round(chartW.Points()/72*96*PNGScale)) || b.Dy() < plotH+rows*int(legendRow.Points()/72*96*PNGScale) {
			t.Errorf("%s: %dx%d px, want 1382 wide and %d rows of legend below a %d px plot", c.ID, b.Dx(), b.Dy(), rows, plotH)
		}
	}
}
