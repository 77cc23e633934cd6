package audit

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"gonum.org/v1/gonum/mat"
)

// maskGame is a coalition value over rule indices (bit i: rule i on).
type maskGame func(mask uint64) float64

// values turns a maskGame into the figures function of the estimators
// (one metric "m").
func (g maskGame) values(mask uint64) map[string]float64 { return map[string]float64{"m": g(mask)} }

// exactOf is the exact Shapley value of every rule of an n-rule game.
func exactOf(n int, g maskGame) []float64 {
	rules := names(n)
	at := newAttribution(rules)
	exactShapley(at, rules, []string{"m"}, g.values)
	out := make([]float64, n)
	for i, r := range rules {
		out[i] = at.Shapley[r]["m"]
	}
	return out
}

func newAttribution(rules []string) *Attribution {
	at := &Attribution{Shapley: map[string]map[string]float64{}}
	for _, r := range rules {
		at.Shapley[r] = map[string]float64{}
	}
	return at
}

// kernelOn runs KernelSHAP on a game within a budget of twins.
func kernelOn(t *testing.T, n int, g maskGame, twins int, seed uint64, minPairs int) (*Attribution, kernelDesign) {
	t.Helper()
	d, err := kernelPlanMin(n, twins, seed, minPairs)
	if err != nil {
		t.Fatal(err)
	}
	rules := names(n)
	at := newAttribution(rules)
	if err := kernelShapley(at, rules, []string{"m"}, d, g.values); err != nil {
		t.Fatal(err)
	}
	return at, d
}

// randomGame has random main effects, pairwise and three-way
// interactions (scaled by inter) and a threshold term: a game on which
// no estimator is exact.
func randomGame(n int, seed uint64, inter float64) maskGame {
	s := rng.NewStream(rng.Key(seed, "test/random-game"))
	main := make([]float64, n)
	for i := range main {
		main[i] = 2*s.Float() - 1
	}
	pair := make([]float64, n*n)
	for i := range pair {
		pair[i] = float64(inter * (2*s.Float() - 1))
	}
	triple := make([]float64, n)
	for i := range triple {
		triple[i] = float64(inter * (2*s.Float() - 1))
	}
	return func(mask uint64) float64 {
		x := 0.0
		for i := range n {
			if mask&(1<<uint(i)) == 0 {
				continue
			}
			x += main[i]
			for j := i + 1; j < n; j++ {
				if mask&(1<<uint(j)) != 0 {
					x += pair[i*n+j]
				}
			}
			if j, k := (i+1)%n, (i+2)%n; mask&(1<<uint(j)) != 0 && mask&(1<<uint(k)) != 0 {
				x += triple[i]
			}
		}
		if bits.OnesCount64(mask) >= n/2 {
			x += inter
		}
		return x
	}
}

// On an additive game the weighted least-squares fit is exact with any
// full-rank design: every budget gives the main effects to 1e-12, with
// intervals of zero width, and the values add up to the total.
func TestKernelExactOnAdditiveGames(t *testing.T) {
	const n = 10
	w := []float64{3, -1, 0.5, 0, 2, 7, -4, 1e-3, 12, 0.25}
	add := maskGame(func(mask uint64) float64 {
		x := 100.0 // v(∅) is not 0
		for i := range n {
			if mask&(1<<uint(i)) != 0 {
				x += w[i]
			}
		}
		return x
	})
	for _, twins := range []int{40, 48, 64, 128, 500, 1024} {
		for seed := range uint64(5) {
			at, d := kernelOn(t, n, add, twins, seed, KernelMinPairs)
			sum := 0.0
			for i, r := range names(n) {
				got := at.Shapley[r]["m"]
				sum += got
				if math.Abs(got-w[i]) > 1e-12 {
					t.Errorf("%d twins, seed %d: %s = %v, want %v", twins, seed, r, got, w[i])
				}
				if !d.complete() {
					if iv := at.Interval[r]["m"]; iv[1]-iv[0] > 1e-11 {
						t.Errorf("%d twins: %s interval %v on an additive game", twins, r, iv)
					}
				}
			}
			if total := add(1<<n-1) - add(0); math.Abs(sum-total) > 1e-12 {
				t.Errorf("%d twins: values add up to %v, total %v", twins, sum, total)
			}
		}
	}
}

