package sim

import (
	"cmp"
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/metrics"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// scratch is one worker's private accumulators for a day. Everything is an
// integer, so summing workers in any order gives identical results.
type scratch struct {
	att, det, blk []int64 // [cell*behaviours + b]
	cells         []metrics.Cell
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
	fl    []uint32
	frac  []float64
	// Sanctions whose condition cannot change during pass 2 are evaluated
	// per chunk too: held[x*ChunkSize+k] is sanction x's condition for lo+k.
	held []bool
	cand []int32 // pass 1: agents who drew an event (one spare slot)
	// pass 1: whether the agent's partner can be read (see periodicBatch)
	partnerOK []bool
	// pass 1: contributions of event rules, booked after the agent loop
	evContrib []contribAdd
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
		cells: make([]metrics.Cell, e.nCells), hist: make([]uint32, e.nCells*histBins),
		tiers: make([]int64, e.nCells*len(e.sc.Tiers.Levels)),
		arena: &rule.Arena{}, idx: make([]int32, ChunkSize), ok: make([]bool, ChunkSize), vals: make([]float64, ChunkSize),
		fired: make([]bool, len(e.periodicRules)*ChunkSize), amt: make([]float64, len(e.periodicRules)*ChunkSize),
		amtFix: make([]int64, len(e.periodicRules)*ChunkSize),
		held:   make([]bool, len(e.sc.Sanctions)*ChunkSize), cand: make([]int32, ChunkSize+1), partnerOK: make([]bool, ChunkSize),
		delta: make([]int64, ChunkSize), fl: make([]uint32, ChunkSize), frac: make([]float64, ChunkSize),
		// room for an event rule per agent: more is rare, and growing
		// would allocate in the day step
		evContrib: make([]contribAdd, 0, ChunkSize),
	}
	for c := range s.cells {
		s.cells[c] = metrics.Cell{
			Region: uint8(c / e.nGroups), Group: uint8(c % e.nGroups),
			Sanction: make([]int64, len(e.sc.Sanctions)),
			Flag:     make([]int64, len(e.sc.FlagNames())),
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
		sanc, flag := cell.Sanction, cell.Flag
		clear(sanc)
		clear(flag)
		*cell = metrics.Cell{Region: cell.Region, Group: cell.Group, Sanction: sanc, Flag: flag}
	}
}

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
func (e *Engine) Step() (*metrics.Day, []metrics.LedgerEntry, error) {
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
		e.chunkLedger = make([][]metrics.LedgerEntry, chunks)
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
	e.viewIn(&e.views[0], false)
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
	e.out.Day = e.day
	flat := e.flatLedger[:0]
	for _, l := range ledger {
		flat = append(flat, l...)
	}
	e.flatLedger = flat
	e.traceEndOfDay(flat)
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
}

// pass1 draws events, applies rules and recovery, and writes next-day
// scores, flags and tiers. Writes touch agent i only; reads of other agents
// see the start-of-day buffers.
//
// It works in column passes over the chunk: events behaviour by behaviour
// (one tight draw loop each; only agents who draw an event do more), then
// periodic rules, recovery, clamp and tier agent by agent. Per agent this
// keeps the order of the contributions (events in behaviour order, periodic
// rules, recovery, clamp), and the ledger is put back in agent order, so the
// results equal an agent-by-agent loop's.
func (e *Engine) pass1(v *rule.View, k *dayKeys, s *scratch, lo, hi int,
	ledger *[]metrics.LedgerEntry, proposals *[][2]int32, breakups *[]int32) error {
	sc := e.sc
	d := e.day
	nc := e.nContrib
	rec, unless := sc.Scoring.Recovery, e.recoveryUnless
	rel := sc.Relationships
	n := hi - lo
	ledgerStart := len(*ledger)
	delta, fl, frac := s.delta[:n], s.fl[:n], s.frac[:n]
	clear(delta)
	copy(fl, e.flags[lo:hi])
	if e.anyPeerChill && e.visibleAcq == nil {
		for k := range frac {
			frac[k] = -1 // not computed yet (see peerFrac)
		}
	}
	// The first error in agent order wins, as in an agent-by-agent loop.
	var firstErr error
	errAgent := int32(math.MaxInt32)
	fail := func(i int32, err error) {
		if i < errAgent {
			errAgent, firstErr = i, err
		}
	}

	e.periodicBatch(v, s, lo, hi)
	for b := range sc.Behaviours {
		bh := &e.beh[b]
		if bh.rateFn == nil && !(bh.rate > 0) {
			continue
		}
		key := k.event[b]
		if bh.rateFn == nil {
			e.constRateEvents(v, k, s, b, lo, hi, ledger, fail)
			continue
		}
		// A rate that varies by agent: who is detained or ineligible draws
		// nothing.
		for ii := lo; ii < hi; ii++ {
			i := int32(ii)
			if e.detained[i] || (bh.eligible != nil && !bh.eligible(v, i)) {
				continue
			}
			base := bh.rateFn(v, i)
			if !(base > 0) {
				continue
			}
			if u := rng.Float(key, uint64(i)); u < base {
				if err := e.event(v, k, s, b, i, ii-lo, u, base, ledger); err != nil {
					fail(i, err)
				}
			}
		}
	}

	for ii := lo; ii < hi; ii++ {
		i := int32(ii)
		kk := ii - lo
		cur := e.score[i]
		f := fl[kk]
		if !e.staticPartners {
			// (a static array is shared and never written: another
			// worker may be reading this agent's partner)
			e.partnerNext[i] = e.partner[i]
		}
		if e.detains {
			e.detainedNext[i] = e.detained[i]
		}
		if e.detained[i] {
			ns := cur
			if e.releaseDay[i] == int32(d) {
				e.detainedNext[i] = false
				e.releaseDay[i] = -1
				if x := sc.Sanctions[e.detainSanc].Detain.ReleaseScore; x != nil {
					ns = toFixed(*x)
					e.addContrib(i, nc, e.nRule+2, int64(ns)-int64(cur), ledger)
				}
			}
			e.scoreNext[i], e.flagsNext[i] = ns, f
			e.tierNext[i] = e.tierOf(e.cellOf(ii), ns)
			continue
		}
		reg := e.pop.Region[i]
		st := &e.active[reg]
		dl := delta[kk]
		if st.active {
			// Branch-free: a rule that did not fire has amount 0 (adding
			// it changes nothing, and addContrib writes no ledger entry
			// for 0) and sets no flags. Whether a partner rule fires is
			// close to a coin toss.
			for pr, r := range e.periodicRules {
				k := pr*ChunkSize + kk
				x := s.amtFix[k]
				if x == badAmount {
					_, err := e.checkAmount(r, i, s.amt[k])
					fail(i, err)
					continue
				}
				dl += x
				e.addContrib(i, nc, r, x, ledger)
				f |= e.ruleFlags[r] & -uint32(b2i(s.fired[k]))
			}
			if rec != nil && st.recovery && f&unless == 0 {
				// toward the target by at most the rate, in the allowed
				// directions (recMin, recMax), without a branch
				x := min(max(e.recTarget-int64(cur), e.recMin), e.recMax)
				dl += x
				e.addContrib(i, nc, e.nRule, x, ledger) // no ledger entry for 0
			}
		}
		ns := int64(cur) + dl
		clamped := min(max(ns, int64(e.lo)), int64(e.hi))
		if clamped != ns {
			e.addContrib(i, nc, e.nRule+1, clamped-ns, ledger)
		}
		e.scoreNext[i] = int32(clamped)
		e.flagsNext[i] = f
		e.tierNext[i] = e.tierOf(int(reg)*e.nGroups+int(e.pop.Group[i]), int32(clamped))

		// Partnerships: breakups are drawn by the lower id of a pair,
		// proposals by singles; both are applied in id order afterwards.
		// (The rates are tested first: they are the same for everyone.)
		if p := e.partner[i]; rel.BreakRate > 0 && p > i && rng.Float(k.brk, uint64(i)) < rel.BreakRate {
			*breakups = append(*breakups, i)
		}
		if rel.FormRate > 0 && e.partner[i] < 0 && rng.Float(k.form, uint64(i)) < rel.FormRate {
			var buf [64]int32
			nbrs := v.Graph.Neighbours(i, buf[:0])
			if len(nbrs) > 0 {
				j := nbrs[rng.Below(k.pick, uint64(i), uint64(len(nbrs)))]
				*proposals = append(*proposals, [2]int32{i, j})
			}
		}
	}
	for _, c := range s.evContrib {
		e.contrib[c.at] += c.x
	}
	s.evContrib = s.evContrib[:0]
	if l := (*ledger)[ledgerStart:]; len(l) > 1 {
		slices.SortStableFunc(l, func(a, b metrics.LedgerEntry) int { return cmp.Compare(a.Agent, b.Agent) })
	}
	return firstErr
}

// peerFrac is the share of agent i's acquaintances who are visible today:
// from the kept count, or else counted once per agent and day (s.frac).
func (e *Engine) peerFrac(s *scratch, i int32, kk int) float64 {
	deg := e.pop.Graph.Degree(i)
	if deg == 0 {
		return 0
	}
	if e.visibleAcq != nil {
		return float64(e.visibleAcq[i]) / float64(deg)
	}
	if s.frac[kk] < 0 {
		s.frac[kk] = float64(e.visibleNeighbours(i)) / float64(deg)
	}
	return s.frac[kk]
}

// constRateEvents draws behaviour b, whose rate is a constant, for agents
// [lo, hi) and handles those who draw an event. The draw loop is
// branch-free: it lists the agents whose draw falls under the rate (u < rate
// is tested as an integer comparison, exactly: u = m / 2^53 for the draw's
// top 53 bits m), so no branch is mispredicted on a random outcome. Then
// detained agents are dropped, eligibility is evaluated for the listed
// agents only (in one batch when it can be), and the events are handled in
// agent order, as the agent-by-agent loop did.
func (e *Engine) constRateEvents(v *rule.View, k *dayKeys, s *scratch, b, lo, hi int,
	ledger *[]metrics.LedgerEntry, fail func(int32, error)) {
	bh := &e.beh[b]
	key := k.event[b]
	limit := rateLimit(bh.rate)
	cand := s.cand[:hi-lo+1]
	n := 0
	for ii := lo; ii < hi; ii++ {
		cand[n] = int32(ii)
		n += b2i(rng.Uint64(key, uint64(ii))>>11 < limit)
	}
	m := 0
	for _, i := range cand[:n] {
		cand[m] = i
		m += 1 ^ b2i(e.detained[i])
	}
	cand = cand[:m]
	if el := e.prog.Eligible[b]; el.Fn != nil && len(cand) > 0 {
		ok := s.ok[:len(cand)]
		if el.Batch != nil {
			el.Batch(v, cand, ok, s.arena)
		} else {
			for j, i := range cand {
				ok[j] = el.Fn(v, i)
			}
		}
		m := 0
		for j, i := range cand {
			cand[m] = i
			m += b2i(ok[j])
		}
		cand = cand[:m]
	}
	for _, i := range cand {
		u := rng.Float(key, uint64(i))
		if err := e.event(v, k, s, b, i, int(i)-lo, u, bh.rate, ledger); err != nil {
			fail(i, err)
		}
	}
}

// rateLimit returns the integer L with m < L exactly when the draw
// u = m / 2^53 (m < 2^53, see rng.Float) is below rate: rate x 2^53 is
// exact in floating point, and m < x for an integer m means m < ceil(x).
func rateLimit(rate float64) uint64 {
	if rate >= 1 {
		return 1 << 53
	}
	return uint64(math.Ceil(rate * (1 << 53)))
}

// event handles agent i (chunk offset kk) having drawn u < base for
// behaviour b: chilling, blocking, detection and the behaviour's rules.
func (e *Engine) event(v *rule.View, k *dayKeys, s *scratch, b int, i int32, kk int, u, base float64, ledger *[]metrics.LedgerEntry) error {
	bh := &e.beh[b]
	d := e.day
	nb := len(e.beh)
	// The chill fraction is computed only for agents who drew an event at
	// the unchilled rate: chilling only lowers rates, so a draw above the
	// base rate is above the chilled rate too.
	frac := 0.0
	if e.anyPeerChill {
		frac = e.peerFrac(s, i, kk)
	}
	mult := 1 - float64(bh.peers*frac)
	if bh.self > 0 && e.lastPenalised[i] >= 0 && d-int(e.lastPenalised[i]) <= bh.memory {
		mult *= 1 - bh.self
	}
	if p := base * mult; !(p > 0) || u >= p {
		return nil
	}
	reg := e.pop.Region[i]
	cell := int(reg)*e.nGroups + int(e.pop.Group[i])
	s.att[cell*nb+b]++
	if a := &e.attempts[int(i)*nb+b]; *a < math.MaxUint16 {
		*a++
	}
	if bh.penalised {
		e.penalisedAttempts[i]++
	}
	if e.sanc[i]&e.blockMask[b] != 0 {
		s.blk[cell*nb+b]++
		if e.traceSlot != nil {
			e.traceEvent(i, b, true, false)
		}
		return nil
	}
	p := e.detect[b][reg]
	detected := p >= 1 || (p > 0 && rng.Float(k.detect[b], uint64(i)) < p)
	if e.traceSlot != nil {
		e.traceEvent(i, b, false, detected)
	}
	if !detected {
		return nil
	}
	s.det[cell*nb+b]++
	st := &e.active[reg]
	if !st.active {
		return nil
	}
	nc := e.nContrib
	for _, r := range e.eventRules[b] {
		if st.rules>>uint(r)&1 == 0 {
			continue
		}
		if w := e.prog.RuleWhen[r]; w.Fn != nil && !w.Fn(v, i) {
			continue
		}
		x, err := e.amount(r, v, i)
		if err != nil {
			return err
		}
		s.delta[kk] += x
		// The contribution is booked after the chunk's agent loop, when
		// the chunk's contribution rows are in cache (sums do not depend
		// on order); the ledger entry is written now, in the usual order.
		e.bookLedger(i, r, x, ledger)
		s.evContrib = append(s.evContrib, contribAdd{at: int(i)*nc + r, x: int32(x)})
		s.fl[kk] |= e.ruleFlags[r]
		if x < 0 && bh.penalised && e.lastPenalised != nil {
			e.lastPenalised[i] = int32(d)
		}
	}
	return nil
}

// periodicBatch decides, for every agent of the chunk [lo, hi), which
// periodic rules apply today and with what raw amount, one kernel call per
// rule and chunk (rule.NumBatch) instead of closure calls per agent. The
// agent loop then adds them in the usual order, so results are unchanged.
func (e *Engine) periodicBatch(v *rule.View, s *scratch, lo, hi int) {
	prog, d := e.prog, e.day
	// Whether each agent's partner can be read (has one, neither detained)
	// is decided once for all rules: the partner sits at a random address.
	partnerOK := false
	for pr, r := range e.periodicRules {
		fired := s.fired[pr*ChunkSize : pr*ChunkSize+hi-lo]
		amt := s.amt[pr*ChunkSize : pr*ChunkSize+hi-lo]
		fix := s.amtFix[pr*ChunkSize : pr*ChunkSize+hi-lo]
		clear(fired)
		clear(fix) // the agent loop adds every rule's amount
		if d%e.sc.Scoring.Rules[r].Every != 0 {
			continue
		}
		when, amount := prog.RuleWhen[r], prog.RuleAmount[r]
		needPartner := amount.Refs.Partner || when.Refs.Partner
		// The filters below are branch-free (every agent is written, and
		// the count advances only for those who pass): whether an agent
		// has a partner, or meets a condition, is close to a coin toss, and
		// a branch on it would be mispredicted half the time.
		if needPartner && !partnerOK {
			ok := s.partnerOK[:hi-lo]
			if e.detains {
				for k, p := range e.partner[lo:hi] {
					out := b2i(e.detained[lo+k]) | b2i(p < 0) | b2i(e.detained[p&^(p>>31)])
					ok[k] = out == 0
				}
			} else { // no one is ever detained, so the partner's detention (at a random address) is not read
				for k, p := range e.partner[lo:hi] {
					ok[k] = p >= 0
				}
			}
			partnerOK = true
		}
		idx := s.idx[:ChunkSize]
		n := 0
		// Agents are stored region by region: decide per stretch of one
		// region, then test only what varies by agent.
		for a := lo; a < hi; {
			reg := e.pop.Region[a]
			b := e.stretchEnd(a, hi)
			if st := &e.active[reg]; st.active && st.rules>>uint(r)&1 != 0 {
				if needPartner {
					for i := a; i < b; i++ {
						idx[n] = int32(i)
						n += b2i(s.partnerOK[i-lo])
					}
				} else {
					for i := a; i < b; i++ {
						idx[n] = int32(i)
						n += 1 ^ b2i(e.detained[i])
					}
				}
			}
			a = b
		}
		idx = idx[:n]
		if when.Fn != nil && len(idx) > 0 {
			ok := s.ok[:len(idx)]
			when.Batch(v, idx, ok, s.arena)
			n := 0
			for k, i := range idx {
				idx[n] = i
				n += b2i(ok[k])
			}
			idx = idx[:n]
		}
		if amount.Const {
			x := fixedAmount(amount.Value)
			for _, i := range idx {
				fired[int(i)-lo], amt[int(i)-lo], fix[int(i)-lo] = true, amount.Value, x
			}
			continue
		}
		vals := s.vals[:len(idx)]
		amount.Batch(v, idx, vals, s.arena)
		for k, i := range idx {
			fired[int(i)-lo], amt[int(i)-lo], fix[int(i)-lo] = true, vals[k], fixedAmount(vals[k])
		}
	}
}

// b2i is 1 for true and 0 for false, without a branch.
func b2i(b bool) int {
	var x int
	if b {
		x = 1
	}
	return x
}

// badAmount marks an amount checkAmount refuses (NaN, infinite, absurd).
const badAmount = math.MinInt64

// fixedAmount is checkAmount's conversion to fixed point, or badAmount.
func fixedAmount(x float64) int64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e9 {
		return badAmount
	}
	return int64(math.Round(x * rule.Scale))
}

