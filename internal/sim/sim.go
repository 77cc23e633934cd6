// Package sim is the day engine: struct-of-arrays agent state, a
// double-buffered synchronous day step run over fixed-size chunks of agents
// on all cores, and a Sink that receives each day's aggregates.
//
// Invariants: every read within a day sees the start-of-day state (the
// second pass, tiers and sanctions, sees the end-of-day scores); results are
// byte-identical for any number of workers because randomness is
// counter-based (internal/rng) and every aggregate is an integer sum. The
// package never imports storage, report or web code.
package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// ChunkSize is the number of agents a worker takes at a time. It is fixed
// (not derived from the CPU count) so that nothing depends on the machine.
const ChunkSize = 8192

// histBins is the number of score histogram bins used for quantiles.
const histBins = 2048

// Sink receives a run's records as they are produced. It may keep the days
// it is given; the ledger slice is valid only during the call (copy the
// entries to keep them).
type Sink interface {
	Day(d *daily.Day) error
	Ledger(entries []daily.LedgerEntry) error
}

// Options tune a run without changing its results.
type Options struct {
	Workers  int             // 0 = all cores
	Ledger   scenario.Ledger // which agents' score changes to record
	Progress func(day, days int)
	// NoRegime runs the population with no scoring at all (the counterfactual
	// twin for chilling and baseline comparisons): behaviour, surveillance
	// and partnerships happen as usual, no rule, sanction or recovery runs.
	NoRegime bool
	// Disabled names rules that never fire (ablation twins).
	Disabled []string
	// Trace names agents whose every event, score change and daily state is
	// recorded (see Trace).
	Trace []int32
	// AfterDay runs after each simulated day (1-based) has reached the sink.
	AfterDay func(day int) error
	// Static, when set, holds the hoisted columns of the engine's program
	// and population (NewStatic), shared with other engines; nil: New
	// computes them.
	Static *Static
}

// RuntimeError is an arithmetic problem during a run (NaN, overflow),
// naming where it happened.
type RuntimeError struct {
	Day   int
	Agent int32
	Rule  string
	Msg   string
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("day %d, agent %d, rule %s: %s", e.Day, e.Agent, e.Rule, e.Msg)
}

// Contribution names beyond the scenario's rules, in order.
const (
	ContribRecovery = "recovery"
	ContribClamp    = "clamp"
	ContribRelease  = "release"
)

// Engine holds a run's whole state, grouped by lifetime as the day step
// uses it: what the engine was built from, the per-agent state the days
// rewrite, the ground truth kept for audits, the tables compiled once from
// the scenario, who is watched (ledger sample, traces), the current day, and
// buffers reused every day. The groups are embedded, so code reads e.score
// or e.beh directly; hot fields keep their one-slice-per-attribute layout.
type Engine struct {
	setup
	agentState
	truth
	tables
	watched
	current
	buffers
	aggState
	privileged  // see privilege.go
	extraScores // see scores.go
}

// setup is what the engine was built from.
type setup struct {
	sc    *scenario.Scenario
	prog  *scenario.Program
	pop   *population.Population
	n     int
	days  int
	seed  uint64
	opt   Options
	nRule int // scenario rules; contributions have nRule+3 columns
	// nContrib is the number of contribution columns kept: nRule+3, or
	// nRule+2 when no release score can change anyone's score (the release
	// column, the last, is then 0 for everyone and is not stored).
	nContrib int
	// hoisted are the columns of the program's static sub-expressions
	// (hoisted.go), read through every view; shared, never written.
	hoisted *Static
}

// agentState is the per-agent state a day reads and writes.
type agentState struct {
	// Double-buffered state; "next" is written during a day and swapped in.
	score, scoreNext       []int32
	tier, tierNext         []uint8
	flags, flagsNext       []uint32
	sanc, sancNext         []uint32
	partner, partnerNext   []int32
	detained, detainedNext []bool // one array when no sanction detains (detains false)
	visible, visibleNext   []bool
	// visibleAcq[i] counts agent i's acquaintances who are visible today,
	// kept up to date from the day's changes (see updateVisibleAcq), so
	// peer chilling reads one number instead of every neighbour. Nil when
	// no behaviour chills by peers, or when a degree exceeds uint16 (then
	// the neighbours are counted at each event).
	visibleAcq    []uint16
	releaseDay    []int32 // day of release for detained agents, -1 never
	lastPenalised []int32 // last day of an own penalty, -1 never
	// formed[i] says agent i's partnership formed yesterday: today's
	// `on: partnered` rules score it. Empty without such rules.
	formed []bool
}