// With the budget of every coalition the design enumerates every size
// and KernelSHAP is the exact Shapley value (the regression's solution
// with the kernel's weights is the Shapley value, Lundberg & Lee's
// theorem 2); the weighted majority game and the symmetric |S|^3 game of
// attribute_test.go give the hand-computed values.
func TestKernelExactWithEveryCoalition(t *testing.T) {
	for _, c := range []struct {
		name  string
		n     int
		g     maskGame
		truth []float64
	}{
		{"majority [4; 3,2,1,1]", 4, onGame(4, majority), majorityShapley},
		{"|S|^3", 6, onGame(6, cubeOfSize), []float64{36, 36, 36, 36, 36, 36}},
		{"random 9 rules", 9, randomGame(9, 1, 1), exactOf(9, randomGame(9, 1, 1))},
		{"random 10 rules", 10, randomGame(10, 2, 1), exactOf(10, randomGame(10, 2, 1))},
	} {
		at, d := kernelOn(t, c.n, c.g, 1<<uint(c.n), 1, KernelMinPairs)
		if !d.complete() || len(d.masks()) != 1<<uint(c.n) || at.Interval != nil {
			t.Errorf("%s: design of %d twins, strata %v, %d pairs: not every coalition", c.name, len(d.masks()), d.strata, len(d.pairs))
		}
		for i, r := range names(c.n) {
			if got := at.Shapley[r]["m"]; math.Abs(got-c.truth[i]) > 1e-12*max(1, math.Abs(c.truth[i])) {
				t.Errorf("%s: %s = %.15g, exact %.15g", c.name, r, got, c.truth[i])
			}
		}
	}
}

// onGame turns a game over on-flags into a maskGame.
func onGame(n int, value func([]bool) float64) maskGame {
	return func(mask uint64) float64 {
		on := make([]bool, n)
		for i := range on {
			on[i] = mask&(1<<uint(i)) != 0
		}
		return value(on)
	}
}

// The design within a budget: never more twins than the budget, sizes 1
// and n-1 always in full, more strata as the budget grows, the same pairs
// for the same seed and other ones for another, and a budget below the
// least is refused with the reason.
func TestKernelPlan(t *testing.T) {
	const n = 10
	prev := 0
	for _, twins := range []int{40, 48, 64, 100, 128, 256, 512, 1000, 1024} {
		d, err := kernelPlan(n, twins, 7)
		if err != nil {
			t.Fatal(err)
		}
		masks := d.masks()
		if len(masks) > twins || d.strata[0] != 1 || len(d.strata) < prev {
			t.Errorf("%d twins: %d masks, strata %v", twins, len(masks), d.strata)
		}
		prev = len(d.strata)
		for _, m := range d.pairs {
			if k := bits.OnesCount64(m); k <= d.strata[len(d.strata)-1] || k >= n-d.strata[len(d.strata)-1] {
				t.Errorf("%d twins: sampled a coalition of size %d, enumerated already (strata %v)", twins, k, d.strata)
			}
		}
		again, _ := kernelPlan(n, twins, 7)
		other, _ := kernelPlan(n, twins, 8)
		if !slices.Equal(again.pairs, d.pairs) || len(d.pairs) > 2 && slices.Equal(other.pairs, d.pairs) {
			t.Errorf("%d twins: pairs not determined by the seed", twins)
		}
		if twins == 1024 && !d.complete() {
			t.Errorf("1024 twins of 10 rules: strata %v, want every size", d.strata)
		}
	}
	if _, err := kernelPlan(n, 39, 1); err == nil || !strings.Contains(err.Error(), "at least 40 twins") {
		t.Errorf("39 twins: %v", err)
	}
}

