package delayedimpact

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dataDir = "../../../scenarios/data/fico-transrisk"

var pair = []string{Black, White}

func load(t *testing.T) *Data {
	t.Helper()
	d, err := Load(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLoad(t *testing.T) {
	d := load(t)
	if got, want := len(d.Score), 198; got != want {
		t.Fatalf("levels: got %d, want %d", got, want)
	}
	if got, want := strings.Join(d.Groups, "|"), "Non- Hispanic white|Black|Hispanic|Asian"; got != want {
		t.Fatalf("groups: got %q, want %q", got, want)
	}
	// totals.csv: Black 18,274 and white 133,165 (data README).
	if d.Count[1] != 18274 || d.Count[0] != 133165 {
		t.Errorf("counts: got white %v, Black %v", d.Count[0], d.Count[1])
	}
	if d.Score[0] != 300 || d.Score[len(d.Score)-1] != 850 {
		t.Errorf("score range: got %v..%v, want 300..850", d.Score[0], d.Score[len(d.Score)-1])
	}
	for i := 1; i < len(d.Score); i++ {
		if d.Score[i] <= d.Score[i-1] {
			t.Errorf("score not increasing at level %d: %v then %v", i, d.Score[i-1], d.Score[i])
		}
	}
	for _, pt := range scoreMap {
		if got := ScoreOf(pt[0]); got != pt[1] {
			t.Errorf("ScoreOf(%v) = %v, want %v", pt[0], got, pt[1])
		}
	}
	// Midway between (47.7, 650) and (61.5, 700).
	if got, want := ScoreOf(54.6), 675.0; math.Abs(got-want) > 1e-12 {
		t.Errorf("ScoreOf(54.6) = %v, want %v", got, want)
	}
	for j, g := range d.Groups {
		sum := 0.0
		for i, m := range d.Mass[j] {
			if m < 0 || d.Repay[j][i] < 0 || d.Repay[j][i] > 1 {
				t.Fatalf("%s level %d: mass %v, rho %v", g, i, m, d.Repay[j][i])
			}
			sum += m
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("%s: masses sum to %v", g, sum)
		}
	}
	// The first level of the performance table: white 98.54% bad, Black 99.67%.
	if got, want := d.Repay[0][0], 1-0.9854; math.Abs(got-want) > 1e-15 {
		t.Errorf("white rho at level 0: got %v, want %v", got, want)
	}
	if got, want := d.Mass[1][1], (1.19-0.07)/100; math.Abs(got-want) > 1e-15 {
		t.Errorf("Black mass at level 1: got %v, want %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cdf, perf, tot := read(CDFFile), read(PerformanceFile), read(TotalsFile)
	cases := []struct {
		name           string
		cdf, perf, tot string
		want           string
	}{
		{"bad number", strings.Replace(cdf, "0.5,0.26", "0.5,x.26", 1), perf, tot, CDFFile + ":3:5: Non- Hispanic white: \"x.26\" is not a number"},
		{"decreasing cdf", strings.Replace(cdf, "0.5,0.26", "0.5,0.001", 1), perf, tot, CDFFile + ":3: Non- Hispanic white: cumulative share"},
		{"rate above 100", perf, strings.Replace(perf, "0,98.54", "0,198.54", 1), tot, PerformanceFile + ":2: Non- Hispanic white: default rate"},
		{"columns differ", cdf, strings.Replace(perf, "Black", "black", 1), tot, PerformanceFile + ":1: groups"},
		{"no totals row", cdf, perf, "Kind,Non- Hispanic white,Black,Hispanic,Asian\n", TotalsFile + ": no rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, s := range map[string]string{CDFFile: tc.cdf, PerformanceFile: tc.perf, TotalsFile: tc.tot} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Fatal("an empty directory loaded")
	}
}

func TestSolveErrors(t *testing.T) {
	d := load(t)
	cases := []struct {
		groups []string
		policy string
		u      float64
		want   string
	}{
		{pair, "max-profit", 4, "unknown policy"},
		{[]string{"Black", "white"}, MaxUtil, 4, "unknown group \"white\""},
		{[]string{Black, Black}, DemParity, 4, "given twice"},
		{pair, EqOpp, 0, "want a positive number"},
		{pair, EqOpp, math.NaN(), "want a positive number"},
		{nil, EqOpp, 4, "no groups"},
	}
	for _, tc := range cases {
		_, err := Solve(d, tc.groups, tc.policy, tc.u)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Solve(%q, %q, %v): got %v, want %q", tc.groups, tc.policy, tc.u, err, tc.want)
		}
	}
	if _, err := OutcomeCurve(d, Black, []float64{1.5}); err == nil {
		t.Error("OutcomeCurve accepted a selection rate of 1.5")
	}
}

// direct recomputes a group's outcome from a threshold alone, level by
// level, as the paper's sums over scores.
func direct(d *Data, j int, th Threshold, u float64) (rate, tpr, deltaMu, util float64) {
	pos := 0.0
	for i, m := range d.Mass[j] {
		rho := d.Repay[j][i]
		pos += m * rho
		tau := 0.0
		switch {
		case i > th.Level:
			tau = 1
		case i == th.Level:
			tau = th.Prob
		}
		rate += tau * m
		tpr += tau * m * rho
		deltaMu += tau * m * (CPlus*rho + CMinus*(1-rho))
		util += tau * m * (rho - u*(1-rho))
	}
	return rate, tpr / pos, deltaMu, util
}

// TestConsistency checks the policies' defining properties (item (a) of
// the brief) and recomputes every result from its threshold.
func TestConsistency(t *testing.T) {
	d := load(t)
	for _, u := range []float64{1.5, 2, 4, 10} {
		res := map[string][]GroupResult{}
		for _, p := range []string{MaxUtil, DemParity, EqOpp} {
			rs, err := Solve(d, pair, p, u)
			if err != nil {
				t.Fatal(err)
			}
			res[p] = rs
			for _, r := range rs {
				j, _ := d.GroupIndex(r.Group)
				rate, tpr, dmu, util := direct(d, j, r.Threshold, u)
				for _, c := range []struct {
					name      string
					got, want float64
				}{{"rate", r.Rate, rate}, {"tpr", r.TPR, tpr}, {"delta mu", r.DeltaMu, dmu}, {"utility", r.Utility, util}} {
					if math.Abs(c.got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
						t.Errorf("u=%v %s %s: %s %v, recomputed from the threshold %v", u, p, r.Group, c.name, c.got, c.want)
					}
				}
				if r.Threshold.Prob <= 0 || r.Threshold.Prob > 1 {
					t.Errorf("u=%v %s %s: boundary share %v", u, p, r.Group, r.Threshold.Prob)
				}
			}
		}
		dp, eo, mu := res[DemParity], res[EqOpp], res[MaxUtil]
		if math.Abs(dp[0].Rate-dp[1].Rate) > 1e-12 {
			t.Errorf("u=%v DemParity: rates %v and %v differ", u, dp[0].Rate, dp[1].Rate)
		}
		if math.Abs(eo[0].TPR-eo[1].TPR) > 1e-12 {
			t.Errorf("u=%v EqOpt: TPRs %v and %v differ", u, eo[0].TPR, eo[1].TPR)
		}
		// MaxUtil lends exactly down to the break-even repayment probability.
		be := u / (1 + u)
		for _, r := range mu {
			j, _ := d.GroupIndex(r.Group)
			k := r.Threshold.Level
			below := k - 1
			for below >= 0 && d.Mass[j][below] == 0 {
				below--
			}
			if r.Threshold.Prob != 1 || d.Repay[j][k] < be || (below >= 0 && d.Repay[j][below] >= be) {
				t.Errorf("u=%v MaxUtil %s: threshold level %d (p %v) rho %v, level below rho %v, break-even %v",
					u, r.Group, k, r.Threshold.Prob, d.Repay[j][k], d.Repay[j][below], be)
			}
		}
		umax := TotalUtility(mu)
		for _, p := range []string{DemParity, EqOpp} {
			if got := TotalUtility(res[p]); got > umax+1e-15 {
				t.Errorf("u=%v: %s utility %v above MaxUtil's %v", u, p, got, umax)
			}
		}
		if s := dp[0].Share + dp[1].Share; math.Abs(s-1) > 1e-15 {
			t.Errorf("shares sum to %v", s)
		}
	}
}

// policyAt is the threshold policy of selection rate beta, built directly
// from the levels (top score down), independent of the solver's curves.
func policyAt(d *Data, j int, beta float64) Threshold {
	left := beta
	for i := len(d.Score) - 1; i >= 0; i-- {
		m := d.Mass[j][i]
		if m <= 0 {
			continue
		}
		if left <= m {
			return Threshold{Level: i, Prob: left / m}
		}
		left -= m
	}
	return Threshold{Level: 0, Prob: 1}
}

// TestBruteForce checks the constrained optima against a fine grid of the
// common selection rate (DemParity) or true-positive rate (EqOpt), every
// grid point evaluated directly (item (c) of the brief).
func TestBruteForce(t *testing.T) {
	d := load(t)
	idx := []int{1, 0}
	share := []float64{d.Count[1] / (d.Count[0] + d.Count[1]), d.Count[0] / (d.Count[0] + d.Count[1])}
	total := func(u float64, beta []float64) float64 {
		s := 0.0
		for k, j := range idx {
			_, _, _, util := direct(d, j, policyAt(d, j, beta[k]), u)
			s += share[k] * util
		}
		return s
	}
	// rateFor inverts the true-positive rate by bisection.
	rateFor := func(j int, tpr float64) float64 {
		lo, hi := 0.0, 1.0
		for range 60 {
			mid := (lo + hi) / 2
			if _, got, _, _ := direct(d, j, policyAt(d, j, mid), 1); got < tpr {
				lo = mid
			} else {
				hi = mid
			}
		}
		return (lo + hi) / 2
	}
	for _, u := range []float64{4, 10} {
		for _, tc := range []struct {
			policy string
			n      int
			at     func(x float64) []float64
		}{
			{DemParity, 20000, func(x float64) []float64 { return []float64{x, x} }},
			{EqOpp, 2000, func(x float64) []float64 { return []float64{rateFor(idx[0], x), rateFor(idx[1], x)} }},
		} {
			rs, err := Solve(d, pair, tc.policy, u)
			if err != nil {
				t.Fatal(err)
			}
			solved := TotalUtility(rs)
			vals := make([]float64, tc.n+1)
			kb := 0
			for k := range vals {
				vals[k] = total(u, tc.at(float64(k)/float64(tc.n)))
				if vals[k] > vals[kb] {
					kb = k
				}
			}
			best, bestX := vals[kb], float64(kb)/float64(tc.n)
			// The optimum lies within half a grid step of a grid point next
			// to the best one, so the solver beats the grid by at most the
			// change between the best point and its neighbours.
			step := 0.0
			for _, k := range []int{kb - 1, kb + 1} {
				if k >= 0 && k <= tc.n {
					step = math.Max(step, math.Abs(vals[k]-vals[kb]))
				}
			}
			if best > solved+1e-12 || solved-best > step {
				t.Errorf("u=%v %s: solver %v, grid best %v at %v (change to its neighbours %v)", u, tc.policy, solved, best, bestX, step)
			}
			t.Logf("u=%v %s: solver %.9f, grid (%d points) best %.9f at %.5f, gap %.2g, change to neighbours %.2g",
				u, tc.policy, solved, tc.n+1, best, bestX, solved-best, step)
		}
	}
}

// TestPaperClaims asserts the qualitative results the paper states for
// the FICO data (doc.go, "Numbers the paper states") and logs the table of
// selection rates and score changes.
func TestPaperClaims(t *testing.T) {
	d := load(t)
	get := func(u float64, policy string) []GroupResult {
		rs, err := Solve(d, pair, policy, u)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	t.Logf("%-4s %-10s %12s %12s %12s %12s", "u", "policy", "beta Black", "dmu Black", "beta white", "dmu white")
	for _, u := range []float64{4, 10} {
		for _, p := range []string{MaxUtil, DemParity, EqOpp} {
			rs := get(u, p)
			t.Logf("%-4v %-10s %12.4f %12.3f %12.4f %12.3f   (%s / %s)", u, p, rs[0].Rate, rs[0].DeltaMu, rs[1].Rate, rs[1].DeltaMu, rs[0].Region, rs[1].Region)
			for _, r := range rs {
				// "EqOpt and MaxUtil never cause active harm."
				if p != DemParity && r.Region == ActiveHarm {
					t.Errorf("u=%v %s causes active harm to %s (delta mu %v)", u, p, r.Group, r.DeltaMu)
				}
			}
		}
	}
	// "in (a) [u = 4] DemParity causes active harm while in (b) [u = 10] it does not."
	if r := get(4, DemParity)[0]; r.Region != ActiveHarm {
		t.Errorf("u=4 DemParity, Black: region %s (delta mu %v), the paper reports active harm", r.Region, r.DeltaMu)
	}
	if r := get(10, DemParity)[0]; r.DeltaMu < 0 {
		t.Errorf("u=10 DemParity, Black: delta mu %v, the paper reports no active harm", r.DeltaMu)
	}
}

// TestRegions checks the outcome curve's region boundaries against the
// curve itself on a fine grid.
func TestRegions(t *testing.T) {
	d := load(t)
	const n = 100000
	betas := make([]float64, n+1)
	for k := range betas {
		betas[k] = float64(k) / n
	}
	for _, g := range pair {
		f, err := OutcomeCurve(d, g, betas)
		if err != nil {
			t.Fatal(err)
		}
		if f[0] != 0 {
			t.Errorf("%s: f(0) = %v", g, f[0])
		}
		top, topAt := math.Inf(-1), 0.0
		for k, v := range f {
			if v > top {
				top, topAt = v, betas[k]
			}
		}
		for _, u := range []float64{4, 10} {
			r, err := RegionsOf(d, g, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s u=%v: MaxUtil %.4f (dmu %.3f), best %.4f (dmu %.3f), bar %.4f, zero %.4f", g, u, r.MaxUtil, r.DeltaMuMaxUtil, r.Best, r.DeltaMuBest, r.Bar, r.Zero)
			if !(r.MaxUtil < r.Best && r.Best < r.Bar && r.Bar <= r.Zero && r.Zero <= 1) {
				t.Errorf("%s u=%v: boundaries out of order: %+v", g, u, r)
			}
			if math.Abs(r.Best-topAt) > 1.0/n || r.DeltaMuBest < top-1e-12 {
				t.Errorf("%s u=%v: best %v (%v), grid maximum %v at %v", g, u, r.Best, r.DeltaMuBest, top, topAt)
			}
			mu, err := Solve(d, []string{g}, MaxUtil, u)
			if err != nil {
				t.Fatal(err)
			}
			at, _ := OutcomeCurve(d, g, []float64{r.MaxUtil, r.Bar, r.Zero})
			if mu[0].Rate != r.MaxUtil || math.Abs(at[0]-mu[0].DeltaMu) > 1e-12 || math.Abs(at[1]-r.DeltaMuMaxUtil) > 1e-9 {
				t.Errorf("%s u=%v: f(MaxUtil) %v, f(bar) %v, MaxUtil alone %v at %v", g, u, at[0], at[1], mu[0].DeltaMu, mu[0].Rate)
			}
			if r.Zero < 1 && math.Abs(at[2]) > 1e-9 {
				t.Errorf("%s u=%v: f(zero) = %v", g, u, at[2])
			}
			if r.Zero == 1 && at[2] < 0 {
				t.Errorf("%s u=%v: no zero crossing, yet f(1) = %v", g, u, at[2])
			}
		}
	}
	// The Black group's curve crosses zero (below its score-change break
	// even, rho = 2/3, Delta is negative); the white group's stays positive
	// up to lending to everyone.
	rb, _ := RegionsOf(d, Black, 4)
	rw, _ := RegionsOf(d, White, 4)
	if !(rb.Zero < 1) || rw.Zero != 1 {
		t.Errorf("zero crossings: Black %v, white %v", rb.Zero, rw.Zero)
	}
}