// truth is the ground truth kept for audits.
type truth struct {
	penalisedAttempts []uint32 // penalised behaviours the agent actually did
	attempts          []uint16 // n x behaviours: events tried (saturating)
	detections        []uint16 // n x behaviours: events detected (saturating at 65535)
	firstSanction     []int32  // first day (1-based, as in daily.day) under any sanction, -1 never
	sanctionDays      []int32  // days spent under any sanction
	contrib           []int32  // n x nContrib, fixed point
	// n x institutions: approvals and successes so far (saturating; nil
	// without institutions)
	instApproved, instSucceeded []uint16
}

// tables are compiled once from the scenario: per-behaviour, per-rule,
// per-sanction and per-region constants.
type tables struct {
	beh           []behaviour
	detect        [][]float64 // [behaviour][region]
	blockMask     []uint32    // per behaviour: sanctions that block it
	eventRules    [][]int     // per behaviour
	onPartnered   []int       // rules with on: partnered
	periodicRules []int
	lo, hi        int32
	tierMin       []int32 // per tier except the last
	capBest       []uint8 // per (region, group)
	capWorst      []uint8
	baseline      []int32 // starting score per cell (region x group)
	schoolMask    uint32
	detains       bool
	detainSanc    int // index of the first detaining sanction, -1 none
	anyPeerChill  bool
	// visibleAfter says visibility reads what pass 2 writes for other
	// agents, so it is computed in a pass of its own after pass 2.
	visibleAfter bool
	// staticPartners: partnerships never form or break (see New)
	staticPartners bool
	nCells         int
	nGroups        int
	disabled       uint64 // rules switched off by Options.Disabled
	batchSanc      uint64 // sanctions evaluated per chunk (see sanctionBatch)
	regionEnd      []int  // agents are stored region by region: region r ends before regionEnd[r]

	recoveryUnless uint32 // flags that stop recovery
	recTarget      int64  // recovery target and daily rate, fixed point
	recRate        int64
	recMin, recMax int64    // a day's recovery lies in [recMin, recMax]
	sancPartner    []bool   // per sanction: its condition reads the partner
	sancChildren   []bool   // per sanction: it targets children
	ruleFlags      []uint32 // per rule: flags it sets

	// Institutions (institution.go): each one's compiled policy with its
	// decision-day buffers, and the number of category slots in the
	// scratch counts.
	insts     []instRun
	instSlots int
}

// watched says whose score changes are booked to the ledger and whose
// days are traced.
type watched struct {
	ledgerSet []bool
	traceSlot []int32 // per agent: its index in traces, -1 none (nil without traces)
	traces    []*Trace
	rec       *recorder // the ledger sample's states and events (record.go), nil without a ledger
}

// current is the day being simulated.
type current struct {
	day    int
	active []regionState // per region, for the current day
}

// buffers are reused every day, so the day step allocates nothing.
type buffers struct {
	scratch        []*scratch // per worker
	dayKeys        dayKeys
	behKeys        [][2]uint64 // per behaviour: event and detection stream keys
	views          [3]rule.View
	chunkLedger    [][]daily.LedgerEntry
	chunkProposals [][][2]int32
	chunkBreakups  [][]int32
	pool           *pool      // the workers, started on first use
	jobs           dayJobs    // the day's passes as method values, made once
	out            *daily.Day // the day's aggregates, rewritten every day
	flatLedger     []daily.LedgerEntry
}

type regionState struct {
	active   bool
	rules    uint64
	sanc     uint64
	recovery bool
}

