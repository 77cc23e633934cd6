package sim

// Periodic rules, evaluated for a chunk of agents at once with the batch
// kernels.

import (
	"github.com/nosedive-lab/nosedive/internal/rule"
)

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
		due := d%e.sc.Scoring.Rules[r].Every == 0
		soon := e.soonerToday(r, d) // privileges for whose holders it is due today
		if !due && soon == 0 {
			continue
		}
		when, amount := prog.RuleWhen[r], prog.RuleAmount[r]
		if when.Skip != nil && when.Skip(v) {
			continue // false for every agent today (day == 0 after day 0): no agent loop
		}
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
		if !due { // only the privileged
			n := 0
			for _, i := range idx {
				idx[n] = i
				n += b2i(e.priv[i]&soon != 0)
			}
			idx = idx[:n]
		}
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

// stretchEnd returns where the stretch of agents of agent a's region that
// starts at a ends, at most hi.
func (e *Engine) stretchEnd(a, hi int) int {
	if e.regionEnd == nil {
		return a + 1
	}
	return min(e.regionEnd[e.pop.Region[a]], hi)
}
