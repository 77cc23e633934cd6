package delayedimpact

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Score changes of the paper's FICO experiment: a repaid loan raises the
// score by CPlus, a default lowers it by -CMinus.
const (
	CPlus  = 75.0
	CMinus = -150.0
)

// Policy names Solve accepts.
const (
	MaxUtil   = "max-util"
	DemParity = "dem-parity"
	EqOpp     = "eq-opp"
)

// Regions of the outcome curve a selection rate falls in (Definition of
// active harm, relative harm and relative improvement, section 2-3 of the
// paper; see doc.go).
const (
	ActiveHarm          = "active-harm"          // Delta mu < 0
	Stagnation          = "stagnation"           // Delta mu = 0
	RelativeHarm        = "relative-harm"        // 0 < Delta mu < Delta mu of MaxUtil
	RelativeImprovement = "relative-improvement" // Delta mu > Delta mu of MaxUtil
	SameAsMaxUtil       = "same-as-max-util"     // Delta mu equal to MaxUtil's
)

// Threshold is a threshold policy of one group: everyone at levels above
// Level is selected, a share Prob of the people at Level (a coin flip at
// the boundary), nobody below. Level == len(Data.Score) means nobody is
// selected (Prob 0, Score and Percentile NaN).
type Threshold struct {
	Level      int
	Percentile float64
	Score      float64
	Prob       float64
}

// GroupResult is what a policy does to one group.
type GroupResult struct {
	Group     string
	Share     float64 // g_j: the group's share of the groups solved together
	Rate      float64 // beta: share of the group selected
	Threshold Threshold
	TPR       float64 // share of the group's would-be repayers selected
	DeltaMu   float64 // expected change of the group's mean score (whole group)
	Utility   float64 // lender's expected utility per member of the group (u+ = 1, u- = -u)
	Region    string  // region of DeltaMu against the group's MaxUtil outcome (same u)
}

// curve is one group's threshold policies, taking levels from the top
// score down: index m means the m best levels (of positive mass) fully
// selected. Every quantity is linear between consecutive m, so a policy
// between m and m+1 is (m, p) with p the share of level lv[m] selected.
type curve struct {
	lv []int     // level of the m-th level taken (top first)
	B  []float64 // selection rate after m levels
	T  []float64 // true-positive rate after m levels
	F  []float64 // Delta mu after m levels
	U  []float64 // lender utility per member after m levels
}

func newCurve(d *Data, j int, u float64) curve {
	mass, rho := d.Mass[j], d.Repay[j]
	pos := 0.0 // sum of pi rho: the group's would-be repayers
	for i := range mass {
		pos = float64(mass[i]*rho[i]) + pos
	}
	c := curve{B: []float64{0}, T: []float64{0}, F: []float64{0}, U: []float64{0}}
	for i := len(mass) - 1; i >= 0; i-- {
		if mass[i] <= 0 {
			continue
		}
		m := len(c.lv)
		c.lv = append(c.lv, i)
		c.B = append(c.B, c.B[m]+mass[i])
		c.T = append(c.T, float64(mass[i]*rho[i])/pos+c.T[m])
		c.F = append(c.F, float64(mass[i]*scoreChange(rho[i]))+c.F[m])
		c.U = append(c.U, float64(mass[i]*gain(rho[i], u))+c.U[m])
	}
	return c
}

// scoreChange is Delta(x) = c+ rho(x) + c- (1 - rho(x)).
func scoreChange(rho float64) float64 {
	return float64(CPlus*rho) + float64(CMinus*(1-rho))
}

// gain is the lender's expected utility of one loan, u+ rho + u- (1 - rho)
// with u+ = 1 and u- = -u.
func gain(rho, u float64) float64 {
	return rho - float64(u*(1-rho))
}

// locate finds the policy whose key (B or T) equals x: segment m and the
// share p of level lv[m]; x beyond the ends is clamped.
func (c curve) locate(key []float64, x float64) (int, float64) {
	k := len(c.lv)
	if x <= key[0] {
		return 0, 0
	}
	if x >= key[k] {
		return k - 1, 1
	}
	// first index with key > x; key[m] <= x < key[m+1]
	m := sort.Search(len(key), func(i int) bool { return key[i] > x }) - 1
	return m, (x - key[m]) / (key[m+1] - key[m])
}

