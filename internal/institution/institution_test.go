package institution

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// Two groups worked by hand (gain 1, loss 1, so u = 2p - 1):
// A: scores 400, 600, 800, weights 1, 1, 2, p 0.2, 0.5, 0.9 (u -0.6, 0, 0.8; S = 2.5);
// B: scores 500, 700, weights 3, 1, p 0.4, 0.7 (u -0.2, 0.4; S = 1.9).
var handA = Group{Scores: []float64{400, 600, 800}, Weights: []float64{1, 1, 2}, Believed: []float64{0.2, 0.5, 0.9}}
var handB = Group{Scores: []float64{500, 700}, Weights: []float64{3, 1}, Believed: []float64{0.4, 0.7}}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func checkDecision(t *testing.T, name string, got, want Decision) {
	t.Helper()
	type f struct {
		n    string
		g, w float64
	}
	for _, x := range []f{
		{"threshold", got.Threshold, want.Threshold}, {"boundary", got.Boundary, want.Boundary},
		{"applicants", got.Applicants, want.Applicants}, {"rate", got.SelectionRate, want.SelectionRate},
		{"tpr", got.TPR, want.TPR}, {"successes", got.Successes, want.Successes},
		{"failures", got.Failures, want.Failures}, {"utility", got.Utility, want.Utility},
	} {
		if !near(x.g, x.w, 1e-12) {
			t.Errorf("%s: %s = %.15g, want %.15g", name, x.n, x.g, x.w)
		}
	}
}

func TestHandComputed(t *testing.T) {
	// equal-opportunity: the common TPR is A's first breakpoint 0.72 (1.8 of
	// 2.5); B reaches it with its 700s (0.7) and the fraction
	// (0.72*1.9 - 0.7) / (3*0.4) = 0.668/1.2 of its 500s.
	fB := 0.668 / 1.2
	eoB := Decision{Threshold: 500, Boundary: fB, Applicants: 4, SelectionRate: (1 + 3*fB) / 4, TPR: 0.72,
		Successes: 0.72 * 1.9, Failures: 1 + 3*fB - 0.72*1.9}
	eoB.Utility = eoB.Successes - eoB.Failures
	topA := Decision{Threshold: 800, Boundary: 1, Applicants: 4, SelectionRate: 0.5, TPR: 0.72, Successes: 1.8, Failures: 0.2, Utility: 1.6}
	cases := []struct {
		name string
		spec Spec
		want [2]Decision
	}{
		// Each group alone: A takes its 800s (its 600s add 0 and are left
		// out), B its 700s.
		{"max-utility", Spec{Policy: MaxUtility, Gain: 1, Loss: 1}, [2]Decision{topA,
			{Threshold: 700, Boundary: 1, Applicants: 4, SelectionRate: 0.25, TPR: 0.7 / 1.9, Successes: 0.7, Failures: 0.3, Utility: 0.4}}},
		// Total utility at the breakpoints 0, .25, .5, .75, 1 is 0, 1.2,
		// 1.8, 1.6, 0.8: rate 0.5, B's 700s and a third of its 500s.
		{"demographic-parity", Spec{Policy: DemographicParity, Gain: 1, Loss: 1}, [2]Decision{topA,
			{Threshold: 500, Boundary: 1.0 / 3, Applicants: 4, SelectionRate: 0.5, TPR: 1.1 / 1.9, Successes: 1.1, Failures: 0.9, Utility: 0.2}}},
		{"equal-opportunity", Spec{Policy: EqualOpportunity, Gain: 1, Loss: 1}, [2]Decision{topA, eoB}},
		{"fixed-threshold", Spec{Policy: FixedThreshold, Gain: 1, Loss: 1, Threshold: 600}, [2]Decision{
			{Threshold: 600, Boundary: 1, Applicants: 4, SelectionRate: 0.75, TPR: 0.92, Successes: 2.3, Failures: 0.7, Utility: 1.6},
			{Threshold: 600, Boundary: 1, Applicants: 4, SelectionRate: 0.25, TPR: 0.7 / 1.9, Successes: 0.7, Failures: 0.3, Utility: 0.4}}},
		// Rate 0.625 (2.5 of 4): A's 800s and half its 600s, B's 700s and
		// half its 500s.
		{"fixed-rate", Spec{Policy: FixedRate, Gain: 2, Loss: 1, Rate: 0.625}, [2]Decision{
			{Threshold: 600, Boundary: 0.5, Applicants: 4, SelectionRate: 0.625, TPR: 2.05 / 2.5, Successes: 2.05, Failures: 0.45, Utility: 2*2.05 - 0.45},
			{Threshold: 500, Boundary: 0.5, Applicants: 4, SelectionRate: 0.625, TPR: 1.3 / 1.9, Successes: 1.3, Failures: 1.2, Utility: 2*1.3 - 1.2}}},
	}
	for _, c := range cases {
		got, err := Decide(c.spec, []Group{handA, handB})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkDecision(t, c.name+" A", got[0], c.want[0])
		checkDecision(t, c.name+" B", got[1], c.want[1])
	}
}

