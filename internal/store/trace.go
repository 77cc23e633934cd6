package store

// The record of the ledger sample: trace.parquet (each sampled agent's
// state on day 0 and on every day it changed), trace_events.parquet (every
// event they attempted) and trace_changes.parquet (the ledger's rows), all
// in agent order, so that one agent's rows lie in one or two row groups and
// its sim.Trace is rebuilt exactly, without a replay, by reading those
// (docs/store-format.md).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/parquet-go/parquet-go"
)

// Files of the record of the ledger sample.
const (
	TraceFile        = "trace.parquet"
	TraceEventsFile  = "trace_events.parquet"
	TraceChangesFile = "trace_changes.parquet"
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

// commitTrace writes the record's tables, unless it was dropped, and
// returns the names of the files written.
func (w *RunWriter) commitTrace(m *Manifest) ([]string, error) {
	if w.trace.Dropped {
		return nil, nil
	}
	st, ev, lg := w.trace.States, w.trace.Events, w.ledger
	stOrder := byAgent(m.Agents, len(st), func(r int) int32 { return st[r].Agent })
	if err := w.writeFile(TraceFile, func(fh io.Writer) error { return writeTraceStates(fh, m, st, stOrder) }); err != nil {
		return nil, err
	}
	evOrder := byAgent(m.Agents, len(ev), func(r int) int32 { return ev[r].Agent })
	if err := w.writeFile(TraceEventsFile, func(fh io.Writer) error { return writeTraceEvents(fh, m, ev, evOrder) }); err != nil {
		return nil, err
	}
	lgOrder := byAgent(m.Agents, len(lg), func(r int) int32 { return lg[r].Agent })
	if err := w.writeFile(TraceChangesFile, func(fh io.Writer) error { return writeTraceChanges(fh, m, lg, lgOrder) }); err != nil {
		return nil, err
	}
	return []string{TraceFile, TraceEventsFile, TraceChangesFile}, nil
}

// byAgent returns the rows' order sorted by agent, stably (rows are in day
// order, so the result is agent, then day, then the order within a day): a
// counting sort, linear in rows and agents, with 4 bytes per row and per
// agent (the ledger's growth headroom, freed by then, is larger).
func byAgent(agents, rows int, agent func(r int) int32) []int32 {
	start := make([]int32, agents+1)
	for r := 0; r < rows; r++ {
		start[agent(r)+1]++
	}
	for a := 1; a <= agents; a++ {
		start[a] += start[a-1]
	}
	order := make([]int32, rows)
	for r := 0; r < rows; r++ {
		a := agent(r)
		order[start[a]] = int32(r)
		start[a]++
	}
	return order
}

func writeTraceStates(fh io.Writer, m *Manifest, rows []daily.TracedState, order []int32) error {
	nm := m.Names
	tiers := bytesOf(nm.Tiers)
	at := func(r int) *daily.TracedState { return &rows[order[r]] }
	cols := []column{
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return at(r).Agent }},
		{name: "day", typ: tInt32, i32: func(r int) int32 { return at(r).Day }},
		{name: "tier", typ: tString, s: func(r int) []byte { return tiers[at(r).Tier] }},
		{name: "detained", typ: tBool, b: func(r int) bool { return at(r).Detained }},
		{name: "partner", typ: tInt32, i32: func(r int) int32 { return at(r).Partner },
			null: func(r int) bool { return at(r).Partner < 0 }},
	}
	for s, n := range nm.Sanctions {
		bit := uint32(1) << uint(s)
		cols = append(cols, column{name: columnName("sanction_", n), typ: tBool, b: func(r int) bool { return at(r).Sanctions&bit != 0 }})
	}
	for k, n := range nm.Flags {
		bit := uint32(1) << uint(k)
		cols = append(cols, column{name: columnName("flag_", n), typ: tBool, b: func(r int) bool { return at(r).Flags&bit != 0 }})
	}
	return writeTable(fh, "trace", cols, len(rows), Metadata(m))
}