// The design samples sizes in proportion to the Shapley kernel: over many
// pairs the share of each size not enumerated is its kernel mass over the
// mass sampled, within four binomial standard errors.
func TestKernelSamplesTheKernel(t *testing.T) {
	const n = 20
	d, err := kernelPlan(n, 40000, 3)
	if err != nil {
		t.Fatal(err)
	}
	pairs := float64(len(d.pairs))
	last := d.strata[len(d.strata)-1]
	if pairs < 5000 || last >= n/2 {
		t.Fatalf("strata %v, %v pairs", d.strata, pairs)
	}
	count := make([]int, n)
	for _, m := range d.pairs {
		count[bits.OnesCount64(m)]++
	}
	for k := last + 1; k < n-last; k++ {
		p := d.sizeWeight[k] / d.sampledMass
		se := math.Sqrt(p * (1 - p) / pairs)
		if got := float64(count[k]) / pairs; math.Abs(got-p) > 4*se {
			t.Errorf("size %d: share %.4f, kernel %.4f (s.e. %.4f)", k, got, p, se)
		}
	}
}

// As the budget grows to every coalition the error shrinks to zero, on
// random games with interactions.
func TestKernelConverges(t *testing.T) {
	const n = 8
	rmse := func(twins int) float64 {
		ss, cnt := 0.0, 0
		for s := range uint64(40) {
			g := randomGame(n, 100+s, 1)
			truth := exactOf(n, g)
			at, _ := kernelOn(t, n, g, twins, s, KernelMinPairs)
			for i, r := range names(n) {
				d := at.Shapley[r]["m"] - truth[i]
				ss += d * d
				cnt++
			}
		}
		return math.Sqrt(ss / float64(cnt))
	}
	var got []float64
	for _, twins := range []int{36, 64, 128, 256} {
		got = append(got, rmse(twins))
	}
	if !(got[0] > got[1] && got[1] > got[2] && got[3] < 1e-12) {
		t.Errorf("RMSE at 36, 64, 128, 256 twins of 8 rules: %.4g, want decreasing to 0", got)
	}
	t.Logf("RMSE at 36, 64, 128, 256 twins: %.4g", got)
}

// kernelCoverage is the share of 95% intervals that cover the exact value
// over seeds, and the RMSE, for KernelSHAP on a game.
func kernelCoverage(t *testing.T, n int, g maskGame, twins, seeds, minPairs int) (share, rmse float64) {
	truth := exactOf(n, g)
	covered, total, ss := 0, 0, 0.0
	for s := range uint64(seeds) {
		at, _ := kernelOn(t, n, g, twins, 5000+s, minPairs)
		for i, r := range names(n) {
			iv := at.Interval[r]["m"]
			if iv[0] <= truth[i] && truth[i] <= iv[1] {
				covered++
			}
			d := at.Shapley[r]["m"] - truth[i]
			ss += d * d
			total++
		}
	}
	return float64(covered) / float64(total), math.Sqrt(ss / float64(total))
}

// Coverage of KernelSHAP's 95% intervals (the jackknife over sampled
// pairs) over 200 seeds on three games of 10 rules with interactions:
// from KernelMinPairs pairs on (40 twins) they cover 93.5-96.3% of exact
// values (observed); with 5 pairs (32 twins) only 89-90%, which is why
// fewer than KernelMinPairs are refused. The bounds allow for the noise
// of 200 replications of 10 values that add up to the total (not
// independent): about three binomial standard errors.
func TestKernelCoverage(t *testing.T) {
	const n = 10
	games := []struct {
		name string
		g    maskGame
	}{
		{"random, interactions 0.3", randomGame(n, 11, 0.3)},
		{"random, interactions 1", randomGame(n, 12, 1)},
		{"weighted majority [12; 1,2,3,4,1,2,3,4,1,2]", onGame(n, func(on []bool) float64 {
			w := 0.0
			for i, b := range on {
				if b {
					w += float64(i%4 + 1)
				}
			}
			if w >= 12 {
				return 1
			}
			return 0
		})},
	}
	for _, gc := range games {
		for _, twins := range []int{32, 40, 64, 128} {
			share, rmse := kernelCoverage(t, n, gc.g, twins, 200, 1)
			t.Logf("%s: %d twins (%d pairs): coverage %.3f, RMSE %.4g", gc.name, twins, (twins-22)/2, share, rmse)
			switch {
			case twins < KernelMinTwins(n) && share > 0.93:
				t.Errorf("%s: %d twins: coverage %.3f, fewer pairs than KernelMinPairs would do", gc.name, twins, share)
			case twins >= KernelMinTwins(n) && (share < 0.92 || share > 0.98):
				t.Errorf("%s: %d twins: 95%% intervals covered %.3f of exact values", gc.name, twins, share)
			}
		}
	}
}

