package store

// The record of the ledger sample: trace.parquet (each sampled agent's
// state on day 0 and on every day it changed) and trace_events.parquet
// (every event they attempted), with the ledger enough to rebuild the
// agent's sim.Trace exactly, without a replay (docs/store-format.md).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// Files of the record of the ledger sample.
const (
	TraceFile       = "trace.parquet"
	TraceEventsFile = "trace_events.parquet"
)

// Bytes one recorded state and one recorded event take in memory while a
// run collects them (the size of daily.TracedState and daily.TracedEvent).
const (
	TracedStateBytes = 20
	TracedEventBytes = 12
)

// traceRecord is what a run collects of its ledger sample until Commit
// (and what a checkpoint keeps of it).
type traceRecord struct {
	States []daily.TracedState
	Events []daily.TracedEvent
	// Dropped says the record outgrew its memory limit and was let go:
	// the run writes no trace (explain replays its agents instead).
	Dropped bool
	limit   uint64 // bytes; 0: no limit (not kept in checkpoints)
}

// SetTraceLimit bounds the memory the record of the ledger sample may take
// (0: no limit). A record that outgrows it is dropped, not the run.
func (w *RunWriter) SetTraceLimit(bytes uint64) { w.trace.limit = bytes }

// TraceDropped reports whether the record outgrew its limit.
func (w *RunWriter) TraceDropped() bool { return w.trace.Dropped }

// Trace implements sim.TraceSink.
func (w *RunWriter) Trace(states []daily.TracedState, events []daily.TracedEvent) error {
	t := &w.trace
	if t.Dropped {
		return nil
	}
	if t.limit > 0 {
		// The arrays' capacities are what is held (append at most doubles a
		// small one, grows a large one by a quarter).
		need := uint64(cap(t.States)+len(states))*TracedStateBytes + uint64(cap(t.Events)+len(events))*TracedEventBytes
		if need > t.limit {
			t.States, t.Events, t.Dropped = nil, nil, true
			return nil
		}
	}
	t.States = append(t.States, states...)
	t.Events = append(t.Events, events...)
	return nil
}

// commitTrace writes the record's two tables, unless it was dropped, and
// returns the names of the files written.
func (w *RunWriter) commitTrace(m *Manifest) ([]string, error) {
	if w.trace.Dropped {
		return nil, nil
	}
	if err := w.writeFile(TraceFile, func(fh io.Writer) error { return writeTraceStates(fh, m, w.trace.States) }); err != nil {
		return nil, err
	}
	if err := w.writeFile(TraceEventsFile, func(fh io.Writer) error { return writeTraceEvents(fh, m, w.trace.Events) }); err != nil {
		return nil, err
	}
	return []string{TraceFile, TraceEventsFile}, nil
}

func writeTraceStates(fh io.Writer, m *Manifest, rows []daily.TracedState) error {
	nm := m.Names
	tiers := bytesOf(nm.Tiers)
	cols := []column{
		{name: "day", typ: tInt32, i32: func(r int) int32 { return rows[r].Day }},
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return rows[r].Agent }},
		{name: "tier", typ: tString, s: func(r int) []byte { return tiers[rows[r].Tier] }},
		{name: "detained", typ: tBool, b: func(r int) bool { return rows[r].Detained }},
		{name: "partner", typ: tInt32, i32: func(r int) int32 { return rows[r].Partner }},
	}
	for s, n := range nm.Sanctions {
		bit := uint32(1) << uint(s)
		cols = append(cols, column{name: columnName("sanction_", n), typ: tBool, b: func(r int) bool { return rows[r].Sanctions&bit != 0 }})
	}
	for k, n := range nm.Flags {
		bit := uint32(1) << uint(k)
		cols = append(cols, column{name: columnName("flag_", n), typ: tBool, b: func(r int) bool { return rows[r].Flags&bit != 0 }})
	}
	return writeTable(fh, "trace", cols, len(rows), Metadata(m))
}

