// Package institution decides, for a decision-maker that approves or refuses
// applicants (a lender, a list authority), one threshold score per group
// under a named policy, as in Liu, Dean, Rolf, Simchowitz and Hardt,
// "Delayed Impact of Fair Machine Learning" (ICML 2018).
//
// The input of a decision is, per group, the applicants' distribution as
// sorted distinct score values with weights (counts or shares), the success
// probability the institution believes at each value, and a utility: gain
// per success, loss per failure. The output is, per group, a threshold score
// and the probability of approving an applicant exactly at the threshold (a
// randomised boundary, as in the paper), with the selection rate, the
// true-positive rate and the expected successes, failures and utility they
// imply. Every figure is computed from the believed probabilities: they are
// the institution's expectations, not the world's.
//
// Goals: exact optima (no grid search), O(B·G·log B) time for B score
// levels over G groups, the standard library only. Non-goals: policies that
// are not thresholds on the score (the paper's policies all are), learning
// the probabilities from outcomes.
//
// # Selection by score
//
// An institution approves applicants in score order: all above the
// threshold, those at it with the boundary probability, none below. Number a
// group's levels from the highest score down, s_1 > s_2 > ... > s_n, with
// weights w_k, believed probabilities p_k and per-unit utility
// u_k = gain·p_k - loss·(1-p_k). Write W for the group's total weight,
// C_k = w_1 + ... + w_k, R_k = C_k / W, S = Σ w_k p_k (expected successes if
// all were approved) and T_k = (w_1 p_1 + ... + w_k p_k) / S. Approving the
// share r of the group, with R_{k-1} < r <= R_k, takes levels 1..k-1 whole
// and the fraction (r·W - C_{k-1}) / w_k of level k: the threshold is s_k and
// that fraction is the boundary probability. Its utility
//
//	U(r) = Σ_{j<k} w_j u_j + (r·W - C_{k-1}) u_k
//
// is continuous and linear on each [R_{k-1}, R_k]: piecewise linear in r
// with breakpoints R_0 = 0, R_1, ..., R_n = 1. It is concave when p rises
// with the score and need not be otherwise; nothing below assumes concavity.
//
// # Why the optimum is at a breakpoint
//
// max-utility maximises U(r) over r in [0, 1] for each group; a function
// linear on each of finitely many closed intervals attains its maximum at an
// endpoint of one of them, so the best r is some R_k. Ties go to the smaller
// k (the higher threshold): among equally good thresholds the institution
// approves fewer people. When p rises with the score this is exactly
// "approve where gain·p - loss·(1-p) > 0": the prefix sums of u rise while
// u_k > 0 and stop rising at the first u_k <= 0 (a level with u_k = 0 adds
// nothing and is left out). When p does not rise with the score the
// institution still uses a threshold, the best one: it may approve a level
// with u_k < 0 to reach better levels below it, and skips good levels below
// a bad stretch that costs more than they bring.
//
// demographic-parity maximises Σ_g U_g(r) over a common rate r. Each U_g is
// linear between its own breakpoints R_{g,k}, so the sum is linear between
// consecutive points of the union of all groups' breakpoints and, by the
// same argument, attains its maximum at one of them. Decide evaluates the
// sum at every point of the union (each group's value by binary search over
// its breakpoints) and keeps the best, ties to the smaller rate.
//
// equal-opportunity maximises Σ_g U_g over selections with equal
// true-positive rates t. A group's TPR is T(r) = (Σ_{j<k} w_j p_j +
// (r·W - C_{k-1}) p_k) / S, non-decreasing and piecewise linear in r with
// the same breakpoints; it is flat on a level with p_k = 0. For a given t
// the rates reaching it form an interval along which only levels with p = 0
// are added, each costing loss > 0, so the group takes the smallest such
// rate, r_g(t). Between consecutive cumulative TPRs T_{g,k-1} < t <= T_{g,k}
// the group takes levels 1..k-1 and the fraction (t·S - ΣS_{k-1}) / (w_k p_k)
// of level k, so U_g(r_g(t)) is linear in t on (T_{g,k-1}, T_{g,k}], and left-
// continuous: where a p = 0 level is skipped it drops just to the right of
// T_{g,k}, never just to the left. The sum over groups is therefore linear
// on each interval between consecutive points of the union of the groups'
// T_{g,k}, and its supremum on each interval is its value at the interval's
// right end (or a limit at its left end that is at most the value there):
// the maximum is attained at a point of the union, which Decide evaluates
// as for parity. A group with no expected successes (S = 0) has no TPR; it
// is left out of the constraint and approves nobody (every level costs).
//
// fixed-threshold approves every score >= the given threshold (boundary
// probability 1) and fixed-rate approves the given share, top-scored first.
//
// Weights of zero are ignored (a level nobody holds is no breakpoint). A
// group with no applicants (total weight 0) approves nobody, is left out of
// every constraint and has threshold +Inf (under fixed-threshold, the given
// threshold).
package institution

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Policy names how an institution chooses its thresholds.
type Policy int