// stretchEnd returns where the stretch of agents of agent a's region that
// starts at a ends, at most hi.
func (e *Engine) stretchEnd(a, hi int) int {
	if e.regionEnd == nil {
		return a + 1
	}
	return min(e.regionEnd[e.pop.Region[a]], hi)
}

// sanctionBatch evaluates, per chunk, the conditions of the sanctions in
// e.batchSanc: those that read neither detention nor acquaintances, the
// only state pass 2 changes while it runs. It covers every agent the
// agent loop might ask about (the loop's own tests, such as "still held",
// come first there and are unchanged).
func (e *Engine) sanctionBatch(v *rule.View, s *scratch, lo, hi int) {
	if e.batchSanc == 0 {
		return
	}
	for x := range e.sc.Sanctions {
		if e.batchSanc>>uint(x)&1 == 0 {
			continue
		}
		when := e.prog.SanctionWhen[x]
		needPartner, children := e.sancPartner[x], e.sancChildren[x]
		idx := s.idx[:ChunkSize]
		n := 0
		for a := lo; a < hi; {
			reg := e.pop.Region[a]
			b := e.stretchEnd(a, hi)
			if st := &e.active[reg]; st.active && st.sanc>>uint(x)&1 != 0 {
				// branch-free, as in periodicBatch (the two flags are the
				// same for every agent, so testing them does not mispredict)
				for i := a; i < b; i++ {
					idx[n] = int32(i)
					n += 1 ^ (b2i(needPartner && e.partnerNext[i] < 0) | b2i(children && e.pop.Kids[i] == 0))
				}
			}
			a = b
		}
		idx = idx[:n]
		held := s.held[x*ChunkSize : x*ChunkSize+hi-lo]
		clear(held)
		ok := s.ok[:len(idx)]
		when.Batch(v, idx, ok, s.arena)
		for k, i := range idx {
			held[int(i)-lo] = ok[k]
		}
	}
}

