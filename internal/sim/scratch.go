package sim

// Per-worker scratch space, reused every day so that the day step
// allocates nothing.

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// scratch is one worker's private accumulators for a day. Everything is an
// integer, so summing workers in any order gives identical results.
type scratch struct {
	att, det, blk []int64 // [cell*behaviours + b]
	cells         []daily.Cell
	hist          []uint32 // [cell*histBins + bin]
	tiers         []int64  // [cell*tiers + tier], moved into cells by merge

	// Periodic rules, evaluated for a whole chunk before its agent loop:
	// fired[r*ChunkSize+k] says whether periodic rule r applies to agent
	// lo+k today, amt holds its raw amount.
	arena  *rule.Arena
	idx    []int32
	ok     []bool
	vals   []float64
	fired  []bool
	amt    []float64 // raw, for error messages
	amtFix []int64   // fixed point, or badAmount
	// Pass 1's per-agent accumulators for the chunk: score change, flags,
	// chill fraction (-1 until computed).
	delta []int64
	// and each extra score's change, [score*ChunkSize + k] (scores.go)
	xdelta []int64
	fl     []uint32
	frac   []float64
	// Sanctions whose condition cannot change during pass 2 are evaluated
	// per chunk too: held[x*ChunkSize+k] is sanction x's condition for lo+k.
	held []bool
	cand []int32 // pass 1: agents who drew an event (one spare slot)
	// pass 1: whether the agent's partner can be read (see periodicBatch)
	partnerOK []bool
	// pass 1: contributions of event rules, booked after the agent loop
	evContrib []contribAdd
	// institutions' counts per category slot: applicants, approved,
	// successes (institution.go; sized on the first decision day)
	inst []int64
}

// contribAdd is an amount x to add to e.contrib[at].
type contribAdd struct {
	at int
	x  int32
}

func (e *Engine) newScratch() *scratch {
	nb := len(e.sc.Behaviours)
	s := &scratch{
		att: make([]int64, e.nCells*nb), det: make([]int64, e.nCells*nb), blk: make([]int64, e.nCells*nb),
		cells: make([]daily.Cell, e.nCells), hist: make([]uint32, e.nCells*histBins),
		tiers: make([]int64, e.nCells*len(e.sc.Tiers.Levels)),
		arena: &rule.Arena{}, idx: make([]int32, ChunkSize), ok: make([]bool, ChunkSize), vals: make([]float64, ChunkSize),
		fired: make([]bool, len(e.periodicRules)*ChunkSize), amt: make([]float64, len(e.periodicRules)*ChunkSize),
		amtFix: make([]int64, len(e.periodicRules)*ChunkSize),
		held:   make([]bool, len(e.sc.Sanctions)*ChunkSize), cand: make([]int32, ChunkSize+1), partnerOK: make([]bool, ChunkSize),
		delta: make([]int64, ChunkSize), xdelta: make([]int64, e.nx*ChunkSize), fl: make([]uint32, ChunkSize), frac: make([]float64, ChunkSize),
		// room for an event rule per agent: more is rare, and growing
		// would allocate in the day step
		evContrib: make([]contribAdd, 0, ChunkSize),
	}
	for c := range s.cells {
		s.cells[c] = daily.Cell{
			Region: uint8(c / e.nGroups), Group: uint8(c % e.nGroups),
			Sanction: make([]int64, len(e.sc.Sanctions)),
			Flag:     make([]int64, len(e.sc.FlagNames())),
		}
		if e.nPriv > 0 {
			s.cells[c].Privilege = make([]int64, e.nPriv)
		}
		if e.nx > 0 {
			s.cells[c].Scores = make([]int64, e.nx)
		}
	}
	return s
}

// reset zeroes the day's accumulators (the buffers are reused every day).
func (s *scratch) reset() {
	clear(s.att)
	clear(s.det)
	clear(s.blk)
	clear(s.hist)
	clear(s.tiers)
	for c := range s.cells {
		cell := &s.cells[c]
		sanc, flag, priv, xs := cell.Sanction, cell.Flag, cell.Privilege, cell.Scores
		clear(sanc)
		clear(flag)
		clear(priv)
		clear(xs)
		*cell = daily.Cell{Region: cell.Region, Group: cell.Group, Sanction: sanc, Flag: flag, Privilege: priv, Scores: xs}
	}
}
