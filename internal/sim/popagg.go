package sim

// Population aggregates (pop.share, pop.mean, pop.quantile): computed from
// the start-of-day state before the day's first pass, on the days some
// expression that reads them runs, and then read by every agent as
// constants of the day (rule.View.Pop). The reductions run in agent order
// on one goroutine, so their values do not depend on the number of
// workers; a quantile is one of the data (rule.Quantile), a mean a sum in
// agent order, a share a ratio of integer counts.

import (
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// aggState is what the aggregates and draws need across days.
type aggState struct {
	popVals  []float64 // rule.View.Pop
	popDaily uint64    // aggregates read by expressions evaluated every day
	popRule  []uint64  // per scenario rule: aggregates a periodic rule reads
	drawKey  uint64    // rule.View.Rand
	// per-day scratch, sized on first use
	popX     []float64
	popB     []bool
	popIdx   []int32
	popSort  []float64
	popCount []int64
	popSum   []float64
	popOff   []int
	popArena rule.Arena
	// baseAgent is each agent's starting score when some starting score is
	// an expression (scoring.initial[].from); nil when all are per cell.
	baseAgent []int32
}

// initAggs finds which expressions read which aggregates.
func (e *Engine) initAggs() {
	e.drawKey = rng.Key(e.seed, "rule/draw")
	p := e.prog
	if p.Pop == nil || len(p.Pop.List) == 0 {
		return
	}
	e.popVals = make([]float64, p.Pop.Size)
	refs := func(rs ...rule.Refs) uint64 {
		var m uint64
		for _, r := range rs {
			m |= r.Pop
		}
		return m
	}
	e.popDaily = refs(p.Visible.Refs)
	for b := range p.Rate {
		e.popDaily |= refs(p.Rate[b].Refs, p.Eligible[b].Refs)
	}
	for _, x := range p.SanctionWhen {
		e.popDaily |= x.Refs.Pop
	}
	// An institution reads its expressions on its decision days, which
	// may be any day: counted as every day's.
	for _, x := range p.Institutions {
		e.popDaily |= refs(x.Applicants.Refs, x.Score.Refs, x.Believes.Refs, x.Success.Refs)
	}
	e.popRule = make([]uint64, len(e.sc.Scoring.Rules))
	for r, ru := range e.sc.Scoring.Rules {
		m := refs(p.RuleWhen[r].Refs, p.RuleAmount[r].Refs)
		if ru.Every > 0 {
			e.popRule[r] = m
		} else {
			e.popDaily |= m
		}
	}
}

// initialScores sets each agent's starting score from the scoring.initial
// entry of its cell, evaluating from expressions per agent. A value that
// is not a finite number starts at the bottom of scoring.range; every
// value is clamped to the range.
func (e *Engine) initialScores() {
	entry := make([]int, e.nCells) // the scoring.initial entry of each cell, -1 none
	schema := e.sc.Schema()
	perAgent := false
	for c := range entry {
		entry[c] = -1
		r, g := schema.Regions[c/e.nGroups], schema.Groups[c%e.nGroups]
		for k, b := range e.sc.Scoring.Initial {
			if (b.Region == "" || b.Region == r) && (b.Group == "" || b.Group == g) {
				entry[c] = k
				perAgent = perAgent || e.prog.Initial[k].Fn != nil
				break
			}
		}
	}
	if !perAgent {
		return
	}
	e.baseAgent = make([]int32, e.n)
	v := e.view(false)
	lo, hi := float64(e.lo)/rule.Scale, float64(e.hi)/rule.Scale
	for i := range e.baseAgent {
		c := e.cellOf(i)
		k := entry[c]
		if k < 0 || e.prog.Initial[k].Fn == nil {
			e.baseAgent[i] = e.baseline[c]
			continue
		}
		x := e.prog.Initial[k].Fn(v, int32(i))
		if math.IsNaN(x) {
			x = lo
		}
		e.baseAgent[i] = toFixed(min(max(x, lo), hi))
	}
}

// computeAggs computes today's aggregates into popVals, those read by an
// expression that runs today: every day's (rates, conditions, event
// rules, sanctions) and today's periodic rules'.
func (e *Engine) computeAggs(v *rule.View) {
	if e.popVals == nil {
		return
	}
	need := e.popDaily
	for r, m := range e.popRule {
		if m != 0 && e.day%e.sc.Scoring.Rules[r].Every == 0 {
			need |= m
		}
	}
	if need == 0 {
		return
	}
	if e.popX == nil {
		e.popX, e.popB, e.popIdx = make([]float64, e.n), make([]bool, e.n), make([]int32, ChunkSize)
	}
	for k, a := range e.prog.Pop.List {
		if need>>uint(k)&1 != 0 {
			e.aggregate(v, a, e.popVals[a.Slot:a.Slot+a.Len])
		}
	}
}

// categoryOf is the start-of-day column of the category named by (group,
// region, age, tier) in view v, nil for none: what an aggregate is per and
// what an institution sets a threshold per.
func categoryOf(v *rule.View, by string) []uint8 {
	switch by {
	case "group":
		return v.Group
	case "region":
		return v.Region
	case "age":
		return v.Age
	case "tier":
		return v.Tier
	}
	return nil
}

// aggregate computes one aggregate of the start-of-day view v into out.
func (e *Engine) aggregate(v *rule.View, a *rule.Aggregate, out []float64) {
	n := e.n
	// Evaluate the argument for every agent, a chunk at a time.
	for lo := 0; lo < n; lo += ChunkSize {
		hi := min(lo+ChunkSize, n)
		idx := e.popIdx[:hi-lo]
		for k := range idx {
			idx[k] = int32(lo + k)
		}
		if a.Kind == rule.AggShare {
			a.Cond.Batch(v, idx, e.popB[lo:hi], &e.popArena)
		} else {
			a.Num.Batch(v, idx, e.popX[lo:hi], &e.popArena)
		}
	}
	cat := categoryOf(v, a.By)
	m := len(out)
	e.popCount = slices.Grow(e.popCount[:0], 2*m)[:2*m]
	clear(e.popCount)
	count, hits := e.popCount[:m], e.popCount[m:]
	catOf := func(i int) int {
		if cat == nil {
			return 0
		}
		return int(cat[i])
	}
	switch a.Kind {
	case rule.AggShare:
		for i, b := range e.popB[:n] {
			c := catOf(i)
			count[c]++
			hits[c] += int64(b2i(b))
		}
		for c := range out {
			out[c] = 0
			if count[c] > 0 {
				out[c] = float64(hits[c]) / float64(count[c])
			}
		}
	case rule.AggMean:
		e.popSum = slices.Grow(e.popSum[:0], m)[:m]
		clear(e.popSum)
		for i, x := range e.popX[:n] {
			c := catOf(i)
			count[c]++
			e.popSum[c] += x
		}
		for c := range out {
			out[c] = 0
			if count[c] > 0 {
				out[c] = e.popSum[c] / float64(count[c])
			}
		}
	case rule.AggQuantile:
		// Sort each category's values (a counting sort by category, then a
		// sort within each) and read the order statistic.
		for i := range n {
			count[catOf(i)]++
		}
		e.popOff = slices.Grow(e.popOff[:0], m+1)[:m+1]
		e.popOff[0] = 0
		for c := range m {
			e.popOff[c+1] = e.popOff[c] + int(count[c])
		}
		e.popSort = slices.Grow(e.popSort[:0], n)[:n]
		pos := hits // reused as the fill position of each category
		for c := range m {
			pos[c] = int64(e.popOff[c])
		}
		for i, x := range e.popX[:n] {
			c := catOf(i)
			e.popSort[pos[c]] = x
			pos[c]++
		}
		for c := range out {
			seg := e.popSort[e.popOff[c]:e.popOff[c+1]]
			out[c] = 0
			if len(seg) > 0 {
				out[c] = quantileOf(a.Q, seg)
			}
		}
	}
}

// quantileOf is rule.Quantile of xs, which it reorders: the order
// statistic rule.Quantile reads of the sorted values, found by selection
// (expected linear time) instead of a sort. A NaN among the values makes
// the quantile NaN.
func quantileOf(q float64, xs []float64) float64 {
	for _, x := range xs {
		if x != x {
			return x
		}
	}
	n := len(xs)
	k := min(max(int(math.Ceil(q*float64(n)))-1, 0), n-1)
	return selectK(xs, k)
}

// selectK returns the k-th smallest of xs (0-based), reordering xs: a
// quickselect with a three-way partition, so that many equal values (ties
// are common in scores) cost no more than distinct ones, and a
// median-of-three pivot. The value does not depend on the pivots chosen.
func selectK(xs []float64, k int) float64 {
	lo, hi := 0, len(xs) // the k-th lies in xs[lo:hi]
	for hi-lo > 16 {
		a, b, c := xs[lo], xs[lo+(hi-lo)/2], xs[hi-1]
		p := max(min(a, b), min(max(a, b), c)) // the median of three
		// xs[lo:lt] < p, xs[lt:i] == p, xs[gt:hi] > p
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch x := xs[i]; {
			case x < p:
				xs[lt], xs[i] = xs[i], xs[lt]
				lt++
				i++
			case x > p:
				gt--
				xs[gt], xs[i] = xs[i], xs[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return p
		}
	}
	slices.Sort(xs[lo:hi])
	return xs[k]
}
