// Visibility for peer chilling: who is visible today and how many of each
// agent's acquaintances are.

package sim

import "github.com/nosedive-lab/nosedive/internal/rule"

func (e *Engine) computeVisible(v *rule.View, out []bool) {
	f := e.prog.Visible
	for i := range out {
		switch {
		case f.Fn != nil:
			out[i] = f.Fn(v, int32(i))
		default:
			out[i] = v.Sanctions[i] != 0 || v.Detained[i]
		}
	}
}

// countVisibleAcq sets every agent's count of visible acquaintances from
// scratch.
func (e *Engine) countVisibleAcq() {
	e.parallel(func(_, lo, hi int) error {
		for i := lo; i < hi; i++ {
			e.visibleAcq[i] = uint16(e.visibleNeighbours(int32(i)))
		}
		return nil
	})
}

// visibleNeighbours counts agent i's acquaintances who are visible today.
func (e *Engine) visibleNeighbours(i int32) int {
	c := 0
	var buf [64]int32
	for _, a := range e.pop.Graph.Neighbours(i, buf[:0]) {
		c += b2i(e.visible[a])
	}
	return c
}

// updateVisibleAcq brings the counts from yesterday's visibility (old) to
// today's (e.visible), one acquaintance list per agent whose visibility
// changed. Few agents change on a day, so this is far cheaper than
// counting at every event; the counts are integers, so the order of the
// updates does not matter.
func (e *Engine) updateVisibleAcq(old []bool) {
	var buf [64]int32
	for i, now := range e.visible {
		if now == old[i] {
			continue
		}
		for _, a := range e.pop.Graph.Neighbours(int32(i), buf[:0]) {
			if now {
				e.visibleAcq[a]++
			} else {
				e.visibleAcq[a]--
			}
		}
	}
}
