package sweep

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// morrisResults is a Morris design over two parameters whose output is
// y = 3 x0 (x1 does nothing), one replicate per point.
func morrisResults() *Results {
	units := MorrisTrajectories(6, 2, 4, 1)
	m := &Manifest{Sweep: &Sweep{Name: "m", Replicates: 1, Design: Design{Type: Morris, Trajectories: 6, Levels: 4},
		Params: []Param{{Path: "a", Min: 0, Max: 1}, {Path: "b", Min: 0, Max: 1}}}}
	res := &Results{Manifest: m, Metrics: []string{"y"}}
	for p, u := range units {
		m.Points = append(m.Points, Point{Index: p, Unit: u})
		res.Runs = append(res.Runs, Run{Point: p})
		res.Values = append(res.Values, []float64{3 * u[0]})
	}
	return res
}

func TestAnalyzeMorris(t *testing.T) {
	s, err := Analyze(morrisResults(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 2 || s.Rows[0].Parameter != "a" {
		t.Fatalf("rows %+v, want a first", s.Rows)
	}
	// Elementary effects of a linear function are its slope, exactly.
	a, b := s.Rows[0], s.Rows[1]
	if math.Abs(float64(a.MuStar)-3) > 1e-12 || math.Abs(float64(a.Mu)-3) > 1e-12 || math.Abs(float64(a.Sigma)) > 1e-12 || a.N != 6 {
		t.Errorf("a: %+v, want mu* = mu = 3, sigma 0, 6 effects", a)
	}
	if b.MuStar != 0 || b.Mu != 0 {
		t.Errorf("b: %+v, want no effect", b)
	}
	if len(s.Warnings) == 0 || !strings.Contains(strings.Join(s.Warnings, "\n"), "one replicate per point") {
		t.Errorf("warnings %v", s.Warnings)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "sweep m, metric y: Morris elementary effects, 6 trajectories, 4 levels; outputs are means over 1 replicates\n\n" +
		"  parameter  mu*  ±95%  mu  sigma  effects\n" + // right-aligned, padded by 2
		"          a    3     0   3      0        6\n" +
		"          b    0     0   0      0        6\n"
	if text.String() != want {
		t.Errorf("text:\n%q\nwant\n%q", text.String(), want)
	}
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Indices []map[string]any `json:"indices"`
		Samples any              `json:"samples"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Indices) != 2 || doc.Indices[0]["mu_star"] != 3.0 ||
		doc.Indices[0]["S1"] != nil || doc.Samples != nil {
		t.Errorf("json %v: %s", err, js.String())
	}
	grid := morrisResults()
	grid.Manifest.Design.Type = Grid
	if _, err := Analyze(grid, 0, 1); err == nil {
		t.Error("a grid design analysed")
	}
}