func writeTraceEvents(fh io.Writer, m *Manifest, rows []daily.TracedEvent) error {
	names := bytesOf(m.Names.Behaviours)
	cols := []column{
		{name: "day", typ: tInt32, i32: func(r int) int32 { return rows[r].Day }},
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return rows[r].Agent }},
		{name: "behaviour", typ: tString, s: func(r int) []byte { return names[rows[r].Behaviour] }},
		{name: "blocked", typ: tBool, b: func(r int) bool { return rows[r].Blocked }},
		{name: "detected", typ: tBool, b: func(r int) bool { return rows[r].Detected }},
	}
	return writeTable(fh, "trace_events", cols, len(rows), Metadata(m))
}

// checkTraceTable checks the record's tables against the run: days, agents
// and categories in range, every sanction and flag column present.
func checkTraceTable(path string, t *Table, whole bool, m *Manifest) error {
	nm := m.Names
	if err := t.requireRange(path, "day", 0, int64(m.Days)); err != nil {
		return err
	}
	if err := t.requireRange(path, "agent", 0, int64(m.Agents)-1); err != nil {
		return err
	}
	if filepath.Base(path) == TraceEventsFile {
		return t.requireIn(path, "behaviour", nm.Behaviours)
	}
	if whole {
		for _, n := range nm.Sanctions {
			if err := t.Require(path, KindBool, columnName("sanction_", n)); err != nil {
				return err
			}
		}
		for _, n := range nm.Flags {
			if err := t.Require(path, KindBool, columnName("flag_", n)); err != nil {
				return err
			}
		}
	}
	if err := t.requireIn(path, "tier", nm.Tiers); err != nil {
		return err
	}
	return t.requireRange(path, "partner", -1, int64(m.Agents)-1)
}

// HasTrace reports whether a run directory holds the record of its ledger
// sample.
func (m *Manifest) HasTrace() bool { return slices.Contains(m.Files, TraceFile) }

// NoTraceError says a run holds no stored trace of an agent, and why.
type NoTraceError struct {
	Agent int32
	// Why is one of: "no-ledger" (the run recorded no ledger), "not-sampled"
	// (the agent is not in the ledger sample), "no-record" (the run has a
	// ledger but no trace: an older nosedive wrote it, or the record
	// outgrew its memory limit).
	Why string
}

func (e *NoTraceError) Error() string {
	switch e.Why {
	case "no-ledger":
		return fmt.Sprintf("agent %d has no stored trace: the run recorded no ledger", e.Agent)
	case "not-sampled":
		return fmt.Sprintf("agent %d has no stored trace: it is not in the run's ledger sample", e.Agent)
	}
	return fmt.Sprintf("agent %d has no stored trace: the run holds none (written by an older nosedive, or the trace outgrew its memory limit)", e.Agent)
}

// TracedAgents lists the agents a run directory holds a trace of,
// ascending (nil when it holds none).
func TracedAgents(dir string, m *Manifest) ([]int32, error) {
	if !m.HasTrace() {
		return nil, nil
	}
	t, err := ReadTable(filepath.Join(dir, TraceFile), "day", "agent")
	if err != nil {
		return nil, err
	}
	var out []int32
	day, agent := t.Cols["day"].Int, t.Cols["agent"].Int
	for r := range day {
		if day[r] == 0 { // everyone traced has a day-0 row, in agent order
			out = append(out, int32(agent[r]))
		}
	}
	return out, nil
}

