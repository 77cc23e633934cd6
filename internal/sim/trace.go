package sim

import "github.com/nosedive-lab/nosedive/internal/daily"

// Trace is the day-by-day story of one agent, recorded when the agent is
// named in Options.Trace. `nosedive explain` re-simulates a run with a
// trace rather than storing every event of every agent: runs are
// deterministic, so the replay is exact.
type Trace struct {
	Agent   int32
	Days    []TraceDay
	Changes []daily.LedgerEntry // every score change, with its rule
	pending []TraceEvent
}

// TraceDay is the agent's state at the end of one day (Day as in daily.day)
// and the events it produced that day.
type TraceDay struct {
	Day       int
	Score     int32
	Tier      uint8
	Flags     uint32
	Sanctions uint32
	Detained  bool
	Partner   int32
	Events    []TraceEvent
}

// TraceEvent is one attempted event of the traced agent.
type TraceEvent struct {
	Behaviour int
	Blocked   bool // stopped by a sanction
	Detected  bool
}

// Traces returns the recorded traces, in the order of Options.Trace.
func (e *Engine) Traces() []*Trace { return e.traces }

func (e *Engine) initTrace() {
	if len(e.opt.Trace) == 0 {
		return
	}
	// An array, not a map: the test on every event of a watched agent is
	// one load (replays only; runs record with a recorder, see record.go).
	e.traceSlot = make([]int32, e.n)
	for i := range e.traceSlot {
		e.traceSlot[i] = -1
	}
	for k, a := range e.opt.Trace {
		e.traceSlot[a] = int32(k)
		e.traces = append(e.traces, &Trace{Agent: a})
		e.traces[k].Days = append(e.traces[k].Days, e.traceDay(a, 0))
	}
}

func (e *Engine) traceDay(a int32, day int) TraceDay {
	return TraceDay{Day: day, Score: e.score[a], Tier: e.tier[a], Flags: e.flags[a], Sanctions: e.sanc[a],
		Detained: e.detained[a], Partner: e.partner[a]}
}

// traceEvent records an event of a watched agent i (e.ledgerSet[i]: in the
// ledger sample or traced) in the run's record and in its trace (pass 1;
// each agent is written only by the worker that owns its chunk). Callers
// test e.ledgerSet first, so unwatched agents cost one load, and a run
// without a ledger one nil test.
func (e *Engine) traceEvent(i int32, b int, blocked, detected bool) {
	if r := e.rec; r != nil {
		c := int(i) / ChunkSize
		r.chunkEvents[c] = append(r.chunkEvents[c], daily.TracedEvent{Day: int32(e.day + 1), Agent: i,
			Behaviour: uint16(b), Blocked: blocked, Detected: detected})
	}
	if e.traceSlot != nil {
		if k := e.traceSlot[i]; k >= 0 {
			t := e.traces[k]
			t.pending = append(t.pending, TraceEvent{Behaviour: b, Blocked: blocked, Detected: detected})
		}
	}
}

// traceEndOfDay closes the day for every traced agent (after the swap).
func (e *Engine) traceEndOfDay(ledger []daily.LedgerEntry) {
	for _, t := range e.traces {
		d := e.traceDay(t.Agent, e.day)
		d.Events, t.pending = t.pending, nil
		t.Days = append(t.Days, d)
	}
	if len(e.traces) == 0 {
		return
	}
	for _, l := range ledger {
		if k := e.traceSlot[l.Agent]; k >= 0 {
			e.traces[k].Changes = append(e.traces[k].Changes, l)
		}
	}
}
