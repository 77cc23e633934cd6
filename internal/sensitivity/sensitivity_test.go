package sensitivity_test

import (
	"math"
	"testing"

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

// TestSobolIshigami checks S1 and ST against the analytic values
// (Ishigami and Homma 1990; Saltelli et al. 2008, p. 179).
func TestSobolIshigami(t *testing.T) {
	const n, k = 4096, 3
	pts := sweep.Saltelli(n, k)
	y := make([]float64, len(pts))
	for i, p := range pts {
		y[i] = ishigami(p)
	}
	got, warn, err := sensitivity.Sobol(y, k, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantS1 := []float64{0.3139, 0.4424, 0}
	wantST := []float64{0.5576, 0.4424, 0.2437}
	for i := range k {
		if math.Abs(got[i].S1-wantS1[i]) > 0.03 || math.Abs(got[i].ST-wantST[i]) > 0.03 {
			t.Errorf("x%d: S1 %.4f (want %.4f), ST %.4f (want %.4f)", i+1, got[i].S1, wantS1[i], got[i].ST, wantST[i])
		}
		// The intervals should cover the truth (they are 95% intervals;
		// allow twice the half-width to keep the test robust).
		if math.Abs(got[i].S1-wantS1[i]) > 2*got[i].S1Conf+0.005 || math.Abs(got[i].ST-wantST[i]) > 2*got[i].STConf+0.005 {
			t.Errorf("x%d: intervals ±%.4f/±%.4f do not reach the analytic values", i+1, got[i].S1Conf, got[i].STConf)
		}
	}
	if len(warn) != 0 {
		t.Errorf("warnings at N = %d: %v", n, warn)
	}
	// A small sample warns.
	if _, warn, _ := sensitivity.Sobol(y[:16*(k+2)], k, 1); len(warn) == 0 {
		t.Error("no warning at N = 16")
	}
	// A missing run drops its block and says so.
	y[3] = math.NaN()
	if _, warn, err := sensitivity.Sobol(y, k, 1); err != nil || len(warn) == 0 {
		t.Errorf("missing run: err %v, warnings %v", err, warn)
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