// ReadTrace rebuilds agent a's trace from a run directory's stored record
// and ledger: the same sim.Trace a replay with Options.Trace records (its
// days' states, events in behaviour order, and score changes in ledger
// order). baseline is the agent's starting score (fixed point): the scores
// are the baseline plus the ledger's changes, day by day. It returns a
// *NoTraceError when the run holds no trace of a.
func ReadTrace(dir string, m *Manifest, a int32, baseline int32) (*sim.Trace, error) {
	if a < 0 || int(a) >= m.Agents {
		return nil, fmt.Errorf("read trace: no agent %d in a run of %d", a, m.Agents)
	}
	if m.Ledger == "none" || !slices.Contains(m.Files, LedgerFile) {
		return nil, &NoTraceError{Agent: a, Why: "no-ledger"}
	}
	if !m.HasTrace() {
		return nil, &NoTraceError{Agent: a, Why: "no-record"}
	}
	nm := m.Names
	st, err := ReadTable(filepath.Join(dir, TraceFile))
	if err != nil {
		return nil, err
	}
	tr := &sim.Trace{Agent: a, Days: make([]sim.TraceDay, m.Days+1)}
	have := make([]bool, m.Days+1)
	sanc, flags := make([][]bool, len(nm.Sanctions)), make([][]bool, len(nm.Flags))
	for s, n := range nm.Sanctions {
		sanc[s] = st.Cols[columnName("sanction_", n)].Bool
	}
	for f, n := range nm.Flags {
		flags[f] = st.Cols[columnName("flag_", n)].Bool
	}
	day, agent := st.Cols["day"].Int, st.Cols["agent"].Int
	tier, det, partner := st.Cols["tier"].Str, st.Cols["detained"].Bool, st.Cols["partner"].Int
	for r := range day {
		if int32(agent[r]) != a {
			continue
		}
		d := day[r]
		td := sim.TraceDay{Day: int(d), Tier: uint8(slices.Index(nm.Tiers, tier[r])), Detained: det[r], Partner: int32(partner[r])}
		for s := range sanc {
			if sanc[s][r] {
				td.Sanctions |= 1 << uint(s)
			}
		}
		for f := range flags {
			if flags[f][r] {
				td.Flags |= 1 << uint(f)
			}
		}
		tr.Days[d], have[d] = td, true
	}
	if !have[0] {
		return nil, &NoTraceError{Agent: a, Why: "not-sampled"}
	}
	ev, err := ReadTable(filepath.Join(dir, TraceEventsFile))
	if err != nil {
		return nil, err
	}
	eday, eagent, beh := ev.Cols["day"].Int, ev.Cols["agent"].Int, ev.Cols["behaviour"].Str
	blocked, detected := ev.Cols["blocked"].Bool, ev.Cols["detected"].Bool
	for r := range eday {
		if int32(eagent[r]) != a {
			continue
		}
		d := eday[r]
		if d < 1 {
			return nil, damaged(filepath.Join(dir, TraceEventsFile), "row %d: an event on day %d", r, d)
		}
		tr.Days[d].Events = append(tr.Days[d].Events, sim.TraceEvent{Behaviour: slices.Index(nm.Behaviours, beh[r]),
			Blocked: blocked[r], Detected: detected[r]})
	}
	lg, err := ReadTable(filepath.Join(dir, LedgerFile))
	if err != nil {
		return nil, err
	}
	lday, lagent, lrule, ldelta := lg.Cols["day"].Int, lg.Cols["agent"].Int, lg.Cols["rule"].Str, lg.Cols["delta"].Float
	change := make([]int64, m.Days+1)
	for r := range lday {
		if int32(lagent[r]) != a {
			continue
		}
		x := math.Round(ldelta[r] * rule.Scale)
		if lday[r] < 1 || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, damaged(filepath.Join(dir, LedgerFile), "row %d: day %d, delta %g", r, lday[r], ldelta[r])
		}
		tr.Changes = append(tr.Changes, daily.LedgerEntry{Day: int32(lday[r]), Agent: a,
			Rule: int16(slices.Index(nm.Contributions, lrule[r])), Delta: int32(x)})
		change[lday[r]] += int64(x)
	}
	// States carry forward over the days without a row; scores accumulate.
	score := int64(baseline)
	for d := range tr.Days {
		if d > 0 && !have[d] {
			events := tr.Days[d].Events
			tr.Days[d] = tr.Days[d-1]
			tr.Days[d].Events = events
		}
		score += change[d]
		if score < math.MinInt32 || score > math.MaxInt32 {
			return nil, damaged(filepath.Join(dir, LedgerFile), "agent %d's score leaves the int32 range on day %d", a, d)
		}
		tr.Days[d].Day, tr.Days[d].Score = d, int32(score)
	}
	return tr, nil
}

// IsNoTrace reports whether err says an agent has no stored trace.
func IsNoTrace(err error) bool {
	var nt *NoTraceError
	return errors.As(err, &nt)
}

var _ sim.TraceSink = (*RunWriter)(nil)