// amount evaluates rule r's amount for agent i in fixed point.
func (e *Engine) amount(r int, v *rule.View, i int32) (int64, error) {
	a := e.prog.RuleAmount[r]
	x := a.Value
	if !a.Const {
		x = a.Fn(v, i)
	}
	return e.checkAmount(r, i, x)
}

// checkAmount turns a raw amount into fixed point, refusing NaN, infinities
// and absurd sizes.
func (e *Engine) checkAmount(r int, i int32, x float64) (int64, error) {
	f := fixedAmount(x)
	if f == badAmount {
		return 0, &RuntimeError{Day: e.day, Agent: i, Rule: e.sc.Scoring.Rules[r].Name,
			Msg: "amount is " + formatFloat(x) + " (division by zero or overflow in the expression?)"}
	}
	return f, nil
}

func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return "out of range"
}

// addContrib books x to agent i's contribution column col, and to the
// ledger.
func (e *Engine) addContrib(i int32, nc, col int, x int64, ledger *[]metrics.LedgerEntry) {
	e.contrib[int(i)*nc+col] += int32(x)
	e.bookLedger(i, col, x, ledger)
}

// bookLedger writes a ledger entry for a non-zero change x of a sampled
// agent.
func (e *Engine) bookLedger(i int32, col int, x int64, ledger *[]metrics.LedgerEntry) {
	if e.ledgerSet != nil && e.ledgerSet[i] && x != 0 {
		*ledger = append(*ledger, metrics.LedgerEntry{Day: int32(e.day + 1), Agent: i, Rule: int16(col), Delta: int32(x)})
	}
}

