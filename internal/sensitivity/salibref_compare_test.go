package sensitivity_test

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/sensitivity"
	"github.com/nosedive-lab/nosedive/internal/sensitivity/salibref"
)

// Tolerances of the comparison with salibref, an implementation of
// SALib's sobol.analyze written from SALib's documentation and source
// without reading this package.
//
// Point estimates: both standardise the outputs and apply the same two
// estimators to them, so they differ only by rounding. salibref sums with
// compensation and this package sums plainly; over at most 5 x 4096
// outputs of magnitude up to 1000 the plain sum of the mean is off by
// about 1e-11 relative, which moves the standardised outputs by about
// 1e-12 and an index by less than that. The largest gap observed is
// 1e-14 (Ishigami + 1000; the tests log every gap), so 1e-13 holds with
// room for another platform's rounding and fails on any difference of
// method: a divisor of 2N - 1 instead of 2N in the variance moves S1 by
// S1/(2N), 4e-5 at N = 4096.
//
// Half-widths: the two draw their bootstrap resamples from different
// streams, so they agree in distribution only. With B = 1000 resamples
// each, the relative standard error of a bootstrap standard deviation is
// about 1/sqrt(2(B-1)) = 2.2%, and of the ratio of two independent ones
// about 3.2%; 15% is over four of those.
const (
	pointTol  = 1e-13
	confRatio = 0.15
	nBoot     = 1000
)

// split separates outputs in the Saltelli layout into f(A), f(B) and
// f(AB_i).
func split(y []float64, k int) (fa, fb []float64, fab [][]float64) {
	fab = make([][]float64, k)
	for j := 0; j < len(y); j += k + 2 {
		fa = append(fa, y[j])
		fb = append(fb, y[j+k+1])
		for i := range k {
			fab[i] = append(fab[i], y[j+1+i])
		}
	}
	return fa, fb, fab
}

// comparison is the largest gaps between this package and salibref on
// one set of outputs.
type comparison struct {
	point      float64 // largest |index - salibref's|
	confWorst  float64 // largest |half-width / salibref's - 1|
	confLogged string
}

// compare runs both on y (complete outputs) and reports point estimates
// further apart than pointTol and, when checkConf, half-widths whose
// ratio is further from 1 than confRatio.
func compare(t *testing.T, name string, y []float64, k int, checkConf bool) comparison {
	t.Helper()
	got, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Resamples: nBoot, Seed: 11})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	fa, fb, fab := split(y, k)
	s1, s1c, st, stc := salibref.Sobol(fa, fb, fab, nBoot, 0.95, 12)
	var c comparison
	for i, x := range got.Indices {
		for _, p := range [][2]float64{{x.S1, s1[i]}, {x.ST, st[i]}} {
			d := math.Abs(p[0] - p[1])
			if !(d <= pointTol) {
				t.Errorf("%s x%d: %v, salibref %v (gap %.3g)", name, i+1, p[0], p[1], d)
			}
			c.point = max(c.point, d)
		}
		if !checkConf {
			continue
		}
		for _, p := range [][2]float64{{x.S1Conf, s1c[i]}, {x.STConf, stc[i]}} {
			r := math.Abs(p[0]/p[1] - 1)
			if !(r <= confRatio) {
				t.Errorf("%s x%d: half-width ±%.4g, salibref ±%.4g (ratio %.3f)", name, i+1, p[0], p[1], p[0]/p[1])
			}
			c.confWorst = max(c.confWorst, r)
		}
		c.confLogged += fmt.Sprintf(" x%d S1 %.4f ±%.4f (ref ±%.4f) ST %.4f ±%.4f (ref ±%.4f);",
			i+1, x.S1, x.S1Conf, s1c[i], x.ST, x.STConf, stc[i])
	}
	if checkConf {
		t.Logf("%s: points within %.2g, half-widths within %.1f%%:%s", name, c.point, 100*c.confWorst, c.confLogged)
	} else {
		t.Logf("%s: points within %.2g", name, c.point)
	}
	return c
}

// TestAgainstSALibRefIshigami: on the Ishigami function, shifted by 0, 10
// and 1000 (where the old uncentred estimator's S1 intervals had grown to
// ±0.12 and ±8.7), this package and salibref agree.
func TestAgainstSALibRefIshigami(t *testing.T) {
	const k = 3
	for _, n := range []int{256, 4096} {
		for _, c := range []float64{0, 10, 1000} {
			compare(t, fmt.Sprintf("Ishigami N = %d, +%g", n, c), ishigamiOutputs(n, c), k, true)
		}
	}
}

// TestAgainstSALibRefSkippedRows: with outputs missing, the indices are
// salibref's on the complete rows only.
func TestAgainstSALibRefSkippedRows(t *testing.T) {
	const n, k = 1024, 3
	y := ishigamiOutputs(n, 84)
	holed := slices.Clone(y)
	var kept []float64
	for j := range n {
		if j%97 == 5 {
			holed[j*(k+2)+j%(k+2)] = math.NaN()
			continue
		}
		kept = append(kept, y[j*(k+2):(j+1)*(k+2)]...)
	}
	got, err := sensitivity.Sobol(holed, k, sensitivity.SobolOptions{Resamples: nBoot, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	fa, fb, fab := split(kept, k)
	s1, _, st, _ := salibref.Sobol(fa, fb, fab, nBoot, 0.95, 12)
	if got.RowsUsed != len(fa) {
		t.Errorf("used %d rows, want %d", got.RowsUsed, len(fa))
	}
	for i, x := range got.Indices {
		if math.Abs(x.S1-s1[i]) > pointTol || math.Abs(x.ST-st[i]) > pointTol {
			t.Errorf("x%d: S1 %v ST %v, salibref on the complete rows %v %v", i+1, x.S1, x.ST, s1[i], st[i])
		}
	}
}

// TestAgainstSALibRefSweep: on the outputs of a real Sobol sweep of the
// built-in xinjiang-pilot (testdata/xinjiang-sobol.csv, see sweep_test.go;
// mean_score has mean 84, where the uncentred estimator reported S1 =
// -0.31, 1.29, 0.14 against SALib's 0.056, 0.918, 0.031), the indices
// agree with salibref's to rounding (the issue asked for 0.05) and the
// half-widths within confRatio.
func TestAgainstSALibRefSweep(t *testing.T) {
	y := readSweepCSV(t)
	for m, name := range sweepMetrics {
		c := compare(t, "xinjiang-sobol "+name, y[m], sweepK, true)
		if c.point > 0.05 {
			t.Errorf("%s: indices %.3g apart, the issue's bound is 0.05", name, c.point)
		}
	}
}

var tiny struct {
	once sync.Once
	out  sweepOutputs
}

// tinySweep runs the first tinySamples base rows of the testdata sweep
// once per test binary.
func tinySweep(t *testing.T) sweepOutputs {
	tiny.once.Do(func() { tiny.out = runTestdataSweep(t, tinySamples) })
	if tiny.out.y == nil {
		t.Fatal("the tiny sweep failed in an earlier test")
	}
	return tiny.out
}

// TestAgainstSALibRefTinySweep re-runs a small version of the testdata
// sweep (20 runs) and compares the point estimates on its fresh outputs.
// Half-widths are not compared: with N = 4 some resamples have an output
// that does not vary, which this package leaves out (with a warning) and
// SALib, like salibref, turns into NaN.
func TestAgainstSALibRefTinySweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 20-run sweep")
	}
	o := tinySweep(t)
	for m, name := range sweepMetrics {
		compare(t, "tiny xinjiang-sobol "+name, o.y[m], sweepK, false)
	}
}