// New builds the engine's state from a population.
func New(sc *scenario.Scenario, prog *scenario.Program, pop *population.Population, days int, seed uint64, opt Options) *Engine {
	n := pop.N
	e := &Engine{setup: setup{sc: sc, prog: prog, pop: pop, n: n, days: days, seed: seed, opt: opt, nRule: len(sc.Scoring.Rules)}}
	e.hoisted = e.static()
	if e.opt.Workers <= 0 {
		e.opt.Workers = runtime.GOMAXPROCS(0)
	}
	e.allocState()
	e.compilePrivileges()
	e.allocContrib()
	e.nGroups = len(sc.GroupNames())
	e.nCells = len(sc.Population.Regions) * e.nGroups
	e.compileTables()
	e.compileInstitutions()
	e.compileDisabled()
	e.compileBaselines()
	e.initAggs()
	e.initialScores()
	e.compileScores()
	e.initAgents()
	e.initLedgerSample()
	e.initRegions()
	e.initVisibility()
	e.initTrace()
	e.initRecord()
	return e
}

// allocState allocates the per-agent state: the start- and end-of-day
// copies of what the day step reads and writes, and the counters.
func (e *Engine) allocState() {
	sc, prog, pop, n := e.sc, e.prog, e.pop, e.n
	// A day reads the start-of-day state and writes the end-of-day state.
	// State that some expression reads of another agent (a partner, an
	// acquaintance) needs both copies; for the rest one array serves, as
	// an agent's own reads all come before its own write (see pass1 and
	// pass2).
	others := crossReads(prog) | e.householdReads(sc)
	e.visibleAfter = prog.Visible.Refs.Acq || prog.Visible.Refs.Others&(rule.FieldDetained|rule.FieldSanctions) != 0
	e.score, e.scoreNext = make([]int32, n), make([]int32, n)
	e.tier, e.tierNext = pair[uint8](n, others&rule.FieldTier != 0)
	e.flags, e.flagsNext = pair[uint32](n, others&rule.FieldFlags != 0)
	e.sanc, e.sancNext = pair[uint32](n, others&rule.FieldSanctions != 0)
	if rel := sc.Relationships; rel.FormRate == 0 && rel.BreakRate == 0 {
		// Partnerships never change: one array serves as the population's,
		// today's and tomorrow's, and nothing writes it.
		e.partner, e.partnerNext = pop.Partner, pop.Partner
		e.staticPartners = true
	} else {
		e.partner = slices.Clone(pop.Partner)
		e.partnerNext = slices.Clone(pop.Partner)
	}
	// Columns only some scenarios need are left empty otherwise (and then
	// take no room in snapshots either). Without detention no one is ever
	// detained: one array of false serves as both days.
	e.detains = detainer(sc) >= 0
	e.detained, e.detainedNext = pair[bool](n, e.detains)
	e.visible, e.visibleNext = make([]bool, n), make([]bool, n)
	if e.detains {
		e.releaseDay = make([]int32, n)
	}
	if slices.ContainsFunc(sc.Scoring.Rules, func(r scenario.Rule) bool { return r.On == scenario.PartneredEvent }) && !e.staticPartners {
		e.formed = make([]bool, n)
	}
	if slices.ContainsFunc(sc.Behaviours, func(b scenario.Behaviour) bool { return b.Chill.Self > 0 }) {
		e.lastPenalised = make([]int32, n)
	}
	e.penalisedAttempts = make([]uint32, n)
	e.attempts = make([]uint16, n*len(sc.Behaviours))
	e.detections = make([]uint16, n*len(sc.Behaviours))
	e.firstSanction = make([]int32, n)
	e.sanctionDays = make([]int32, n)
}

// detainer returns the index of the scenario's first detaining sanction,
// or -1.
func detainer(sc *scenario.Scenario) int {
	return slices.IndexFunc(sc.Sanctions, func(x scenario.Sanction) bool { return x.Detain != nil })
}

// allocContrib lays out the contributions (booked rules and privileges,
// then recovery, clamp, release and the extra scores' clamps) and
// allocates their per-agent books.
func (e *Engine) allocContrib() {
	sc := e.sc
	e.nContrib = e.nBooked + 2
	if e.detains && sc.Sanctions[detainer(sc)].Detain.ReleaseScore != nil {
		e.nContrib++ // (only the first detaining sanction's release score is used)
	}
	if len(sc.Scores) > 0 {
		// the extra scores' clamps follow release, which is then kept
		e.nContrib = e.nBooked + 3 + len(sc.Scores)
	}
	e.contrib = make([]int32, e.n*e.nContrib)
}