// The independent evaluation the grid search uses: approving the share r of
// a group, walked from the top score down, with no prefix sums.
func utilityAtRate(g Group, gain, loss, r float64) (u, tpr float64) {
	var W, S float64
	for i := range g.Scores {
		W += g.Weights[i]
		S += g.Weights[i] * g.Believed[i]
	}
	left := r * W
	var s float64
	for i := len(g.Scores) - 1; i >= 0 && left > 0; i-- {
		take := math.Min(left, g.Weights[i])
		left -= take
		u += take * (gain*g.Believed[i] - loss*(1-g.Believed[i]))
		s += take * g.Believed[i]
	}
	if S > 0 {
		tpr = s / S
	}
	return u, tpr
}

// utilityAtTPR approves the smallest share with TPR t, walked from the top.
func utilityAtTPR(g Group, gain, loss, t float64) float64 {
	var S float64
	for i := range g.Scores {
		S += g.Weights[i] * g.Believed[i]
	}
	need := t * S
	u := 0.0
	for i := len(g.Scores) - 1; i >= 0 && need > 1e-15*S; i-- {
		w, p := g.Weights[i], g.Believed[i]
		take := w
		if w*p > need {
			take = need / p
		}
		need -= take * p
		u += take * (gain*p - loss*(1-p))
	}
	return u
}

func randomGroup(r *rand.Rand, monotone bool) Group {
	n := 1 + r.IntN(12)
	g := Group{}
	s := 300.0
	p := r.Float64() * 0.3
	for range n {
		s += 1 + float64(r.IntN(40))
		g.Scores = append(g.Scores, s)
		w := float64(r.IntN(50))
		if r.IntN(5) == 0 {
			w = 0
		}
		g.Weights = append(g.Weights, w)
		if monotone {
			p = math.Min(1, p+r.Float64()*0.2)
		} else {
			p = r.Float64()
			if r.IntN(6) == 0 {
				p = 0
			}
		}
		g.Believed = append(g.Believed, p)
	}
	return g
}

func total(ds []Decision) (u float64) {
	for _, d := range ds {
		u += d.Utility
	}
	return u
}