func interp(a []float64, m int, p float64) float64 {
	return float64(p*(a[m+1]-a[m])) + a[m]
}

// result is the GroupResult of policy (m, p) of group j.
func (c curve) result(d *Data, j int, m int, p, share, fMaxUtil float64) GroupResult {
	r := GroupResult{
		Group:   d.Groups[j],
		Share:   share,
		Rate:    interp(c.B, m, p),
		TPR:     interp(c.T, m, p),
		DeltaMu: interp(c.F, m, p),
		Utility: interp(c.U, m, p),
	}
	switch {
	case p > 0:
		r.Threshold = Threshold{Level: c.lv[m], Prob: p}
	case m > 0:
		r.Threshold = Threshold{Level: c.lv[m-1], Prob: 1}
	default:
		r.Threshold = Threshold{Level: len(d.Score), Prob: 0, Score: math.NaN(), Percentile: math.NaN()}
	}
	if r.Threshold.Level < len(d.Score) {
		r.Threshold.Score = d.Score[r.Threshold.Level]
		r.Threshold.Percentile = d.Percentile[r.Threshold.Level]
	}
	r.Region = Region(r.DeltaMu, fMaxUtil)
	return r
}

// maxUtil is the breakpoint of largest utility (the smallest rate among
// equals): selecting exactly the levels whose loans gain the lender more
// than nothing.
func (c curve) maxUtil() int {
	best := 0
	for m := 1; m < len(c.U); m++ {
		if c.U[m] > c.U[best] {
			best = m
		}
	}
	return best
}

// Region classifies an outcome Delta mu against the MaxUtil outcome of the
// same group.
func Region(deltaMu, deltaMuMaxUtil float64) string {
	switch {
	case deltaMu < 0:
		return ActiveHarm
	case deltaMu == 0:
		return Stagnation
	case deltaMu < deltaMuMaxUtil:
		return RelativeHarm
	case deltaMu > deltaMuMaxUtil:
		return RelativeImprovement
	default:
		return SameAsMaxUtil
	}
}

// Solve computes policy (MaxUtil, DemParity or EqOpp) for the groups
// together, the lender losing u for each default per unit gained for each
// repayment, and returns one result per group in the order given. Group
// shares are the groups' sample counts over their sum. The constrained
// policies maximise the lender's total utility sum_j g_j U_j over threshold
// policies with one selection rate (DemParity) or one true-positive rate
// (EqOpp) for all groups; the total is piecewise linear in that common
// rate, so its maximum is at one of the groups' breakpoints, all of which
// are tried.
func Solve(d *Data, groups []string, policy string, u float64) ([]GroupResult, error) {
	if !(u > 0) || math.IsInf(u, 0) {
		return nil, fmt.Errorf("delayedimpact: loss/profit ratio u = %v, want a positive number", u)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("delayedimpact: no groups")
	}
	idx := make([]int, len(groups))
	total := 0.0
	for k, g := range groups {
		j, err := d.GroupIndex(g)
		if err != nil {
			return nil, err
		}
		if slices.Contains(idx[:k], j) {
			return nil, fmt.Errorf("delayedimpact: group %q given twice", g)
		}
		idx[k] = j
		total += d.Count[j]
	}
	curves := make([]curve, len(groups))
	share := make([]float64, len(groups))
	fMU := make([]float64, len(groups))
	for k, j := range idx {
		curves[k] = newCurve(d, j, u)
		share[k] = d.Count[j] / total
		fMU[k] = curves[k].F[curves[k].maxUtil()]
	}
	out := make([]GroupResult, len(groups))
	switch policy {
	case MaxUtil:
		for k, j := range idx {
			m := curves[k].maxUtil()
			mm, p := m-1, 1.0
			if m == 0 {
				mm, p = 0, 0
			}
			out[k] = curves[k].result(d, j, mm, p, share[k], fMU[k])
		}
		return out, nil
	case DemParity, EqOpp:
		key := func(c curve) []float64 {
			if policy == DemParity {
				return c.B
			}
			return c.T
		}
		var cand []float64
		for _, c := range curves {
			cand = append(cand, key(c)...)
		}
		slices.Sort(cand)
		cand = slices.Compact(cand)
		best, bestU := 0.0, math.Inf(-1)
		for _, x := range cand {
			tot := 0.0
			for k, c := range curves {
				m, p := c.locate(key(c), x)
				tot = float64(share[k]*interp(c.U, m, p)) + tot
			}
			if tot > bestU {
				best, bestU = x, tot
			}
		}
		for k, j := range idx {
			c := curves[k]
			m, p := c.locate(key(c), best)
			out[k] = c.result(d, j, m, p, share[k], fMU[k])
		}
		return out, nil
	}
	return nil, fmt.Errorf("delayedimpact: unknown policy %q (want %q, %q or %q)", policy, MaxUtil, DemParity, EqOpp)
}

