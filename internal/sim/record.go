package sim

// Recording the ledger sample's days: the per-agent trace a run stores
// (trace.parquet, trace_events.parquet; see docs/store-format.md), so that
// `nosedive explain` answers for those agents without a replay.

import (
	"cmp"
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
)

// TraceSink is a Sink that also keeps the record of the ledger sample: each
// day's state changes and events of the watched agents (day 0's states
// first). The slices are valid only during the call.
type TraceSink interface {
	Trace(states []daily.TracedState, events []daily.TracedEvent) error
}

// recorder holds what the record of the ledger sample needs between days:
// the sampled agents, the state last recorded for each (to record changes
// only) and the day's events, gathered per chunk so that workers never
// share a buffer and the order never depends on the number of workers.
type recorder struct {
	agents      []int32 // ascending
	last        []daily.TracedState
	chunkEvents [][]daily.TracedEvent
	states      []daily.TracedState // the day's, rewritten every day
	events      []daily.TracedEvent
}

// initRecord starts the record when the run has a ledger sample. Replays
// (Options.Trace only) record nothing: they keep Traces instead.
func (e *Engine) initRecord() {
	if e.opt.Ledger.Fraction == 0 || e.ledgerSet == nil || len(e.sc.Behaviours) > math.MaxUint16 {
		return
	}
	r := &recorder{chunkEvents: make([][]daily.TracedEvent, (e.n+ChunkSize-1)/ChunkSize)}
	for i, on := range e.ledgerSet {
		if on {
			r.agents = append(r.agents, int32(i))
		}
	}
	r.last = make([]daily.TracedState, len(r.agents))
	e.rec = r
	e.recordStart()
	r.states = append(r.states[:0], r.last...) // day 0: everyone's starting state
}

// recordStart sets the last recorded states to the current state (at a
// fresh start, and after Restore: the record up to the snapshot's day is in
// the checkpoint, and its last states are the state the snapshot holds).
func (e *Engine) recordStart() {
	r := e.rec
	for k, a := range r.agents {
		r.last[k] = e.tracedState(a)
	}
	r.states, r.events = r.states[:0], r.events[:0]
}

func (e *Engine) tracedState(a int32) daily.TracedState {
	return daily.TracedState{Day: int32(e.day), Agent: a, Partner: e.partner[a], Flags: e.flags[a],
		Sanctions: e.sanc[a], Tier: e.tier[a], Detained: e.detained[a]}
}

// recordDay collects the day's record after the swap: the events in agent
// order (each agent's in behaviour order, as pass 1 draws them), and the
// state of every sampled agent whose state changed.
func (e *Engine) recordDay() {
	r := e.rec
	if r == nil {
		return
	}
	r.states, r.events = r.states[:0], r.events[:0]
	for c, ev := range r.chunkEvents {
		if len(ev) > 1 {
			slices.SortStableFunc(ev, func(a, b daily.TracedEvent) int { return cmp.Compare(a.Agent, b.Agent) })
		}
		r.events = append(r.events, ev...)
		r.chunkEvents[c] = ev[:0]
	}
	for k, a := range r.agents {
		s := e.tracedState(a)
		l := &r.last[k]
		if s.Partner != l.Partner || s.Flags != l.Flags || s.Sanctions != l.Sanctions || s.Tier != l.Tier || s.Detained != l.Detained {
			r.states = append(r.states, s)
		}
		*l = s
	}
}

// sendRecord hands the day's record to the sink, if it keeps one.
func (e *Engine) sendRecord(sink Sink) error {
	r := e.rec
	if r == nil || len(r.states)+len(r.events) == 0 {
		return nil
	}
	ts, ok := sink.(TraceSink)
	if !ok {
		return nil
	}
	return ts.Trace(r.states, r.events)
}

// Recorded reports whether the engine records the ledger sample's days
// (see TraceSink).
func (e *Engine) Recorded() bool { return e.rec != nil }
