package sensitivity_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/sweep"
)

var update = flag.Bool("update", false, "re-run testdata/xinjiang-sobol.yaml and rewrite testdata/xinjiang-sobol.csv")

// The testdata sweep: testdata/xinjiang-sobol.yaml (xinjiang-pilot, 2,000
// people for 120 days, three levers, a Sobol design of N = 64 base rows,
// 320 runs). testdata/xinjiang-sobol.csv holds its per-point outputs of
// sweepMetrics, written by TestSweepTestdata with -update, in shortest
// round-trip form so that the values read back are the values computed.
const (
	sweepFile    = "testdata/xinjiang-sobol.yaml"
	sweepCSV     = "testdata/xinjiang-sobol.csv"
	sweepSamples = 64
	sweepK       = 3
	tinySamples  = 4 // the fresh re-run: the first 4 base rows, 20 runs
)

// sweepMetrics are the audit metrics kept in the testdata: a mean (about
// 84, far from 0, where the uncentred first-order estimator failed), an
// inequality index, a group share and a gap between groups.
var sweepMetrics = []string{"mean_score", "gini", "ever_sanctioned_uyghur", "gap_ever_sanctioned"}

// sweepOutputs holds a sweep's outputs: y[m][p] is metric sweepMetrics[m]
// at design point p (the mean over its replicates, as `nosedive
// sensitivity` takes it), in the layout of sweep.Saltelli.
type sweepOutputs struct {
	params []string   // parameter paths
	values [][]string // values[p]: the point's parameter values
	y      [][]float64
}

// runTestdataSweep runs the testdata sweep with the given number of base
// rows. The Sobol sequence and the seeds depend on the point index only,
// so the points of a smaller run are the first points of the full one.
func runTestdataSweep(t *testing.T, samples int) sweepOutputs {
	t.Helper()
	src, err := os.ReadFile(sweepFile)
	if err != nil {
		t.Fatal(err)
	}
	full := fmt.Sprintf("samples: %d\n", sweepSamples)
	if !bytes.Contains(src, []byte(full)) {
		t.Fatalf("%s does not say %q", sweepFile, full)
	}
	src = bytes.Replace(src, []byte(full), fmt.Appendf(nil, "samples: %d\n", samples), 1)
	s, err := sweep.Load(sweepFile, src, ".")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), s.Name)
	out, err := sweep.Execute(context.Background(), s, sweep.Options{Dir: dir, Jobs: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if out.Failed != 0 {
		t.Fatalf("%d runs failed: %+v", out.Failed, sweep.ReadFailures(dir))
	}
	res, err := sweep.ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := sweepOutputs{y: make([][]float64, len(sweepMetrics))}
	for _, p := range s.Params {
		o.params = append(o.params, p.Path)
	}
	for _, p := range s.Points {
		o.values = append(o.values, p.Values)
	}
	for m, name := range sweepMetrics {
		mi, err := res.MetricIndex(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.PointStats(mi) {
			o.y[m] = append(o.y[m], st.Mean)
		}
	}
	return o
}

// matrixName names point p's matrix in the Saltelli layout.
func matrixName(p, k int) string {
	switch m := p % (k + 2); m {
	case 0:
		return "A"
	case k + 1:
		return "B"
	default:
		return "AB" + strconv.Itoa(m)
	}
}

func writeSweepCSV(path string, o sweepOutputs) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(append(append([]string{"point", "row", "matrix"}, o.params...), sweepMetrics...))
	for p, vals := range o.values {
		rec := append([]string{strconv.Itoa(p), strconv.Itoa(p / (sweepK + 2)), matrixName(p, sweepK)}, vals...)
		for m := range sweepMetrics {
			rec = append(rec, strconv.FormatFloat(o.y[m][p], 'g', -1, 64))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// readSweepCSV reads testdata/xinjiang-sobol.csv: y[m][p] as in
// sweepOutputs.
func readSweepCSV(t *testing.T) [][]float64 {
	t.Helper()
	f, err := os.Open(sweepCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+sweepSamples*(sweepK+2) {
		t.Fatalf("%s: %d rows, want a header and %d points", sweepCSV, len(recs), sweepSamples*(sweepK+2))
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	y := make([][]float64, len(sweepMetrics))
	for m, name := range sweepMetrics {
		c, ok := col[name]
		if !ok {
			t.Fatalf("%s: no column %s", sweepCSV, name)
		}
		for line, rec := range recs[1:] {
			v, err := strconv.ParseFloat(rec[c], 64)
			if err != nil {
				t.Fatalf("%s:%d: %s: %v", sweepCSV, line+2, name, err)
			}
			y[m] = append(y[m], v)
		}
	}
	return y
}

// TestSweepTestdata checks that testdata/xinjiang-sobol.csv is the
// testdata sweep's design: its points, in order, with the parameter
// values and matrices of the Saltelli layout (these depend on the sweep
// file and the Sobol sequence only). The outputs themselves come from the
// engine as it was when the file was written; a later change to the
// engine changes a fresh run's outputs but not what the comparisons test
// (the estimators on the outputs of a real sweep), and
// TestAgainstSALibRefTinySweep runs fresh ones. With -update it runs the
// whole sweep (320 runs, under a minute on two cores) and rewrites the
// CSV.
func TestSweepTestdata(t *testing.T) {
	if *update {
		if err := writeSweepCSV(sweepCSV, runTestdataSweep(t, sweepSamples)); err != nil {
			t.Fatal(err)
		}
		return
	}
	s, err := sweep.ReadFile(sweepFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(sweepCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var params []string
	for _, p := range s.Params {
		params = append(params, p.Path)
	}
	if diff := cmp.Diff(recs[0], append(append([]string{"point", "row", "matrix"}, params...), sweepMetrics...)); diff != "" {
		t.Errorf("%s: header (-got +want):\n%s", sweepCSV, diff)
	}
	if len(recs)-1 != len(s.Points) || len(s.Points) != sweepSamples*(sweepK+2) {
		t.Fatalf("%s: %d points, the sweep has %d", sweepCSV, len(recs)-1, len(s.Points))
	}
	for p, pt := range s.Points {
		want := append([]string{strconv.Itoa(p), strconv.Itoa(p / (sweepK + 2)), matrixName(p, sweepK)}, pt.Values...)
		if diff := cmp.Diff(recs[p+1][:len(want)], want); diff != "" {
			t.Errorf("%s:%d: point %d (-got +want):\n%s", sweepCSV, p+2, p, diff)
		}
	}
}
