package sim

// Pass 1 of a day: events (attempts, chilling, detection, blocks), the
// rules they trigger, periodic rules, recovery, the clamp and the tier, for
// each agent on the start-of-day state.

import (
	"cmp"
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

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
	ledger *[]daily.LedgerEntry, proposals *[][2]int32, breakups *[]int32) error {
	sc := e.sc
	d := e.day
	nc := e.nContrib
	rec, unless := sc.Scoring.Recovery, e.recoveryUnless
	rel := sc.Relationships
	n := hi - lo
	ledgerStart := len(*ledger)
	delta, fl, frac := s.delta[:n], s.fl[:n], s.frac[:n]
	clear(delta)
	if e.nx > 0 {
		clear(s.xdelta)
	}
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
			if e.boostBy != nil && e.boostBy[b] != nil {
				base = e.boostedRate(b, i, base)
			}
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
	if len(e.insts) > 0 {
		e.institutionEvents(v, s, lo, hi, ledger, fail)
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
		formed := e.formed != nil && e.formed[i]
		if formed {
			e.formed[i] = false // one event per partnership, scored or not
		}
		if e.detained[i] {
			ns := cur
			if e.releaseDay[i] == int32(d) {
				e.detainedNext[i] = false
				e.releaseDay[i] = -1
				if x := sc.Sanctions[e.detainSanc].Detain.ReleaseScore; x != nil {
					ns = toFixed(*x)
					e.addContrib(i, nc, e.nBooked+2, int64(ns)-int64(cur), ledger)
				}
			}
			e.scoreNext[i], e.flagsNext[i] = ns, f
			e.tierNext[i] = e.tierOf(e.cellOf(ii), ns)
			if e.nx > 0 {
				e.keepScores(i)
			}
			continue
		}
		reg := e.pop.Region[i]
		st := &e.active[reg]
		dl := delta[kk]
		if st.active && formed {
			// The partnership formed yesterday: an event, after the
			// behaviours' and before the periodic rules, that reads the
			// new partner's start-of-day state.
			for _, r := range e.onPartnered {
				if st.rules>>uint(r)&1 == 0 {
					continue
				}
				if w := e.prog.RuleWhen[r]; w.Fn != nil && !w.Fn(v, i) {
					continue
				}
				x, err := e.amount(r, v, i)
				if err != nil {
					fail(i, err)
					continue
				}
				dl += e.book(s, i, kk, nc, r, x, ledger)
				f |= e.ruleFlags[r]
			}
		}
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
				dl += e.book(s, i, kk, nc, r, x, ledger)
				f |= e.ruleFlags[r] & -uint32(b2i(s.fired[k]))
			}
			if rec != nil && st.recovery && f&unless == 0 {
				// toward the target by at most the rate, in the allowed
				// directions (recMin, recMax), without a branch
				x := min(max(e.recTarget-int64(cur), e.recMin), e.recMax)
				dl += x
				e.addContrib(i, nc, e.nBooked, x, ledger) // no ledger entry for 0
			}
		}
		ns := int64(cur) + dl
		clamped := min(max(ns, int64(e.lo)), int64(e.hi))
		if clamped != ns {
			e.addContrib(i, nc, e.nBooked+1, clamped-ns, ledger)
		}
		e.scoreNext[i] = int32(clamped)
		if e.nx > 0 {
			e.settleScores(s, i, kk, nc, ledger)
		}
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
		slices.SortStableFunc(l, func(a, b daily.LedgerEntry) int { return cmp.Compare(a.Agent, b.Agent) })
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
	ledger *[]daily.LedgerEntry, fail func(int32, error)) {
	bh := &e.beh[b]
	key := k.event[b]
	limit := rateLimit(bh.rate)
	boosted := e.boostBy != nil && e.boostBy[b] != nil
	if boosted {
		// draw under the highest rate any privileged agent has; event
		// drops the draws above the agent's own rate
		limit = rateLimit(scenario.BoostedRate(bh.rate, e.boostMax[b]))
	}
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
		rate := bh.rate
		if boosted {
			rate = e.boostedRate(b, i, rate)
		}
		if err := e.event(v, k, s, b, i, int(i)-lo, u, rate, ledger); err != nil {
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
func (e *Engine) event(v *rule.View, k *dayKeys, s *scratch, b int, i int32, kk int, u, base float64, ledger *[]daily.LedgerEntry) error {
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
	blocked := e.sanc[i] & e.blockMask[b]
	if blocked != 0 && e.anyLift {
		blocked &^= e.lifted(i)
	}
	if blocked != 0 {
		s.blk[cell*nb+b]++
		if e.ledgerSet != nil && e.ledgerSet[i] {
			e.traceEvent(i, b, true, false)
		}
		return nil
	}
	p := e.detect[b][reg]
	detected := p >= 1 || (p > 0 && rng.Float(k.detect[b], uint64(i)) < p)
	if e.ledgerSet != nil && e.ledgerSet[i] {
		e.traceEvent(i, b, false, detected)
	}
	if !detected {
		return nil
	}
	s.det[cell*nb+b]++
	if a := &e.detections[int(i)*nb+b]; *a < math.MaxUint16 {
		*a++
	}
	st := &e.active[reg]
	if !st.active {
		return nil
	}
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
		s.fl[kk] |= e.ruleFlags[r]
		if e.bookEvent(s, i, kk, r, x, ledger) {
			continue // the charge was given back: no penalty felt
		}
		if x < 0 && bh.penalised && e.lastPenalised != nil {
			e.lastPenalised[i] = int32(d)
		}
	}
	return nil
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

// amount evaluates rule r's amount for agent i in fixed point.
// book applies rule r's amount x to agent i (slot kk of its chunk) in
// pass 1: an extra score's change goes to s.xdelta (scores.go), and the
// main score's change is returned for the caller to add, net of a charge
// a privilege gives back (privilege.go); the contribution is booked
// either way.
func (e *Engine) book(s *scratch, i int32, kk, nc, r int, x int64, ledger *[]daily.LedgerEntry) int64 {
	e.addContrib(i, nc, r, x, ledger)
	if xk := e.ruleScoreOf(r); xk >= 0 {
		s.xdelta[xk*ChunkSize+kk] += x
		return 0
	}
	if w := e.waiver(r, i, x); w >= 0 {
		e.giveBack(i, w, x, ledger)
		return 0
	}
	return x
}

// bookEvent is book for an event rule: the ledger entry is written now, in
// the usual order, and the contribution is added after the chunk's agent
// loop (s.evContrib), when the chunk's contribution rows are in cache
// (sums do not depend on order). It reports whether a privilege gave the
// charge back.
func (e *Engine) bookEvent(s *scratch, i int32, kk, r int, x int64, ledger *[]daily.LedgerEntry) (waived bool) {
	nc := e.nContrib
	e.bookLedger(i, r, x, ledger)
	s.evContrib = append(s.evContrib, contribAdd{at: int(i)*nc + r, x: int32(x)})
	if xk := e.ruleScoreOf(r); xk >= 0 {
		s.xdelta[xk*ChunkSize+kk] += x // another score (scores.go)
		return false
	}
	if w := e.waiver(r, i, x); w >= 0 {
		e.bookLedger(i, w, -x, ledger)
		s.evContrib = append(s.evContrib, contribAdd{at: int(i)*nc + w, x: int32(-x)})
		return true
	}
	s.delta[kk] += x
	return false
}

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