// TestAgainstGrid holds the exact optima to a fine grid search over the
// common rate (parity) or TPR (opportunity) and over each group's own rate
// (max-utility), evaluated by the independent walks above: the optimum is
// at least the best grid point and at most one grid step's worth of slope
// above it.
func TestAgainstGrid(t *testing.T) {
	const steps = 4000
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 60 {
		ng := 2 + r.IntN(3)
		groups := make([]Group, ng)
		for g := range groups {
			groups[g] = randomGroup(r, trial%2 == 0)
		}
		gain, loss := 0.5+r.Float64()*2, 0.5+r.Float64()*10
		// A group's utility changes by at most W·max(gain, loss) per unit of
		// rate, and by at most |u_k|·S/p_k <= W·max(gain, loss)/min p per
		// unit of TPR: one grid step is worth at most slope/steps.
		var slope float64
		for _, g := range groups {
			var W, S, minP float64 = 0, 0, 1
			for i := range g.Scores {
				W += g.Weights[i]
				S += g.Weights[i] * g.Believed[i]
				if g.Weights[i] > 0 && g.Believed[i] > 0 {
					minP = math.Min(minP, g.Believed[i])
				}
			}
			slope += W * math.Max(gain, loss) / minP
		}
		for _, pol := range []Policy{MaxUtility, DemographicParity, EqualOpportunity} {
			ds, err := Decide(Spec{Policy: pol, Gain: gain, Loss: loss}, groups)
			if err != nil {
				t.Fatal(err)
			}
			got := total(ds)
			best := math.Inf(-1)
			switch pol {
			case MaxUtility:
				best = 0
				for _, g := range groups {
					b := math.Inf(-1)
					for i := 0; i <= steps; i++ {
						u, _ := utilityAtRate(g, gain, loss, float64(i)/steps)
						b = math.Max(b, u)
					}
					best += b
				}
			case DemographicParity:
				for i := 0; i <= steps; i++ {
					u := 0.0
					for _, g := range groups {
						ug, _ := utilityAtRate(g, gain, loss, float64(i)/steps)
						u += ug
					}
					best = math.Max(best, u)
				}
			case EqualOpportunity:
				for i := 0; i <= steps; i++ {
					u := 0.0
					for _, g := range groups {
						u += utilityAtTPR(g, gain, loss, float64(i)/steps)
					}
					best = math.Max(best, u)
				}
			}
			if got < best-1e-9 {
				t.Errorf("trial %d %v: exact optimum %.12g below the grid's best %.12g", trial, pol, got, best)
			}
			if got > best+slope/steps+1e-9 {
				t.Errorf("trial %d %v: exact optimum %.12g more than a grid step (%.3g) above the grid's best %.12g", trial, pol, got, slope/steps, best)
			}
			// Each decision's utility is the independent walk's at its rate.
			for g, d := range ds {
				u, tpr := utilityAtRate(groups[g], gain, loss, d.SelectionRate)
				if !near(d.Utility, u, 1e-9*(1+math.Abs(u))) || !near(d.TPR, tpr, 1e-9) {
					t.Errorf("trial %d %v group %d: utility %.12g tpr %.12g, walk gives %.12g %.12g", trial, pol, g, d.Utility, d.TPR, u, tpr)
				}
				if !near(d.Utility, gain*d.Successes-loss*d.Failures, 1e-9*(1+math.Abs(d.Utility))) {
					t.Errorf("trial %d %v group %d: utility %.12g is not gain·successes - loss·failures", trial, pol, g, d.Utility)
				}
			}
			checkConstraint(t, pol, groups, ds)
		}
	}
}

// checkConstraint holds parity's rates and opportunity's TPRs equal to 1e-12
// across the groups the constraint covers, recomputed from each decision's
// threshold and boundary probability.
func checkConstraint(t *testing.T, pol Policy, groups []Group, ds []Decision) {
	t.Helper()
	if pol != DemographicParity && pol != EqualOpportunity {
		return
	}
	first, firstSet := 0.0, false
	for g, gr := range groups {
		var W, S, w, s float64
		for i := range gr.Scores {
			W += gr.Weights[i]
			S += gr.Weights[i] * gr.Believed[i]
			f := 0.0
			switch {
			case gr.Scores[i] > ds[g].Threshold:
				f = 1
			case gr.Scores[i] == ds[g].Threshold:
				f = ds[g].Boundary
			}
			w += f * gr.Weights[i]
			s += f * gr.Weights[i] * gr.Believed[i]
		}
		var x float64
		if pol == DemographicParity {
			if W == 0 {
				continue
			}
			x = w / W
		} else {
			if S == 0 {
				continue
			}
			x = s / S
		}
		if !firstSet {
			first, firstSet = x, true
		} else if !near(x, first, 1e-12) {
			t.Errorf("%v: group %d at %.17g, group 0 of the constraint at %.17g", pol, g, x, first)
		}
	}
}

// TestMaxUtilityIsPositiveUtilityLevels: with p rising in the score,
// max-utility approves exactly the levels with gain·p - loss·(1-p) > 0.
func TestMaxUtilityIsPositiveUtilityLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 200 {
		g := randomGroup(r, true)
		gain, loss := 1.0, float64(1+r.IntN(10))
		ds, err := Decide(Spec{Policy: MaxUtility, Gain: gain, Loss: loss}, []Group{g})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range g.Scores {
			if g.Weights[i] == 0 {
				continue
			}
			p := g.Believed[i]
			want := gain*p-loss*(1-p) > 0
			got := s > ds[0].Threshold || (s == ds[0].Threshold && ds[0].Boundary == 1)
			if got != want {
				t.Fatalf("score %v p %v loss %v: approved %v, want %v (threshold %v boundary %v)", s, p, loss, got, want, ds[0].Threshold, ds[0].Boundary)
			}
		}
	}
}

func TestEdges(t *testing.T) {
	empty := Group{}
	none := Group{Scores: []float64{500}, Weights: []float64{2}, Believed: []float64{0}}
	for _, pol := range []Policy{MaxUtility, DemographicParity, EqualOpportunity, FixedRate} {
		ds, err := Decide(Spec{Policy: pol, Gain: 1, Loss: 1, Rate: 0.5}, []Group{empty, none, handA})
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsInf(ds[0].Threshold, 1) || ds[0].SelectionRate != 0 || ds[0].Applicants != 0 {
			t.Errorf("%v: empty group decided %+v", pol, ds[0])
		}
		if pol == EqualOpportunity && (ds[1].SelectionRate != 0 || ds[1].Threshold != 500 || ds[1].Boundary != 0) {
			t.Errorf("%v: group without successes decided %+v, want nobody approved", pol, ds[1])
		}
	}
	bad := []struct {
		spec Spec
		g    Group
	}{
		{Spec{Gain: 1, Loss: 0}, handA},
		{Spec{Gain: 0, Loss: 1}, handA},
		{Spec{Gain: 1, Loss: math.Inf(1)}, handA},
		{Spec{Gain: 1, Loss: 1, Policy: FixedRate, Rate: 1.5}, handA},
		{Spec{Gain: 1, Loss: 1, Policy: Policy(9)}, handA},
		{Spec{Gain: 1, Loss: 1}, Group{Scores: []float64{2, 1}, Weights: []float64{1, 1}, Believed: []float64{0, 0}}},
		{Spec{Gain: 1, Loss: 1}, Group{Scores: []float64{1}, Weights: []float64{-1}, Believed: []float64{0}}},
		{Spec{Gain: 1, Loss: 1}, Group{Scores: []float64{1}, Weights: []float64{1}, Believed: []float64{1.1}}},
		{Spec{Gain: 1, Loss: 1}, Group{Scores: []float64{1}, Weights: []float64{1}}},
	}
	for i, b := range bad {
		if _, err := Decide(b.spec, []Group{b.g}); !errors.Is(err, ErrInput) {
			t.Errorf("case %d: err = %v, want ErrInput", i, err)
		}
	}
	for i, n := range Names {
		if p, ok := ParsePolicy(n); !ok || p != Policy(i) || p.String() != n {
			t.Errorf("ParsePolicy(%q) = %v, %v", n, p, ok)
		}
	}
}