// TotalUtility is the lender's utility over the groups solved together,
// sum_j g_j U_j.
func TotalUtility(rs []GroupResult) float64 {
	t := 0.0
	for _, r := range rs {
		t = float64(r.Share*r.Utility) + t
	}
	return t
}

// OutcomeCurve returns Delta mu of the group's threshold policy of each
// selection rate in betas (the paper's outcome curve f(beta)).
func OutcomeCurve(d *Data, group string, betas []float64) ([]float64, error) {
	j, err := d.GroupIndex(group)
	if err != nil {
		return nil, err
	}
	c := newCurve(d, j, 1) // u does not enter Delta mu
	out := make([]float64, len(betas))
	for k, b := range betas {
		if !(b >= 0 && b <= 1) {
			return nil, fmt.Errorf("delayedimpact: selection rate %v out of [0, 1]", b)
		}
		m, p := c.locate(c.B, b)
		out[k] = interp(c.F, m, p)
	}
	return out, nil
}

// Regions holds the selection rates that divide a group's outcome curve
// at loss/profit ratio u, and the curve's values there. When MaxUtil <
// Best, rates below MaxUtil are relative harm, (MaxUtil, Bar) relative
// improvement, (Bar, Zero) relative harm and above Zero active harm.
type Regions struct {
	MaxUtil, DeltaMuMaxUtil float64 // beta of MaxUtil alone for this group, and its Delta mu
	Best, DeltaMuBest       float64 // beta* of the largest Delta mu, and that Delta mu
	Bar                     float64 // largest beta >= MaxUtil with Delta mu >= MaxUtil's
	Zero                    float64 // beta_0 >= Best where Delta mu = 0 (1 if it stays >= 0)
}

// RegionsOf computes the region boundaries of the group's outcome curve.
// It fails if the curve is not unimodal (rising to Best, falling after),
// for then the regions are not intervals.
func RegionsOf(d *Data, group string, u float64) (Regions, error) {
	j, err := d.GroupIndex(group)
	if err != nil {
		return Regions{}, err
	}
	if !(u > 0) || math.IsInf(u, 0) {
		return Regions{}, fmt.Errorf("delayedimpact: loss/profit ratio u = %v, want a positive number", u)
	}
	c := newCurve(d, j, u)
	best := 0
	for m := 1; m < len(c.F); m++ {
		if c.F[m] > c.F[best] {
			best = m
		}
	}
	for m := 1; m < len(c.F); m++ {
		if (m <= best && c.F[m] < c.F[m-1]) || (m > best && c.F[m] > c.F[m-1]) {
			return Regions{}, fmt.Errorf("delayedimpact: %s: outcome curve not unimodal at beta %v", group, c.B[m])
		}
	}
	mu := c.maxUtil()
	r := Regions{MaxUtil: c.B[mu], DeltaMuMaxUtil: c.F[mu], Best: c.B[best], DeltaMuBest: c.F[best]}
	r.Bar = r.MaxUtil
	if mu < best {
		r.Bar = c.crossing(best, r.DeltaMuMaxUtil)
	}
	r.Zero = c.crossing(best, 0)
	return r, nil
}

// crossing is the first rate beyond breakpoint from where the falling
// curve drops below level (1 if it never does).
func (c curve) crossing(from int, level float64) float64 {
	for m := from; m+1 < len(c.F); m++ {
		if c.F[m+1] < level {
			p := (level - c.F[m]) / (c.F[m+1] - c.F[m])
			return interp(c.B, m, p)
		}
	}
	return 1
}