// The policies of Liu et al. (2018), and two fixed rules.
const (
	// MaxUtility lets each group maximise the institution's expected utility
	// separately.
	MaxUtility Policy = iota
	// DemographicParity maximises total expected utility subject to equal
	// selection rates across groups.
	DemographicParity
	// EqualOpportunity maximises total expected utility subject to equal
	// true-positive rates (the share of would-be successes approved).
	EqualOpportunity
	// FixedThreshold approves every score at or above a given threshold.
	FixedThreshold
	// FixedRate approves a given share of each group, top-scored first.
	FixedRate
)

// Names are the policies' names in scenario files, indexed by Policy.
var Names = [...]string{"max-utility", "demographic-parity", "equal-opportunity", "fixed-threshold", "fixed-rate"}

// String returns the policy's name in scenario files.
func (p Policy) String() string {
	if p >= 0 && int(p) < len(Names) {
		return Names[p]
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ParsePolicy returns the policy of a name in Names.
func ParsePolicy(name string) (Policy, bool) {
	for i, n := range Names {
		if n == name {
			return Policy(i), true
		}
	}
	return 0, false
}

// Group is one group's applicants: Scores strictly increasing, and at each
// score the total Weight of applicants holding it and the success
// probability the institution believes for them. The slices are read, never
// kept or changed.
type Group struct {
	Scores   []float64
	Weights  []float64
	Believed []float64
}

// Spec is what the institution decides by.
type Spec struct {
	Policy Policy
	// Gain is the utility of one approved success, Loss the disutility of
	// one approved failure; both must be positive.
	Gain, Loss float64
	// Threshold is FixedThreshold's score, the same for every group.
	Threshold float64
	// Rate is FixedRate's selection rate in [0, 1], the same for every group.
	Rate float64
}

// Decision is one group's outcome of a decision. Applicants with a score
// above Threshold are approved, those exactly at it with probability
// Boundary, the others refused. Weighted figures are in the units of the
// group's weights.
type Decision struct {
	Threshold float64
	Boundary  float64
	// Applicants is the group's total weight.
	Applicants float64
	// SelectionRate is the approved share of the group's weight.
	SelectionRate float64
	// TPR is the approved share of the group's expected successes (0 when
	// it has none).
	TPR float64
	// Successes and Failures are the expected approved successes and
	// failures; Utility is Gain·Successes - Loss·Failures.
	Successes, Failures, Utility float64
}

// ErrInput reports an input Decide cannot decide on.
var ErrInput = errors.New("institution: bad input")

// level is one score level in selection order (highest score first), with
// the prefix sums through it.
type level struct {
	score, w, p, u   float64
	cumW, cumS, cumU float64 // through this level
	rate, tpr        float64 // cumW / W and cumS / S
}

// prep is one group in selection order.
type prep struct {
	lv     []level
	W, S   float64
	gain   float64
	loss   float64
	hiBest float64 // highest score, the threshold of approving nobody
}

// Decide chooses each group's threshold under spec and returns one Decision
// per group, in the order of groups.
func Decide(spec Spec, groups []Group) ([]Decision, error) {
	if !(spec.Gain > 0) || math.IsInf(spec.Gain, 0) || !(spec.Loss > 0) || math.IsInf(spec.Loss, 0) {
		return nil, fmt.Errorf("%w: gain %v and loss %v must be positive and finite", ErrInput, spec.Gain, spec.Loss)
	}
	ps := make([]prep, len(groups))
	for g := range groups {
		p, err := prepare(groups[g], spec.Gain, spec.Loss)
		if err != nil {
			return nil, fmt.Errorf("%w: group %d: %w", ErrInput, g, err)
		}
		ps[g] = p
	}
	out := make([]Decision, len(groups))
	switch spec.Policy {
	case MaxUtility:
		for g := range ps {
			out[g] = ps[g].best()
		}
	case DemographicParity:
		r := commonBest(ps, func(p *prep) bool { return p.W > 0 },
			func(p *prep, k int) float64 { return p.lv[k].rate },
			func(p *prep, x float64) Decision { return p.atRate(x) })
		for g := range ps {
			out[g] = ps[g].atRate(r)
		}
	case EqualOpportunity:
		in := func(p *prep) bool { return p.S > 0 }
		t := commonBest(ps, in,
			func(p *prep, k int) float64 { return p.lv[k].tpr },
			func(p *prep, x float64) Decision { return p.atTPR(x) })
		for g := range ps {
			if in(&ps[g]) {
				out[g] = ps[g].atTPR(t)
			} else {
				out[g] = ps[g].atRate(0)
			}
		}
	case FixedThreshold:
		if math.IsNaN(spec.Threshold) {
			return nil, fmt.Errorf("%w: threshold is NaN", ErrInput)
		}
		for g := range ps {
			out[g] = ps[g].atThreshold(spec.Threshold)
		}
	case FixedRate:
		if !(spec.Rate >= 0 && spec.Rate <= 1) {
			return nil, fmt.Errorf("%w: rate %v is not in [0, 1]", ErrInput, spec.Rate)
		}
		for g := range ps {
			out[g] = ps[g].atRate(spec.Rate)
		}
	default:
		return nil, fmt.Errorf("%w: unknown policy %d", ErrInput, int(spec.Policy))
	}
	return out, nil
}

func prepare(g Group, gain, loss float64) (prep, error) {
	n := len(g.Scores)
	if len(g.Weights) != n || len(g.Believed) != n {
		return prep{}, fmt.Errorf("%d scores, %d weights, %d probabilities", n, len(g.Weights), len(g.Believed))
	}
	p := prep{gain: gain, loss: loss, hiBest: math.Inf(1)}
	for i := n - 1; i >= 0; i-- {
		s, w, q := g.Scores[i], g.Weights[i], g.Believed[i]
		switch {
		case math.IsNaN(s) || math.IsInf(s, 0):
			return prep{}, fmt.Errorf("score %v is not finite", s)
		case i > 0 && !(g.Scores[i-1] < s):
			return prep{}, fmt.Errorf("scores %v, %v are not strictly increasing", g.Scores[i-1], s)
		case !(w >= 0) || math.IsInf(w, 0):
			return prep{}, fmt.Errorf("weight %v at score %v is not finite and non-negative", w, s)
		case !(q >= 0 && q <= 1):
			return prep{}, fmt.Errorf("probability %v at score %v is not in [0, 1]", q, s)
		}
		if w == 0 {
			continue
		}
		if len(p.lv) == 0 {
			p.hiBest = s
		}
		u := float64(gain*q) - float64(loss*(1-q))
		l := level{score: s, w: w, p: q, u: u}
		if k := len(p.lv); k > 0 {
			prev := p.lv[k-1]
			l.cumW, l.cumS, l.cumU = prev.cumW, prev.cumS, prev.cumU
		}
		l.cumW += w
		l.cumS += float64(w * q)
		l.cumU += float64(w * u)
		p.lv = append(p.lv, l)
	}
	if k := len(p.lv); k > 0 {
		p.W, p.S = p.lv[k-1].cumW, p.lv[k-1].cumS
		for i := range p.lv {
			p.lv[i].rate = p.lv[i].cumW / p.W
			if p.S > 0 {
				p.lv[i].tpr = p.lv[i].cumS / p.S
			}
		}
		p.lv[k-1].rate = 1
		if p.S > 0 {
			p.lv[k-1].tpr = 1
		}
	}
	return p, nil
}

// take is the decision of approving levels before k whole and the fraction
// f of level k (k == len(lv) only with f == 0: everybody).
func (p *prep) take(k int, f float64) Decision {
	d := Decision{Applicants: p.W, Threshold: math.Inf(1)}
	if len(p.lv) == 0 {
		return d
	}
	var w, s float64
	if k > 0 {
		w, s = p.lv[k-1].cumW, p.lv[k-1].cumS
	}
	switch {
	case k == 0 && f == 0:
		d.Threshold, d.Boundary = p.hiBest, 0
	case f == 0:
		d.Threshold, d.Boundary = p.lv[k-1].score, 1
	default:
		l := p.lv[k]
		d.Threshold, d.Boundary = l.score, f
		w += float64(f * l.w)
		s += float64(f * float64(l.w*l.p))
	}
	return p.fill(d, w, s)
}

// fill completes d from the approved weight w and expected successes s.
func (p *prep) fill(d Decision, w, s float64) Decision {
	d.SelectionRate = w / p.W
	if p.S > 0 {
		d.TPR = s / p.S
	}
	d.Successes = s
	d.Failures = max(w-s, 0)
	d.Utility = float64(p.gain*d.Successes) - float64(p.loss*d.Failures)
	return d
}

// best is the group's utility-maximising threshold (ties to fewer approved).
func (p *prep) best() Decision {
	k, u := 0, 0.0
	for i, l := range p.lv {
		if l.cumU > u {
			k, u = i+1, l.cumU
		}
	}
	return p.take(k, 0)
}

// atRate approves the share r in [0, 1], top-scored first.
func (p *prep) atRate(r float64) Decision {
	if len(p.lv) == 0 || r <= 0 {
		return p.take(0, 0)
	}
	k, _ := slices.BinarySearchFunc(p.lv, r, func(l level, r float64) int { return cmpF(l.rate, r) })
	if k >= len(p.lv) {
		k = len(p.lv) - 1
	}
	if p.lv[k].rate == r {
		return p.take(k+1, 0)
	}
	var before float64
	if k > 0 {
		before = p.lv[k-1].cumW
	}
	f := (float64(r*p.W) - before) / p.lv[k].w
	return p.take(k, clamp01(f))
}

// atTPR approves the smallest share whose TPR is t in [0, 1].
func (p *prep) atTPR(t float64) Decision {
	if len(p.lv) == 0 || p.S == 0 || t <= 0 {
		return p.take(0, 0)
	}
	k, _ := slices.BinarySearchFunc(p.lv, t, func(l level, t float64) int { return cmpF(l.tpr, t) })
	if k >= len(p.lv) {
		k = len(p.lv) - 1
	}
	if p.lv[k].tpr == t {
		// The first level reaching t; the levels after it with p = 0 share
		// its TPR and are not taken.
		return p.take(k+1, 0)
	}
	var before float64
	if k > 0 {
		before = p.lv[k-1].cumS
	}
	f := (float64(t*p.S) - before) / float64(p.lv[k].w*p.lv[k].p)
	return p.take(k, clamp01(f))
}

// atThreshold approves every score >= th.
func (p *prep) atThreshold(th float64) Decision {
	k := 0
	for k < len(p.lv) && p.lv[k].score >= th {
		k++
	}
	var w, s float64
	if k > 0 {
		w, s = p.lv[k-1].cumW, p.lv[k-1].cumS
	}
	d := Decision{Applicants: p.W, Threshold: th, Boundary: 1}
	if p.W == 0 {
		return d
	}
	return p.fill(d, w, s)
}

// commonBest returns the common value x (a rate or a TPR, read from a level
// by at) that maximises the total utility of the groups in, evaluated by
// decide, among 0 and every group's breakpoints (ties to the smaller x).
func commonBest(ps []prep, in func(*prep) bool, at func(*prep, int) float64, decide func(*prep, float64) Decision) float64 {
	var xs []float64
	for g := range ps {
		if !in(&ps[g]) {
			continue
		}
		for k := range ps[g].lv {
			xs = append(xs, at(&ps[g], k))
		}
	}
	xs = append(xs, 0)
	slices.Sort(xs)
	xs = slices.Compact(xs)
	bestX, bestU := 0.0, math.Inf(-1)
	for _, x := range xs {
		u := 0.0
		for g := range ps {
			if in(&ps[g]) {
				u += decide(&ps[g], x).Utility
			}
		}
		if u > bestU {
			bestX, bestU = x, u
		}
	}
	return bestX
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }
