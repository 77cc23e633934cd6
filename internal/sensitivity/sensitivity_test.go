package sensitivity_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/sensitivity"
	"github.com/nosedive-lab/nosedive/internal/sweep"
)

// ishigami is the Ishigami function on the unit cube (mapped to [-pi, pi]^3)
// with a = 7, b = 0.1.
func ishigami(u []float64) float64 {
	x := make([]float64, 3)
	for i := range x {
		x[i] = -math.Pi + 2*math.Pi*u[i]
	}
	return math.Sin(x[0]) + 7*math.Sin(x[1])*math.Sin(x[1]) + 0.1*math.Pow(x[2], 4)*math.Sin(x[0])
}

// Analytic Sobol indices of the Ishigami function with a = 7, b = 0.1
// (Ishigami and Homma 1990; Saltelli et al. 2008, p. 179).
var (
	ishigamiS1 = []float64{0.3139, 0.4424, 0}
	ishigamiST = []float64{0.5576, 0.4424, 0.2437}
)

// ishigamiOutputs evaluates the Ishigami function plus c on the Saltelli
// sample of n base rows.
func ishigamiOutputs(n int, c float64) []float64 {
	pts := sweep.Saltelli(n, 3)
	y := make([]float64, len(pts))
	for i, p := range pts {
		y[i] = ishigami(p) + c
	}
	return y
}

// TestSobolIshigamiShifts: at N = 4096 every index is within 0.01 of its
// analytic value whatever constant is added to the output, and so are the
// intervals (the issue asked for half-widths within 25% of each other
// across shifts; standardising makes them equal up to rounding, checked
// to 1e-6). The uncentred estimator gave S1(x1) = 0.315 ±0.12 at +10 and
// 0.351 ±8.7 at +1000.
func TestSobolIshigamiShifts(t *testing.T) {
	const n, k = 4096, 3
	var base sensitivity.SobolResult
	for _, c := range []float64{0, 10, 1000, -1e6} {
		got, err := sensitivity.Sobol(ishigamiOutputs(n, c), k, sensitivity.SobolOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Warnings) != 0 || got.Rows != n || got.RowsUsed != n || got.Missing != 0 || got.SkippedResamples != 0 {
			t.Errorf("+%g: rows %d used %d missing %d skipped resamples %d, warnings %q", c, got.Rows, got.RowsUsed, got.Missing, got.SkippedResamples, got.Warnings)
		}
		for i, x := range got.Indices {
			if math.Abs(x.S1-ishigamiS1[i]) > 0.01 || math.Abs(x.ST-ishigamiST[i]) > 0.01 {
				t.Errorf("+%g x%d: S1 %.4f (want %.4f), ST %.4f (want %.4f)", c, i+1, x.S1, ishigamiS1[i], x.ST, ishigamiST[i])
			}
			// 95% intervals; SALib gives about ±0.030 for S1 and ±0.013 to
			// ±0.045 for ST at this N.
			if x.S1Conf < 0.015 || x.S1Conf > 0.045 || x.STConf < 0.005 || x.STConf > 0.07 {
				t.Errorf("+%g x%d: half-widths ±%.4f (S1), ±%.4f (ST)", c, i+1, x.S1Conf, x.STConf)
			}
			if c == 0 {
				continue
			}
			b := base.Indices[i]
			if math.Abs(x.S1-b.S1) > 1e-9 || math.Abs(x.ST-b.ST) > 1e-9 ||
				math.Abs(x.S1Conf/b.S1Conf-1) > 1e-6 || math.Abs(x.STConf/b.STConf-1) > 1e-6 {
				t.Errorf("+%g x%d: %+v, at +0 %+v", c, i+1, x, b)
			}
		}
		if c == 0 {
			base = got
		}
	}
}

// TestSobolIntervalWidthAtZero: the Ishigami function has mean 3.5, so
// even unshifted outputs are not centred, and the uncentred first-order
// estimator's intervals were about 40% wider than SALib's (S1(x1) ±0.0415
// against ±0.030). Centring removes the term mean(y) (f(AB_i) - f(A))
// from every product, whose spread had widened them; the interval of S1
// must now be that of outputs centred by hand, and ST's was never
// affected.
func TestSobolIntervalWidthAtZero(t *testing.T) {
	const n, k = 4096, 3
	y := ishigamiOutputs(n, 0)
	got, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range got.Indices {
		// The old estimator, z * sd over resamples of the uncentred
		// estimate, at the same resamples: what the bug gave.
		old := uncentredS1Conf(y, k, i, 1)
		if r := old / x.S1Conf; r < 1.15 {
			t.Errorf("x%d: uncentred half-width %.4f is only %.2f times the centred %.4f; the test no longer shows the effect", i+1, old, r, x.S1Conf)
		}
		if x.S1Conf > 0.035 {
			t.Errorf("x%d: S1 half-width %.4f, SALib about 0.030", i+1, x.S1Conf)
		}
	}
}

// uncentredS1Conf is the old interval: the first-order estimator on
// uncentred outputs, bootstrapped over the base rows.
func uncentredS1Conf(y []float64, k, i int, seed uint64) float64 {
	n := len(y) / (k + 2)
	est := func(rows []int) float64 {
		var s, ss, a1 float64
		for _, j := range rows {
			s += y[j*(k+2)] + y[j*(k+2)+k+1]
		}
		m := float64(len(rows))
		mu := s / (2 * m)
		for _, j := range rows {
			fa, fb, fab := y[j*(k+2)], y[j*(k+2)+k+1], y[j*(k+2)+1+i]
			ss += (fa-mu)*(fa-mu) + (fb-mu)*(fb-mu)
			a1 += fb * (fab - fa)
		}
		return a1 / m / (ss / (2 * m))
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	boot := make([]float64, 1000)
	rows := make([]int, n)
	for b := range boot {
		for j := range rows {
			rows[j] = rng.IntN(n)
		}
		boot[b] = est(rows)
	}
	var m, ss float64
	for _, v := range boot {
		m += v
	}
	m /= float64(len(boot))
	for _, v := range boot {
		ss += (v - m) * (v - m)
	}
	return 1.959963984540054 * math.Sqrt(ss/float64(len(boot)-1))
}

// TestSobolWarnings lists the exact warnings of complete and incomplete
// designs: a failed run drops its base row from every index and says so,
// and no longer makes the output look constant or hides the other
// warnings; a constant output still says it does not vary.
func TestSobolWarnings(t *testing.T) {
	const k = 3
	small := "N = %d: Sobol indices need N of several hundred to a few thousand to be stable; read the intervals"
	wide := "some intervals are wider than ±0.1: increase design.samples (or replicates, which average out noise)"
	flat := "the output does not vary: every index is undefined"
	skipped := "%d of %d base rows skipped: %d of %d outputs missing (failed or missing runs, or the metric is undefined there); every index uses the other %d rows"
	nan := math.NaN()
	with := func(y []float64, set map[int]float64) []float64 {
		y = slices.Clone(y)
		for p, v := range set {
			y[p] = v
		}
		return y
	}
	constant := func(n int) []float64 {
		y := make([]float64, n*(k+2))
		for i := range y {
			y[i] = 84.1
		}
		return y
	}
	big, tiny := ishigamiOutputs(1024, 84), ishigamiOutputs(64, 84)
	for _, tc := range []struct {
		name       string
		y          []float64
		used, miss int
		want       []string
		undefined  bool
	}{
		{"complete, N = 1024", big, 1024, 0, nil, false},
		{"one failed run of 5120", with(big, map[int]float64{7: nan}), 1023, 1,
			[]string{fmt.Sprintf(skipped, 1, 1024, 1, 5120, 1023)}, false},
		{"failed runs in two rows, one a B", with(big, map[int]float64{7: nan, 9: nan, 4 * 5: nan}), 1022, 3,
			[]string{fmt.Sprintf(skipped, 2, 1024, 3, 5120, 1022)}, false},
		{"an infinite output", with(big, map[int]float64{12: math.Inf(1)}), 1023, 1,
			[]string{fmt.Sprintf(skipped, 1, 1024, 1, 5120, 1023)}, false},
		{"complete, N = 64", tiny, 64, 0, []string{fmt.Sprintf(small, 64), wide}, false},
		{"one failed run, N = 64", with(tiny, map[int]float64{0: nan}), 63, 1,
			[]string{fmt.Sprintf(skipped, 1, 64, 1, 320, 63), fmt.Sprintf(small, 63), wide}, false},
		{"constant, N = 1024", constant(1024), 1024, 0, []string{flat}, true},
		{"constant with a failed run", with(constant(1024), map[int]float64{5119: nan}), 1023, 1,
			[]string{fmt.Sprintf(skipped, 1, 1024, 1, 5120, 1023), flat}, true},
		{"constant, N = 64", constant(64), 64, 0, []string{fmt.Sprintf(small, 64), flat}, true},
	} {
		got, err := sensitivity.Sobol(tc.y, k, sensitivity.SobolOptions{Seed: 1})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(got.Warnings, tc.want); diff != "" {
			t.Errorf("%s: warnings (-got +want):\n%s", tc.name, diff)
		}
		if got.RowsUsed != tc.used || got.Missing != tc.miss || got.Rows != len(tc.y)/(k+2) {
			t.Errorf("%s: rows %d, used %d, missing %d; want used %d, missing %d", tc.name, got.Rows, got.RowsUsed, got.Missing, tc.used, tc.miss)
		}
		for i, x := range got.Indices {
			finite := !math.IsNaN(x.S1) && !math.IsNaN(x.ST) && !math.IsNaN(x.S1Conf) && !math.IsNaN(x.STConf)
			if finite == tc.undefined {
				t.Errorf("%s: x%d: %+v", tc.name, i+1, x)
			}
		}
	}
}

// TestSobolSkipsRowsConsistently: dropping the rows with a missing output
// gives exactly the indices of the design without those rows, whichever
// of A, AB_i or B is missing.
func TestSobolSkipsRowsConsistently(t *testing.T) {
	const n, k = 512, 3
	y := ishigamiOutputs(n, 84)
	holed := slices.Clone(y)
	var kept []float64
	for j := range n {
		row := y[j*(k+2) : (j+1)*(k+2)]
		if j%50 == 3 {
			holed[j*(k+2)+j%(k+2)] = math.NaN() // A, AB_1, AB_2, AB_3 or B in turn
			continue
		}
		kept = append(kept, row...)
	}
	opt := sensitivity.SobolOptions{Seed: 3}
	got, err := sensitivity.Sobol(holed, k, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sensitivity.Sobol(kept, k, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.RowsUsed != want.Rows || got.Missing != n-want.Rows {
		t.Errorf("used %d rows, missing %d; want %d and %d", got.RowsUsed, got.Missing, want.Rows, n-want.Rows)
	}
	if diff := cmp.Diff(got.Indices, want.Indices); diff != "" {
		t.Errorf("indices with holes against the design without those rows (-got +want):\n%s", diff)
	}
}

// TestSobolOptions: the level sets the normal quantile (same resamples,
// so the half-widths scale by z(0.95)/z(0.975) exactly), resamples
// without variation are left out and counted, and bad options are errors.
func TestSobolOptions(t *testing.T) {
	const k = 3
	y := ishigamiOutputs(256, 0)
	at95, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	at90, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Seed: 5, Level: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	const ratio = 1.6448536269514722 / 1.959963984540054
	for i := range k {
		if math.Abs(at90.Indices[i].S1Conf/at95.Indices[i].S1Conf-ratio) > 1e-12 || at90.Indices[i].S1 != at95.Indices[i].S1 {
			t.Errorf("x%d: 90%% %+v, 95%% %+v", i+1, at90.Indices[i], at95.Indices[i])
		}
	}
	// One row of 64 differs from the rest: a resample without it (about
	// (63/64)^64 = 37% of them) has an output that does not vary.
	flat := make([]float64, 64*(k+2))
	flat[0] = 1
	got, err := sensitivity.Sobol(flat, k, sensitivity.SobolOptions{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.SkippedResamples; s < 300 || s > 440 {
		t.Errorf("%d of 1000 resamples skipped, want about 366", s)
	}
	want := []string{
		"N = 64: Sobol indices need N of several hundred to a few thousand to be stable; read the intervals",
		fmt.Sprintf("in %d of 1000 bootstrap resamples the output does not vary; the intervals use the other %d", got.SkippedResamples, 1000-got.SkippedResamples),
	}
	if diff := cmp.Diff(got.Warnings, want); diff != "" {
		t.Errorf("warnings (-got +want):\n%s", diff)
	}
	for _, bad := range []sensitivity.SobolOptions{{Level: 1}, {Level: -0.5}, {Level: 0.8}, {Resamples: 1}} {
		if _, err := sensitivity.Sobol(y, k, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := sensitivity.Sobol(y[:len(y)-1], k, sensitivity.SobolOptions{}); err == nil {
		t.Error("a broken layout gave no error")
	}
	one := slices.Clone(y[:2*(k+2)])
	one[0] = math.NaN()
	if _, err := sensitivity.Sobol(one, k, sensitivity.SobolOptions{}); err == nil {
		t.Error("one complete row gave no error")
	}
}

func TestMorrisKnownEffects(t *testing.T) {
	const r, k, p = 20, 3, 4
	pts := sweep.MorrisTrajectories(r, k, p, 7)
	lin := make([]float64, len(pts))
	inter := make([]float64, len(pts))
	for i, x := range pts {
		lin[i] = 2*x[0] - 3*x[1]
		inter[i] = x[0] * x[1] * 4
	}
	got, warn, err := sensitivity.Morris(pts, lin, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []sensitivity.MorrisIndex{{Mu: 2, MuStar: 2}, {Mu: -3, MuStar: 3}, {}}
	for i := range k {
		g := got[i]
		if math.Abs(g.Mu-want[i].Mu) > 1e-9 || math.Abs(g.MuStar-want[i].MuStar) > 1e-9 || g.Sigma > 1e-9 || g.N != r {
			t.Errorf("linear x%d: got mu %g mu* %g sigma %g n %d, want mu %g mu* %g sigma 0", i+1, g.Mu, g.MuStar, g.Sigma, g.N, want[i].Mu, want[i].MuStar)
		}
	}
	if len(warn) != 0 {
		t.Errorf("warnings: %v", warn)
	}
	// An interaction: x1 and x2 matter with spread (sigma > 0), x3 not at all.
	got, _, err = sensitivity.Morris(pts, inter, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Sigma <= 0.1 || got[1].Sigma <= 0.1 || got[0].MuStar <= 0.5 || got[2].MuStar != 0 || got[2].Sigma != 0 {
		t.Errorf("interaction: %+v", got)
	}
	// For x1*x2*4, the effect of x1 is 4*x2 averaged over the design: mu*
	// near 4 * E[x2] = 2.
	if math.Abs(got[0].MuStar-2) > 0.5 {
		t.Errorf("interaction: mu*(x1) = %g, want about 2", got[0].MuStar)
	}
	// Few trajectories warn.
	if _, warn, _ := sensitivity.Morris(pts[:4*(k+1)], lin[:4*(k+1)], k, 1); len(warn) == 0 {
		t.Error("no warning with 4 trajectories")
	}
}
