package sim

// The day's aggregates: integer sums per (region, group) cell, score
// histograms and their quantiles, merged over workers in chunk order.

import (
	"math"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// state is one buffer of the per-agent state the aggregates read.
type state struct {
	score    []int32
	tier     []uint8
	flags    []uint32
	sanc     []uint32
	partner  []int32
	detained []bool
	xs       [][]int32 // extra scores (scores.go)
}

// countChunk adds agents [lo, hi) of st to the day's aggregates. It works a
// stretch of one region at a time with the columns sliced to the stretch,
// and leaves Active (= Agents - Detained) to merge.
func (e *Engine) countChunk(s *scratch, lo, hi int, st *state) {
	cells, hist, tiers := s.cells, s.hist, s.tiers
	nt := len(e.sc.Tiers.Levels)
	lo64, w := int64(e.lo), int64(e.hi)-int64(e.lo)+1
	for a := lo; a < hi; {
		b := e.stretchEnd(a, hi)
		base := int(e.pop.Region[a]) * e.nGroups
		group, kids := e.pop.Group[a:b], e.pop.Kids[a:b]
		score, tier, flags := st.score[a:b], st.tier[a:b], st.flags[a:b]
		sanc, partner, detained := st.sanc[a:b], st.partner[a:b], st.detained[a:b]
		for k, g := range group {
			c := base + int(g)
			cell := &cells[c]
			cell.Agents++
			cell.ScoreSum += int64(score[k])
			tiers[c*nt+int(tier[k])]++
			cell.Partnered += int64(b2i(partner[k] >= 0))
			if detained[k] {
				cell.Detained++
			}
			if x := sanc[k]; x != 0 {
				if x&e.schoolMask != 0 {
					cell.ChildrenBlocked += int64(kids[k])
				}
				for n := 0; x != 0; n++ {
					cell.Sanction[n] += int64(x & 1)
					x >>= 1
				}
			}
			for n, f := 0, flags[k]; f != 0; n++ {
				cell.Flag[n] += int64(f & 1)
				f >>= 1
			}
			hist[c*histBins+histBin(score[k], lo64, w)]++
			for x, col := range st.xs {
				cell.Scores[x] += int64(col[a+k])
			}
		}
		a = b
	}
}

// histBin returns the score's histogram bin. The arithmetic is in int64:
// the widest range a scenario may have (+-2e6 points) overflows int32.
func histBin(score int32, lo, w int64) int {
	return int((int64(score) - lo) * histBins / w)
}

// aggregateStart reports day 0, the starting state.
func (e *Engine) aggregateStart() *daily.Day {
	s := e.newScratch()
	e.countChunk(s, 0, e.n, &state{e.score, e.tier, e.flags, e.sanc, e.partner, e.detained, e.xs})
	out := e.newDay()
	e.merge([]*scratch{s}, out)
	out.Day = 0
	return out
}

// merge sums the workers' accumulators into out and derives quantiles.
func (e *Engine) merge(ws []*scratch, out *daily.Day) {
	acc := ws[0]
	for _, s := range ws[1:] {
		addInts(acc.att, s.att)
		addInts(acc.det, s.det)
		addInts(acc.blk, s.blk)
		for c := range acc.cells {
			a, b := &acc.cells[c], &s.cells[c]
			a.Agents += b.Agents
			a.Partnered += b.Partnered
			a.Detained += b.Detained
			a.ChildrenBlocked += b.ChildrenBlocked
			a.ScoreSum += b.ScoreSum
			addInts(a.Sanction, b.Sanction)
			addInts(a.Flag, b.Flag)
			addInts(a.Privilege, b.Privilege)
			addInts(a.Scores, b.Scores)
		}
		for k, x := range s.hist {
			acc.hist[k] += x
		}
		addInts(acc.tiers, s.tiers)
	}
	// The result is a copy (the scratch buffers are reused tomorrow) into
	// out, whose counters share one array.
	nb, nt := len(e.sc.Behaviours), len(e.sc.Tiers.Levels)
	width := float64(int64(e.hi)-int64(e.lo)+1) / histBins / rule.Scale
	for c := range acc.cells {
		cell := &out.Cells[c]
		tier, sanc, flag, att, det, blk := cell.Tier, cell.Sanction, cell.Flag, cell.Attempted, cell.Detected, cell.Blocked
		priv, xs := cell.Privilege, cell.Scores
		*cell = acc.cells[c]
		cell.Tier, cell.Sanction, cell.Flag, cell.Attempted, cell.Detected, cell.Blocked = tier, sanc, flag, att, det, blk
		cell.Privilege, cell.Scores = priv, xs
		copy(priv, acc.cells[c].Privilege)
		copy(xs, acc.cells[c].Scores)
		cell.RegimeActive = e.active[cell.Region].active
		cell.Active = cell.Agents - cell.Detained
		copy(tier, acc.tiers[c*nt:(c+1)*nt])
		copy(sanc, acc.cells[c].Sanction)
		copy(flag, acc.cells[c].Flag)
		copy(att, acc.att[c*nb:(c+1)*nb])
		copy(det, acc.det[c*nb:(c+1)*nb])
		copy(blk, acc.blk[c*nb:(c+1)*nb])
		h := acc.hist[c*histBins : (c+1)*histBins]
		for q, frac := range daily.Quantiles {
			cell.ScoreQ[q] = quantile(h, cell.Agents, frac, float64(e.lo)/rule.Scale, width)
		}
	}
}

// newDay allocates a day's aggregates: one cell per (region, group), with
// all counters in one array.
func (e *Engine) newDay() *daily.Day {
	nb := len(e.sc.Behaviours)
	nt, ns, nf := len(e.sc.Tiers.Levels), len(e.sc.Sanctions), len(e.sc.FlagNames())
	np := e.nPriv
	per := nt + ns + nf + 3*nb + np + e.nx
	ints := make([]int64, e.nCells*per)
	out := &daily.Day{Cells: make([]daily.Cell, e.nCells)}
	for c := range out.Cells {
		row := ints[c*per : (c+1)*per : (c+1)*per]
		take := func(n int) []int64 {
			dst := row[:n:n]
			row = row[n:]
			return dst
		}
		cell := &out.Cells[c]
		cell.Tier, cell.Sanction, cell.Flag = take(nt), take(ns), take(nf)
		cell.Attempted, cell.Detected, cell.Blocked = take(nb), take(nb), take(nb)
		if np > 0 {
			cell.Privilege = take(np)
		}
		if e.nx > 0 {
			cell.Scores = take(e.nx)
		}
	}
	return out
}

// quantile reads a quantile off a histogram, interpolating inside the bin.
func quantile(h []uint32, n int64, q, lo, width float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	target := float64(q * float64(n))
	cum := 0.0
	for b, x := range h {
		if x == 0 {
			continue
		}
		if cum+float64(x) >= target {
			return lo + float64(width*(float64(b)+(target-cum)/float64(x)))
		}
		cum += float64(x)
	}
	return lo + float64(width*float64(len(h)))
}

func addInts(a, b []int64) {
	for k := range a {
		a[k] += b[k]
	}
}