// compileDisabled sets the bits of the rules Options.Disabled switches off.
func (e *Engine) compileDisabled() {
	for r, ru := range e.sc.Scoring.Rules {
		if slices.Contains(e.opt.Disabled, ru.Name) {
			e.disabled |= 1 << uint(r)
		}
	}
}

// compileBaselines fills the starting score of each cell: it depends on
// region and group only.
func (e *Engine) compileBaselines() {
	sc := e.sc
	schema := sc.Schema()
	e.baseline = make([]int32, e.nCells)
	for c := range e.baseline {
		r, g := schema.Regions[c/e.nGroups], schema.Groups[c%e.nGroups]
		for _, b := range sc.Scoring.Initial {
			if (b.Region == "" || b.Region == r) && (b.Group == "" || b.Group == g) {
				e.baseline[c] = toFixed(b.Score)
				break
			}
		}
	}
}

// initAgents gives every agent their starting score and tier, and marks
// them never sanctioned, released or penalised.
func (e *Engine) initAgents() {
	n := e.n
	for i := 0; i < n; i++ {
		e.score[i] = e.baseline[e.cellOf(i)]
		if e.baseAgent != nil {
			e.score[i] = e.baseAgent[i]
		}
		e.tier[i] = e.tierOf(e.cellOf(i), e.score[i])
		e.firstSanction[i] = -1
	}
	for i := range e.releaseDay {
		e.releaseDay[i] = -1
	}
	for i := range e.lastPenalised {
		e.lastPenalised[i] = -1
	}
}

// initLedgerSample draws the agents whose score changes the ledger keeps
// (and adds the traced ones), when there is a ledger or a trace.
func (e *Engine) initLedgerSample() {
	opt := e.opt
	if opt.Ledger.Fraction > 0 || len(opt.Trace) > 0 {
		e.ledgerSet = make([]bool, e.n)
		k := rng.Key(e.seed, "ledger/sample")
		for i := range e.ledgerSet {
			e.ledgerSet[i] = opt.Ledger.All || (opt.Ledger.Fraction > 0 && rng.Float(k, uint64(i)) < opt.Ledger.Fraction)
		}
		for _, a := range opt.Trace {
			e.ledgerSet[a] = true
		}
	}
}

// initRegions notes where each region's agents end (when agents are laid
// out by region) and sets the regions' state on day 0.
func (e *Engine) initRegions() {
	pop := e.pop
	if slices.IsSorted(pop.Region) { // as population.Generate lays agents out
		e.regionEnd = make([]int, len(e.sc.Population.Regions))
		for i, r := range pop.Region {
			e.regionEnd[r] = i + 1
		}
	}
	e.active = make([]regionState, len(e.sc.Population.Regions))
	e.setPhase(0)
}

// initVisibility computes who is visible at the start, and how many
// visible acquaintances each agent has when peers chill behaviour.
func (e *Engine) initVisibility() {
	e.computeVisible(e.view(false), e.visible)
	if e.anyPeerChill && e.pop.Graph.MaxDegree() <= math.MaxUint16 {
		e.visibleAcq = make([]uint16, e.n)
		e.countVisibleAcq()
	}
}

// pair returns two arrays of n, or the same array twice when one copy is
// enough.
func pair[T any](n int, two bool) ([]T, []T) {
	a := make([]T, n)
	if !two {
		return a, a
	}
	return a, make([]T, n)
}

// crossReads is the state any of the scenario's expressions reads of
// agents other than the one it is evaluated for.
func crossReads(p *scenario.Program) rule.Fields { return p.Refs().Others }

func toFixed(x float64) int32 { return int32(math.Round(x * rule.Scale)) }