func writeTraceEvents(fh io.Writer, m *Manifest, rows []daily.TracedEvent, order []int32) error {
	names := bytesOf(m.Names.Behaviours)
	at := func(r int) *daily.TracedEvent { return &rows[order[r]] }
	cols := []column{
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return at(r).Agent }},
		{name: "day", typ: tInt32, i32: func(r int) int32 { return at(r).Day }},
		{name: "behaviour", typ: tString, s: func(r int) []byte { return names[at(r).Behaviour] }},
		{name: "blocked", typ: tBool, b: func(r int) bool { return at(r).Blocked }},
		{name: "detected", typ: tBool, b: func(r int) bool { return at(r).Detected }},
	}
	return writeTable(fh, "trace_events", cols, len(rows), Metadata(m))
}

func writeTraceChanges(fh io.Writer, m *Manifest, rows []daily.LedgerEntry, order []int32) error {
	names := bytesOf(m.Names.Contributions)
	at := func(r int) *daily.LedgerEntry { return &rows[order[r]] }
	cols := []column{
		{name: "agent", typ: tInt32, i32: func(r int) int32 { return at(r).Agent }},
		{name: "day", typ: tInt32, i32: func(r int) int32 { return at(r).Day }},
		{name: "rule", typ: tString, s: func(r int) []byte { return names[at(r).Rule] }},
		{name: "delta", typ: tDouble, f64: func(r int) float64 { return points(int64(at(r).Delta)) }},
	}
	return writeTable(fh, "trace_changes", cols, len(rows), Metadata(m))
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
	switch filepath.Base(path) {
	case TraceEventsFile:
		return t.requireIn(path, "behaviour", nm.Behaviours)
	case TraceChangesFile:
		return t.requireIn(path, "rule", nm.Contributions)
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
	return t.requireRange(path, "partner", NullInt, int64(m.Agents)-1)
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
	st, err := readAgentRows(filepath.Join(dir, TraceFile), m, a)
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
	ev, err := readAgentRows(filepath.Join(dir, TraceEventsFile), m, a)
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
	lg, err := readAgentRows(filepath.Join(dir, TraceChangesFile), m, a)
	if err != nil {
		return nil, err
	}
	lday, lagent, lrule, ldelta := lg.Cols["day"].Int, lg.Cols["agent"].Int, lg.Cols["rule"].Str, lg.Cols["delta"].Float
	change := make([]int64, m.Days+1)
	for r := range lday {
		if int32(lagent[r]) != a {
			continue
		}
		x := math.Round(ldelta[r] * daily.ScoreScale)
		if lday[r] < 1 || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, damaged(filepath.Join(dir, TraceChangesFile), "row %d: day %d, delta %g", r, lday[r], ldelta[r])
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
			return nil, damaged(filepath.Join(dir, TraceChangesFile), "agent %d's score leaves the int32 range on day %d", a, d)
		}
		tr.Days[d].Day, tr.Days[d].Score = d, int32(score)
	}
	return tr, nil
}

// readAgentRows reads the row groups of one of the record's tables that
// may hold agent a's rows (its first column is agent, in agent order: the
// row groups whose agent bounds include a), checked as ReadTable checks.
func readAgentRows(path string, m *Manifest, a int32) (t *Table, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, damaged(path, "the Parquet decoder failed: %v", p)
		}
	}()
	keep := func(rg parquet.RowGroup) bool {
		fc, ok := rg.ColumnChunks()[0].(*parquet.FileColumnChunk)
		if !ok || rg.Schema().Fields()[0].Name() != "agent" {
			return true
		}
		lo, hi, ok := fc.Bounds()
		return !ok || lo.IsNull() || hi.IsNull() || (lo.Int32() <= a && a <= hi.Int32())
	}
	if t, err = readTableGroups(path, nil, -1, keep); err != nil {
		return nil, err
	}
	if err := checkRunTable(path, t, true, m); err != nil {
		return nil, err
	}
	return t, nil
}

// IsNoTrace reports whether err says an agent has no stored trace.
func IsNoTrace(err error) bool {
	var nt *NoTraceError
	return errors.As(err, &nt)
}

var _ sim.TraceSink = (*RunWriter)(nil)