// relationships applies the day's breakups and proposals in id order, so the
// result does not depend on which worker drew them.
func (e *Engine) relationships(k *dayKeys, breakups [][]int32, proposals [][][2]int32) {
	for _, chunk := range breakups {
		for _, i := range chunk {
			p := e.partnerNext[i]
			if p >= 0 {
				e.partnerNext[i], e.partnerNext[p] = -1, -1
			}
		}
	}
	sel := e.sc.Relationships.Selectivity
	for _, chunk := range proposals {
		for _, pr := range chunk {
			i, j := pr[0], pr[1]
			if e.partnerNext[i] >= 0 || e.partnerNext[j] >= 0 || e.detained[j] || i == j {
				continue
			}
			// The higher scorer of the two agrees with a probability that
			// falls with the gap: exp(-selectivity x gap / 100).
			gap := math.Abs(float64(e.score[j]-e.score[i])) / rule.Scale
			if sel > 0 && gap > 0 && rng.Float(k.accept, uint64(i)) >= math.Exp(-sel*gap/100) {
				continue
			}
			e.partnerNext[i], e.partnerNext[j] = j, i
		}
	}
}

// pass2 applies sanctions (including detention) to the end-of-day state and
// aggregates the day.
func (e *Engine) pass2(v, vis *rule.View, s *scratch, lo, hi int, visibleHere bool) {
	sc, prog := e.sc, e.prog
	d := e.day
	e.sanctionBatch(v, s, lo, hi)
	for ii := lo; ii < hi; ii++ {
		i := int32(ii)
		reg := e.pop.Region[i]
		st := e.active[reg]
		var bits uint32
		if st.active {
			for x := range sc.Sanctions {
				if st.sanc>>uint(x)&1 == 0 {
					continue
				}
				if x == e.detainSanc && e.detainedNext[i] {
					bits |= 1 << uint(x) // still held
					continue
				}
				if e.batchSanc>>uint(x)&1 != 0 {
					// held is false for everyone the batch filtered out
					// (no partner, no children, regime off).
					if !s.held[x*ChunkSize+ii-lo] {
						continue
					}
				} else {
					if e.sancPartner[x] && e.partnerNext[i] < 0 {
						continue
					}
					if e.sancChildren[x] && e.pop.Kids[i] == 0 {
						continue
					}
					if !prog.SanctionWhen[x].Fn(v, i) {
						continue
					}
				}
				bits |= 1 << uint(x)
				if dt := sc.Sanctions[x].Detain; dt != nil && !e.detainedNext[i] {
					e.detainedNext[i] = true
					e.releaseDay[i] = -1
					if dt.ReleaseAfter > 0 {
						e.releaseDay[i] = int32(d + 1 + dt.ReleaseAfter)
					}
				}
			}
		} else if e.detainedNext[i] && e.detainSanc >= 0 {
			bits |= 1 << uint(e.detainSanc)
		}
		e.sancNext[i] = bits
		if bits != 0 {
			e.sanctionDays[i]++
			if e.firstSanction[i] < 0 {
				e.firstSanction[i] = int32(d + 1)
			}
		}
		if visibleHere {
			if f := prog.Visible.Fn; f != nil {
				e.visibleNext[i] = f(vis, i)
			} else {
				e.visibleNext[i] = bits != 0 || e.detainedNext[i]
			}
		}
	}
	e.countChunk(s, lo, hi, &state{e.scoreNext, e.tierNext, e.flagsNext, e.sancNext, e.partnerNext, e.detainedNext})
}