// setPhase computes which regions run the regime on day d, with which rules.
func (e *Engine) setPhase(d int) {
	sc := e.sc
	all := func(n int) uint64 {
		if n >= 64 {
			return ^uint64(0)
		}
		return 1<<uint(n) - 1
	}
	for r, reg := range sc.Population.Regions {
		st := regionState{}
		if len(sc.Phases) == 0 {
			st = regionState{active: true, rules: all(e.nRule), sanc: all(len(sc.Sanctions)), recovery: true}
		}
		for _, p := range sc.Phases {
			if p.Day > d || (len(p.Regions) > 0 && !slices.Contains(p.Regions, reg.Name)) {
				continue
			}
			st = regionState{active: true, rules: all(e.nRule), sanc: all(len(sc.Sanctions)), recovery: p.Recovery == nil || *p.Recovery}
			if len(p.Rules) > 0 {
				st.rules = 0
				for i, ru := range sc.Scoring.Rules {
					if slices.Contains(p.Rules, ru.Name) {
						st.rules |= 1 << uint(i)
					}
				}
			}
			if len(p.Sanctions) > 0 {
				st.sanc = 0
				for i, x := range sc.Sanctions {
					if slices.Contains(p.Sanctions, x.Name) {
						st.sanc |= 1 << uint(i)
					}
				}
			}
		}
		if e.opt.NoRegime {
			st = regionState{}
		}
		st.rules &^= e.disabled
		e.active[r] = st
	}
}

// tierOf maps a score to a tier, then applies the caps and floors of cell
// c (region x group).
func (e *Engine) tierOf(c int, s int32) uint8 {
	// The tier is the first level whose minimum s reaches. Minimums go
	// down level by level (validation), so that is the number of minimums
	// above s: counted without a branch.
	t := 0
	for _, m := range e.tierMin {
		t += b2i(s < m)
	}
	return min(max(uint8(t), e.capBest[c]), e.capWorst[c])
}

// cellOf returns agent i's cell: region x groups + group.
func (e *Engine) cellOf(i int) int { return int(e.pop.Region[i])*e.nGroups + int(e.pop.Group[i]) }

// view returns the expression view of the start-of-day (next=false) or
// end-of-day (next=true) state.
func (e *Engine) view(next bool) *rule.View {
	return e.viewIn(&rule.View{}, next)
}

// viewIn fills v with the start-of-day or end-of-day state and returns it.
func (e *Engine) viewIn(v *rule.View, next bool) *rule.View {
	*v = rule.View{
		Day: int32(e.day), Group: e.pop.Group, Region: e.pop.Region, Age: e.pop.Age,
		Traits: e.pop.Traits, Kids: e.pop.Kids, Graph: e.pop.Graph,
		Score: e.score, Tier: e.tier, Flags: e.flags, Sanctions: e.sanc, Partner: e.partner, Detained: e.detained,
		Pop: e.popVals, Rand: e.drawKey,
		StaticNum: e.hoisted.cols.Num, StaticBool: e.hoisted.cols.Bool,
	}
	if next {
		v.Score, v.Tier, v.Flags, v.Partner, v.Detained = e.scoreNext, e.tierNext, e.flagsNext, e.partnerNext, e.detainedNext
	}
	if e.nx > 0 {
		e.viewScores(v, next)
	}
	return v
}

// N returns the number of agents.
func (e *Engine) N() int { return e.n }

// Days returns the number of days the run simulates.
func (e *Engine) Days() int { return e.days }

// ContribNames names the contribution columns: the rules, the privileges
// that waive charges, then recovery, clamp and release.
func (e *Engine) ContribNames() []string {
	var out []string
	for _, r := range e.sc.Scoring.Rules {
		out = append(out, r.Name)
	}
	out = append(out, e.waiverNames()...)
	out = append(out, ContribRecovery, ContribClamp, ContribRelease)
	return append(out, e.scoreContribNames()...)
}

// Final is a read-only view of the state at the end of a run, for writers.
type Final struct {
	Pop   *population.Population
	Score []int32
	// BaselineCell is the starting score of each (region, group) cell;
	// BaselineAt lays it out per agent without an array per agent.
	BaselineCell []int32
	// BaselineAgent is each agent's starting score when some starting
	// score is drawn per agent (scoring.initial[].from); nil otherwise.
	BaselineAgent     []int32
	NGroups           int
	Tier              []uint8
	Flags             []uint32
	Sanctions         []uint32
	Partner           []int32
	Detained          []bool
	PenalisedAttempts []uint32
	Attempts          []uint16 // N x behaviours
	Detections        []uint16 // N x behaviours, saturating at 65535
	FirstSanction     []int32  // day, -1 never
	SanctionDays      []int32
	Contrib           []int32 // N x ContribStride; use ContribAt
	ContribStride     int     // columns stored per agent: the first ones of ContribNames, the rest are 0
	ContribNames      []string
	// InstApproved and InstSucceeded are N x institutions: each agent's
	// approvals and successes (saturating at 65535).
	InstApproved, InstSucceeded []uint16
	PrivilegeDays               []int32 // N x Privileges: days under each privilege
	Privileges                  int
	// ThroughOthersDays: days privileged only through someone else (see
	// privilege.go); nil without privileges.
	ThroughOthersDays []int32
	// Scores and ScoreBaseline are per extra score (scenario scores:):
	// each agent's value and starting value, fixed point; nil without.
	Scores, ScoreBaseline [][]int32
}

