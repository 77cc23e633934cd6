package sim

// Pass 2 of a day: sanctions and detention on the end-of-day state, and
// the chilling signal for tomorrow.

import (
	"github.com/nosedive-lab/nosedive/internal/rule"
)

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
		if e.nPriv > 0 {
			e.decidePrivileges(v, s, i, st.active)
		}
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
	e.countChunk(s, lo, hi, &state{e.scoreNext, e.tierNext, e.flagsNext, e.sancNext, e.partnerNext, e.detainedNext, e.xsNext})
}