// state is one buffer of the per-agent state the aggregates read.
type state struct {
	score    []int32
	tier     []uint8
	flags    []uint32
	sanc     []uint32
	partner  []int32
	detained []bool
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
func (e *Engine) aggregateStart() *metrics.Day {
	s := e.newScratch()
	e.countChunk(s, 0, e.n, &state{e.score, e.tier, e.flags, e.sanc, e.partner, e.detained})
	out := e.newDay()
	e.merge([]*scratch{s}, out)
	out.Day = 0
	return out
}

// merge sums the workers' accumulators into out and derives quantiles.
func (e *Engine) merge(ws []*scratch, out *metrics.Day) {
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
		*cell = acc.cells[c]
		cell.Tier, cell.Sanction, cell.Flag, cell.Attempted, cell.Detected, cell.Blocked = tier, sanc, flag, att, det, blk
		cell.RegimeActive = e.active[cell.Region].active
		cell.Active = cell.Agents - cell.Detained
		copy(tier, acc.tiers[c*nt:(c+1)*nt])
		copy(sanc, acc.cells[c].Sanction)
		copy(flag, acc.cells[c].Flag)
		copy(att, acc.att[c*nb:(c+1)*nb])
		copy(det, acc.det[c*nb:(c+1)*nb])
		copy(blk, acc.blk[c*nb:(c+1)*nb])
		h := acc.hist[c*histBins : (c+1)*histBins]
		for q, frac := range metrics.Quantiles {
			cell.ScoreQ[q] = quantile(h, cell.Agents, frac, float64(e.lo)/rule.Scale, width)
		}
	}
}

// newDay allocates a day's aggregates: one cell per (region, group), with
// all counters in one array.
func (e *Engine) newDay() *metrics.Day {
	nb := len(e.sc.Behaviours)
	nt, ns, nf := len(e.sc.Tiers.Levels), len(e.sc.Sanctions), len(e.sc.FlagNames())
	per := nt + ns + nf + 3*nb
	ints := make([]int64, e.nCells*per)
	out := &metrics.Day{Cells: make([]metrics.Cell, e.nCells)}
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
