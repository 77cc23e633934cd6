package sim

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rng"
)

// dayKeys are the random stream keys of one day.
type dayKeys struct {
	event, detect      []uint64
	form, pick, accept uint64
	brk                uint64
}

func (e *Engine) keys(d int) *dayKeys {
	k := &e.dayKeys
	if k.event == nil {
		for _, b := range e.sc.Behaviours {
			e.behKeys = append(e.behKeys, [2]uint64{rng.Key(e.seed, "event/"+b.Name), rng.Key(e.seed, "detect/"+b.Name)})
		}
		k.event, k.detect = make([]uint64, len(e.behKeys)), make([]uint64, len(e.behKeys))
	}
	for b, bk := range e.behKeys {
		k.event[b], k.detect[b] = rng.Sub(bk[0], uint64(d)), rng.Sub(bk[1], uint64(d))
	}
	k.form = rng.Sub(rng.Key(e.seed, "partners/form"), uint64(d))
	k.pick = rng.Sub(rng.Key(e.seed, "partners/pick"), uint64(d))
	k.accept = rng.Sub(rng.Key(e.seed, "partners/accept"), uint64(d))
	k.brk = rng.Sub(rng.Key(e.seed, "partners/break"), uint64(d))
	return k
}

// Step simulates one day and returns its aggregates and ledger entries.
// Both are rewritten by the next Step: a caller that keeps them copies them
// (Run does, for its sink). Step allocates nothing once its buffers are
// sized on the first day.
func (e *Engine) Step() (*daily.Day, []daily.LedgerEntry, error) {
	d := e.day
	e.setPhase(d)
	keys := e.keys(d)
	if len(e.scratch) != e.opt.Workers {
		e.scratch = make([]*scratch, e.opt.Workers)
		for w := range e.scratch {
			e.scratch[w] = e.newScratch()
		}
		e.jobs = dayJobs{pass1: e.pass1Job, pass2: e.pass2Job, visible: e.visibleJob}
		e.out = e.newDay()
	}
	workers := e.scratch
	for _, s := range workers {
		s.reset()
	}
	chunks := (e.n + ChunkSize - 1) / ChunkSize
	if len(e.chunkLedger) != chunks {
		e.chunkLedger = make([][]daily.LedgerEntry, chunks)
		e.chunkProposals = make([][][2]int32, chunks)
		e.chunkBreakups = make([][]int32, chunks)
		if !e.staticPartners {
			// room for a day's usual proposals and breakups per chunk
			for c := range chunks {
				e.chunkProposals[c] = make([][2]int32, 0, 256)
				e.chunkBreakups[c] = make([]int32, 0, 256)
			}
		}
	}
	ledger, proposals, breakups := e.chunkLedger, e.chunkProposals, e.chunkBreakups
	for c := range chunks {
		ledger[c], proposals[c], breakups[c] = ledger[c][:0], proposals[c][:0], breakups[c][:0]
	}
	// The passes read their views from e.views: 0 is the start of the day,
	// 1 the end of the day with start-of-day sanctions and detention (for
	// sanction conditions), 2 the end of the day (for visibility).
	e.computeAggs(e.viewIn(&e.views[0], false))
	if len(e.insts) > 0 {
		if err := e.decide(&e.views[0]); err != nil {
			return nil, nil, err
		}
	}
	if err := e.parallel(e.jobs.pass1); err != nil {
		return nil, nil, err
	}
	e.relationships(keys, breakups, proposals)

	next := e.viewIn(&e.views[1], true)
	next.Sanctions, next.Detained = e.sanc, e.detained
	vis := e.viewIn(&e.views[2], true)
	vis.Sanctions, vis.Detained = e.sancNext, e.detainedNext
	if err := e.parallel(e.jobs.pass2); err != nil {
		return nil, nil, err
	}
	if e.visibleAfter {
		e.parallel(e.jobs.visible)
	}
	e.swap()
	if e.visibleAcq != nil {
		e.updateVisibleAcq(e.visibleNext)
	}
	e.day++
	e.merge(workers, e.out)
	e.recordDecisions(e.out)
	e.out.Day = e.day
	flat := e.flatLedger[:0]
	for _, l := range ledger {
		flat = append(flat, l...)
	}
	e.flatLedger = flat
	e.traceEndOfDay(flat)
	e.recordDay()
	if e.opt.Ledger.Fraction == 0 && len(e.opt.Trace) > 0 {
		flat = nil // the ledger was on for the trace only
	}
	return e.out, flat, nil
}

// dayJobs are the day's parallel passes as method values, made once (a
// method value or closure made every day would allocate).
type dayJobs struct{ pass1, pass2, visible func(w, lo, hi int) error }

func (e *Engine) pass1Job(w, lo, hi int) error {
	c := lo / ChunkSize
	return e.pass1(&e.views[0], &e.dayKeys, e.scratch[w], lo, hi, &e.chunkLedger[c], &e.chunkProposals[c], &e.chunkBreakups[c])
}

func (e *Engine) pass2Job(w, lo, hi int) error {
	e.pass2(&e.views[1], &e.views[2], e.scratch[w], lo, hi, !e.visibleAfter)
	return nil
}

// visibleJob computes tomorrow's visibility when it reads what pass 2
// writes for other agents (their sanctions or detention, through a partner
// or acquaintances), once pass 2 has settled everyone's.
func (e *Engine) visibleJob(_, lo, hi int) error {
	vis := &e.views[2]
	for i := lo; i < hi; i++ {
		e.visibleNext[i] = e.prog.Visible.Fn(vis, int32(i))
	}
	return nil
}

func (e *Engine) swap() {
	e.score, e.scoreNext = e.scoreNext, e.score
	e.tier, e.tierNext = e.tierNext, e.tier
	e.flags, e.flagsNext = e.flagsNext, e.flags
	e.sanc, e.sancNext = e.sancNext, e.sanc
	e.partner, e.partnerNext = e.partnerNext, e.partner
	e.detained, e.detainedNext = e.detainedNext, e.detained
	e.visible, e.visibleNext = e.visibleNext, e.visible
	e.swapScores()
}