// BaselineAt is agent a's starting score (fixed point).
func (f *Final) BaselineAt(a int) int32 {
	if f.BaselineAgent != nil {
		return f.BaselineAgent[a]
	}
	return f.BaselineCell[int(f.Pop.Region[a])*f.NGroups+int(f.Pop.Group[a])]
}

// ContribAt is agent a's contribution (fixed point) to column k of
// ContribNames.
func (f *Final) ContribAt(a, k int) int32 {
	if k >= f.ContribStride {
		return 0
	}
	return f.Contrib[a*f.ContribStride+k]
}

// Final returns the current state.
func (e *Engine) Final() *Final {
	return &Final{Pop: e.pop, Score: e.score, BaselineCell: e.baseline, BaselineAgent: e.baseAgent, NGroups: e.nGroups, Tier: e.tier, Flags: e.flags,
		Sanctions: e.sanc, Partner: e.partner, Detained: e.detained, PenalisedAttempts: e.penalisedAttempts,
		Attempts: e.attempts, Detections: e.detections, FirstSanction: e.firstSanction, SanctionDays: e.sanctionDays,
		Contrib: e.contrib, ContribStride: e.nContrib, ContribNames: e.ContribNames(),
		InstApproved: e.instApproved, InstSucceeded: e.instSucceeded,
		PrivilegeDays: e.privDays, Privileges: e.nPriv, ThroughOthersDays: e.othersDays,
		Scores: e.xs, ScoreBaseline: e.xBase}
}

// Run simulates every remaining day, sending each day's aggregates (and, on
// a fresh engine, day 0's starting state) to the sink. It stops between days
// when ctx is done. Options.AfterDay, when set, runs after each day has been
// sent (checkpointing hooks in there).
func (e *Engine) Run(ctx context.Context, sink Sink) error {
	if e.day == 0 {
		if err := sink.Day(e.aggregateStart()); err != nil {
			return err
		}
		if err := e.sendRecord(sink); err != nil {
			return err
		}
	}
	for e.day < e.days {
		if err := ctx.Err(); err != nil {
			return err
		}
		day, ledger, err := e.Step()
		if err != nil {
			return err
		}
		// The sink may keep the day; Step rewrites it tomorrow.
		if err := sink.Day(day.Clone()); err != nil {
			return err
		}
		if len(ledger) > 0 {
			if err := sink.Ledger(ledger); err != nil {
				return err
			}
		}
		if err := e.sendRecord(sink); err != nil {
			return err
		}
		if e.opt.Progress != nil {
			e.opt.Progress(e.day, e.days)
		}
		if e.opt.AfterDay != nil {
			if err := e.opt.AfterDay(e.day); err != nil {
				return err
			}
		}
	}
	return nil
}

// Workers returns the number of workers the engine uses.
func (e *Engine) Workers() int { return e.opt.Workers }

// BytesPerAgent is the engine's state per agent for a scenario with the
// given numbers of rules and behaviours (double buffers, ground truth,
// contributions).
func BytesPerAgent(rules, behaviours int) uint64 {
	// state pairs (score, tier, flags, sanctions, partner, detained,
	// visible; tier, flags and sanctions may be single), the count of
	// visible acquaintances, then five int32/uint32 columns: an upper bound;
	// per behaviour two uint16 counts (attempted, detected)
	const fixed = 2*4 + 2*1 + 2*4 + 2*4 + 2*4 + 2*1 + 2*1 + 2 + 4*5
	return fixed + uint64(rules+3)*4 + uint64(behaviours)*2*2
}