// Through Attribute: KernelSHAP runs no more twins than its budget, says
// so in the method, choice and estimator, and gives the same values with
// 1 and 3 twins at once; the values add up to the total to 1e-12.
func TestAttributeKernel(t *testing.T) {
	rules := names(10)
	g := randomGame(10, 3, 1)
	eval := game(rules, func(on []bool) float64 {
		mask := uint64(0)
		for i, b := range on {
			if b {
				mask |= 1 << uint(i)
			}
		}
		return g(mask)
	})
	var runs []*Attribution
	for _, parallel := range []int{1, 3} {
		at, err := Attribute(context.Background(), rules, eval, AttributeOptions{Metrics: []string{"m"}, Method: Sampled, Estimator: Kernel,
			Twins: 48, Seed: 9, Parallel: parallel, EstimatorReason: EstimatorReason(Kernel, true)})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, at)
		if at.Runs > 48 || at.Estimator != "kernel" || at.CoalitionPairs != 13 || at.Pairs != 0 ||
			!strings.Contains(at.Method, "KernelSHAP") || !strings.Contains(at.Choice, "sampled (--sampled): KernelSHAP, coalitions of 1, 9 rules in full and 13 sampled") ||
			!strings.Contains(at.Choice, "KernelSHAP by default") {
			t.Errorf("%d runs, estimator %q, %d coalition pairs, %d pairs, method %q, choice %q", at.Runs, at.Estimator, at.CoalitionPairs, at.Pairs, at.Method, at.Choice)
		}
		if d := math.Abs(at.Sum["m"] - at.Total["m"]); d > 1e-12 {
			t.Errorf("values add up to %v, total %v", at.Sum["m"], at.Total["m"])
		}
	}
	for _, r := range rules {
		if a, b := runs[0].Shapley[r]["m"], runs[1].Shapley[r]["m"]; math.Float64bits(a) != math.Float64bits(b) {
			t.Errorf("%s: %v with 1 twin at once, %v with 3", r, a, b)
		}
	}
	if _, err := Attribute(context.Background(), rules, eval, AttributeOptions{Metrics: []string{"m"}, Method: Sampled, Estimator: Kernel, Twins: 30}); err == nil {
		t.Error("30 twins for 10 rules: no error")
	}
}

// TestConstrainedSolveMatchesGonum holds the written-out Cholesky solve to
// gonum's (the reference) on random positive definite systems with the
// efficiency constraint, and checks the constraint holds exactly.
func TestConstrainedSolveMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		n, nm := 2+trial%19, 1+trial%4
		g := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				g.Set(i, j, r.NormFloat64())
			}
		}
		a := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				s := 0.0
				for k := range n {
					s += g.At(i, k) * g.At(j, k)
				}
				if i == j {
					s += 0.1
				}
				a.SetSym(i, j, s)
			}
		}
		b := mat.NewDense(n, nm, nil)
		total := make([]float64, nm)
		for k := range nm {
			total[k] = r.NormFloat64()
			for i := range n {
				b.Set(i, k, r.NormFloat64())
			}
		}
		got, err := constrainedSolve(a, b, total)
		if err != nil {
			t.Fatal(err)
		}
		// The reference: gonum's Cholesky and the same closed form.
		var ch mat.Cholesky
		if !ch.Factorize(a) {
			t.Fatal("gonum: not positive definite")
		}
		ones := mat.NewVecDense(n, nil)
		for i := range n {
			ones.SetVec(i, 1)
		}
		var ainv1 mat.VecDense
		var ainvb mat.Dense
		if err := ch.SolveVecTo(&ainv1, ones); err != nil {
			t.Fatal(err)
		}
		if err := ch.SolveTo(&ainvb, b); err != nil {
			t.Fatal(err)
		}
		cond := ch.Cond()
		for k := range nm {
			lambda := (mat.Sum(ainvb.ColView(k)) - total[k]) / mat.Sum(&ainv1)
			scale, sum := 0.0, 0.0
			for i := range n {
				scale = max(scale, math.Abs(ainvb.At(i, k)-lambda*ainv1.AtVec(i)))
			}
			for i := range n {
				want := ainvb.At(i, k) - lambda*ainv1.AtVec(i)
				// Both solves are backward stable: their answers agree to
				// the condition number times the rounding unit.
				if d := math.Abs(got.At(i, k) - want); d > 1e-13*cond*scale {
					t.Fatalf("trial %d (n=%d, cond %.3g) phi[%d,%d] = %v, gonum %v (diff %.3g)", trial, n, cond, i, k, got.At(i, k), want, d)
				}
				sum += got.At(i, k)
			}
			if d := math.Abs(sum - total[k]); d > 1e-12*math.Max(1, math.Abs(total[k])) {
				t.Fatalf("trial %d: values add up to %v, not %v", trial, sum, total[k])
			}
		}
	}
	if _, ok := cholesky(mat.NewSymDense(2, []float64{1, 2, 2, 1})); ok {
		t.Fatal("an indefinite matrix factorised")
	}
}

