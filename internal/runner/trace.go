package runner

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// Trace passes the record of the ledger sample on to the real sink, when it
// keeps one (sim.TraceSink).
func (t *tee) Trace(states []daily.TracedState, events []daily.TracedEvent) error {
	if ts, ok := t.Sink.(sim.TraceSink); ok {
		return ts.Trace(states, events)
	}
	return nil
}

// traceShare is the part of the memory limit the record of the ledger
// sample may take (1/traceShare): it is small next to the ledger it
// accompanies (one row per sampled agent and day with an event or a change
// of state), and a record that outgrows it is dropped, not the run:
// explain then replays those agents.
const traceShare = 20

func traceLimit(plan memoryPlan) uint64 { return plan.limit.Bytes / traceShare }
