package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// textResults is a 2-point sweep: point 0 with three replicates, point 1
// with one, and a metric without a value in one run.
func textResults() *Results {
	m := &Manifest{Sweep: &Sweep{Name: "t", Replicates: 3,
		Params: []Param{{Path: "tiers.caps.0.best"}},
		Points: []Point{{Index: 0, Values: []string{"average"}}, {Index: 1, Values: []string{"trustworthy"}}}}}
	nan := math.NaN()
	return &Results{Manifest: m, Metrics: []string{"ever_sanctioned", "detained", "gini"},
		Runs:   []Run{{Point: 0, Replicate: 0}, {Point: 0, Replicate: 1}, {Point: 0, Replicate: 2}, {Point: 1, Replicate: 0}},
		Values: [][]float64{{0.1, 0, 0.3}, {0.2, 0, nan}, {0.3, 0.01, 0.5}, {0.05, 0, 0.25}}}
}

var updateText = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "text", name)
	if *updateText {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, string(want)); diff != "" {
		t.Errorf("%s (-got +want; -update rewrites it):\n%s", name, diff)
	}
}

func TestSummaryText(t *testing.T) {
	res := textResults()
	if diff := cmp.Diff(res.HeadlineMetrics(), []string{"ever_sanctioned", "detained"}); diff != "" {
		t.Errorf("headline metrics: %s", diff)
	}
	s, err := res.Summarize([]string{"ever_sanctioned", "gini"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	// Shares print as percentages, clipped to [0, 100%]: 0.2 +- 0.2484.
	if !strings.Contains(b.String(), "20.0% [0.0, 44.8]") || !strings.Contains(b.String(), "0.400 [0.000, 1.000] (n=2)") {
		t.Errorf("table:\n%s", b.String())
	}
	golden(t, "summary-table.txt", b.String())
	b.Reset()
	if err := s.WritePoint(&b, 1); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-point.txt", b.String())
	b.Reset()
	if err := s.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	// t(0.975, 2) = 0.95/sqrt(2 x 0.975 x 0.025) = 4.3026527297:
	// 0.2 +- 4.3026527297 x 0.1/sqrt(3) = [-0.04841377118, 0.4484137712];
	// gini (one run without a value): 0.4 +- tan(0.475 pi) x 0.1414/sqrt(2),
	// tan(0.475 pi) = 12.706204736.
	want := `point,tiers.caps.0.best,metric,n,mean,sd,ci95_low,ci95_high
0,average,ever_sanctioned,3,0.2,0.1,-0.04841377118,0.4484137712
0,average,gini,2,0.4,0.1414213562,-0.8706204736,1.670620474
1,trustworthy,ever_sanctioned,1,0.05,,,
1,trustworthy,gini,1,0.25,,,
`
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("csv (-got +want):\n%s", diff)
	}
	b.Reset()
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var js []map[string]any
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 4 || js[2]["metric"] != "ever_sanctioned" || js[2]["sd"] != nil || js[0]["n"] != 3.0 ||
		js[1]["params"].(map[string]any)["tiers.caps.0.best"] != "average" {
		t.Errorf("json: %s", b.String())
	}
	if _, err := res.Summarize([]string{"ever_sanctoned"}); err == nil || !strings.Contains(err.Error(), `no metric "ever_sanctoned"`) {
		t.Errorf("unknown metric: %v", err)
	}
}

// TestWriteSummary: the status line first (on the error writer with CSV
// and JSON, so the output holds only data), the headline metrics in the
// table, every metric for one point; a point out of range and a metric
// the table lacks are bad input. (The directory has no sweep.json, so the
// status keeps the manifest's counts.)
func TestWriteSummary(t *testing.T) {
	res := textResults()
	res.Manifest.Design.Type = Grid
	res.Manifest.Runs = make([]Run, 6)
	dir := t.TempDir()
	status := "sweep t: 4 of 6 runs done, 0 failed (grid design, 2 points x 3 replicates)\n"
	var out, errw bytes.Buffer
	if err := res.WriteSummary(&out, &errw, dir, SummaryOptions{Point: -1}); err != nil {
		t.Fatal(err)
	}
	s, _ := res.Summarize([]string{"ever_sanctioned", "detained"})
	var table bytes.Buffer
	s.WriteTable(&table)
	if out.String() != status+table.String() || errw.Len() != 0 {
		t.Errorf("table:\n%s\nstderr %q", out.String(), errw.String())
	}
	out.Reset()
	if err := res.WriteSummary(&out, &errw, dir, SummaryOptions{Point: -1, CSV: true}); err != nil {
		t.Fatal(err)
	}
	all, _ := res.Summarize(res.Metrics)
	var csv bytes.Buffer
	all.WriteCSV(&csv)
	if out.String() != csv.String() || errw.String() != "nosedive: "+status {
		t.Errorf("csv:\n%s\nstderr %q", out.String(), errw.String())
	}
	out.Reset()
	if err := res.WriteSummary(&out, &errw, dir, SummaryOptions{Point: 1}); err != nil {
		t.Fatal(err)
	}
	var point bytes.Buffer
	all.WritePoint(&point, 1)
	if out.String() != status+point.String() {
		t.Errorf("point 1:\n%s", out.String())
	}
	for _, o := range []SummaryOptions{{Point: 2}, {Point: -2}, {Point: -1, Metrics: []string{"nope"}}} {
		var ie *InputError
		if err := res.WriteSummary(&out, &errw, dir, o); !errors.As(err, &ie) {
			t.Errorf("%+v: %v, want bad input", o, err)
		}
	}
}

// The t quantile against closed forms (Student's t with 1 and 2 degrees
// of freedom has an explicit inverse: tan(pi(p - 1/2)) and
// (2p - 1)/sqrt(2p(1 - p))) and against the three-decimal table of the
// NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2.
func TestTQuantile975(t *testing.T) {
	exact := map[int]float64{1: math.Tan(math.Pi * 0.475), 2: 0.95 / math.Sqrt(2*0.975*0.025)}
	for df, want := range exact {
		if got := TQuantile975(df); math.Abs(got-want) > 1e-9*want {
			t.Errorf("df %d: %.12g, want %.12g", df, got, want)
		}
	}
	table := map[int]float64{3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042, 50: 2.009, 100: 1.984}
	for df, want := range table {
		if got := TQuantile975(df); math.Abs(got-want) > 5e-4 {
			t.Errorf("df %d: %.6f, want %.3f", df, got, want)
		}
	}
	if !math.IsNaN(TQuantile975(0)) {
		t.Error("df 0 has no quantile")
	}
}