// TestZeroWidthNote: a sampled interval of no width is printed with a
// note that it is the sample's spread; exact values and intervals with a
// width get none.
func TestZeroWidthNote(t *testing.T) {
	at := &Attribution{Method: "sampled", Rules: []string{"a", "b"}, Metrics: []string{"m"},
		Total:       map[string]float64{"m": 1},
		Shapley:     map[string]map[string]float64{"a": {"m": 0.6}, "b": {"m": 0.4}},
		LeaveOneOut: map[string]map[string]float64{"a": {"m": 0.6}, "b": {"m": 0.4}},
		Interval:    map[string]map[string][2]float64{"a": {"m": {0.5, 0.7}}, "b": {"m": {0.4, 0.4}}}}
	text := func() string {
		var b strings.Builder
		if err := WriteAttributionText(&b, at); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := text(); !strings.Contains(got, "zero-width intervals (b): every sampled pair gave the same value") {
		t.Errorf("no note for b's interval of no width:\n%s", got)
	}
	at.Interval["b"]["m"] = [2]float64{0.3, 0.5}
	if got := text(); strings.Contains(got, "zero-width") {
		t.Errorf("a note with every interval wide:\n%s", got)
	}
	at.Interval["b"]["m"] = [2]float64{0.4, 0.4}
	at.Total["m"], at.Shapley["a"]["m"], at.Shapley["b"]["m"], at.LeaveOneOut["a"]["m"], at.LeaveOneOut["b"]["m"] = 0, 0, 0, 0, 0
	if got := text(); strings.Contains(got, "zero-width") {
		t.Errorf("a note on a metric no rule moves:\n%s", got)
	}
	at.Interval = nil
	if got := at.ZeroWidth("m"); got != nil {
		t.Errorf("exact values listed as zero-width: %v", got)
	}
}

// A rule with no effect gets a Shapley value of exactly 0 from KernelSHAP,
// not the fit's rounding (1e-18 on a share), and when every sampled pair
// agrees on a rule its interval has no width, so the note says so.
func TestKernelRoundingIsZero(t *testing.T) {
	const n = 10
	// Only rule 3 matters, by 0.0025 (a share of 1 in 400).
	rules := names(n)
	eval := game(rules, func(on []bool) float64 {
		if on[3] {
			return 0.0025
		}
		return 0
	})
	at, err := Attribute(context.Background(), rules, eval, AttributeOptions{
		Metrics: []string{"m"}, Method: Sampled, Estimator: Kernel, Twins: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rules {
		want := 0.0
		if i == 3 {
			want = 0.0025
		}
		if got := at.Shapley[r]["m"]; math.Abs(got-want) > 1e-15 || (want == 0 && got != 0) {
			t.Errorf("%s: %v, want %v", r, got, want)
		}
		if want == 0 && at.Interval[r]["m"] != [2]float64{} {
			t.Errorf("%s: interval %v for a rule with no effect", r, at.Interval[r]["m"])
		}
	}
	if z := at.ZeroWidth("m"); len(z) != n {
		t.Errorf("zero-width intervals %v, want every rule (every pair agrees on an additive game)", z)
	}
}
