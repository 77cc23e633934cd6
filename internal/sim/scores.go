package sim

// Extra scores (scenario scores:): further per-agent scores beside the main
// one, each a flat fixed-point column, double-buffered like the main score:
// pass 1 reads the start-of-day column and writes the end-of-day one, so
// any expression reading an extra score (of oneself, a partner or
// acquaintances) sees the same values whatever the number of workers. The
// rules that target an extra score add to its own per-agent delta; after
// the main score's clamp each extra score is clamped to its range, the
// clamp booked to its own contribution column (scenario.ClampName), so that
// baseline + contributions = score holds for each score apart. A scenario
// without extra scores leaves every table here empty and takes none of
// these paths.

import (
	"math"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// extraScores is the engine's extra-score state and tables.
type extraScores struct {
	nx         int
	xs, xsNext [][]int32 // per extra score: per agent, fixed point
	xBase      [][]int32 // per extra score: each agent's starting value
	xlo, xhi   []int64   // per extra score: its range, fixed point
	// ruleScore[r] is the extra score rule r changes, -1 the main one
	// (nil without extra scores).
	ruleScore []int8
	// xClampCol is the contribution column of extra score 0's clamp; the
	// others follow.
	xClampCol int
}

// compileScores fills the extra-score tables and starting values (after
// compilePrivileges has fixed the contribution columns before them).
func (e *Engine) compileScores() {
	sc := e.sc
	e.nx = len(sc.Scores)
	if e.nx == 0 {
		return
	}
	e.ruleScore = make([]int8, len(sc.Scoring.Rules))
	for r := range sc.Scoring.Rules {
		e.ruleScore[r] = int8(sc.RuleScore(r))
	}
	e.xClampCol = e.nBooked + 3 // after recovery, clamp and release
	schema := sc.Schema()
	v := e.view(false)
	for k, x := range sc.Scores {
		lo, hi := toFixed(x.Range[0]), toFixed(x.Range[1])
		e.xlo, e.xhi = append(e.xlo, int64(lo)), append(e.xhi, int64(hi))
		base := make([]int32, e.n)
		entry := make([]int, e.nCells) // the initial entry of each cell, -1 none
		for c := range entry {
			entry[c] = -1
			r, g := schema.Regions[c/e.nGroups], schema.Groups[c%e.nGroups]
			for j, b := range x.Initial {
				if (b.Region == "" || b.Region == r) && (b.Group == "" || b.Group == g) {
					entry[c] = j
					break
				}
			}
		}
		for i := range base {
			j := entry[e.cellOf(i)]
			switch {
			case j < 0:
				base[i] = lo // no entry matches: the bottom of the range
			case e.prog.ScoreInitial[k][j].Fn != nil:
				f := e.prog.ScoreInitial[k][j].Fn(v, int32(i))
				if math.IsNaN(f) {
					f = x.Range[0]
				}
				base[i] = toFixed(min(max(f, x.Range[0]), x.Range[1]))
			default:
				base[i] = toFixed(x.Initial[j].Score)
			}
		}
		e.xBase = append(e.xBase, base)
		cur := append([]int32(nil), base...)
		e.xs = append(e.xs, cur)
		e.xsNext = append(e.xsNext, make([]int32, e.n))
	}
}

// ScoresBytesPerAgent is the engine's state per agent for n extra scores:
// the two buffers and the starting value, and the clamp's contribution
// column with the release column kept beside it.
func ScoresBytesPerAgent(n int) uint64 {
	if n == 0 {
		return 0
	}
	return uint64(n)*(3*4+4) + 4
}

// ruleScoreOf is the extra score rule r changes, -1 the main one.
func (e *Engine) ruleScoreOf(r int) int {
	if e.ruleScore == nil {
		return -1
	}
	return int(e.ruleScore[r])
}

// settleScores writes agent i's end-of-day extra scores (chunk offset kk):
// the start-of-day value plus the day's delta, clamped to the range.
func (e *Engine) settleScores(s *scratch, i int32, kk, nc int, ledger *[]daily.LedgerEntry) {
	for x := range e.nx {
		ns := int64(e.xs[x][i]) + s.xdelta[x*ChunkSize+kk]
		c := min(max(ns, e.xlo[x]), e.xhi[x])
		if c != ns {
			e.addContrib(i, nc, e.xClampCol+x, c-ns, ledger)
		}
		e.xsNext[x][i] = int32(c)
	}
}

// keepScores carries agent i's extra scores over unchanged (detained).
func (e *Engine) keepScores(i int32) {
	for x := range e.nx {
		e.xsNext[x][i] = e.xs[x][i]
	}
}

// swapScores makes the end-of-day extra scores tomorrow's start.
func (e *Engine) swapScores() { e.xs, e.xsNext = e.xsNext, e.xs }

// scoreNames are the extra scores' contribution names beyond release:
// their clamps.
func (e *Engine) scoreContribNames() []string {
	var out []string
	for k := range e.nx {
		out = append(out, e.sc.ClampName(k))
	}
	return out
}

// viewScores points a view at the start-of-day or end-of-day extra scores.
func (e *Engine) viewScores(v *rule.View, next bool) {
	v.Scores = e.xs
	if next {
		v.Scores = e.xsNext
	}
}
