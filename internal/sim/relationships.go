package sim

// Partnerships formed and broken between the two passes of a day.

import (
	"math"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// relationships applies the day's breakups and proposals in id order, so the
// result does not depend on which worker drew them. A partnership formed
// marks both partners for tomorrow's `on: partnered` rules.
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
			if e.formed != nil {
				// scored tomorrow by on: partnered rules (pass 1)
				e.formed[i], e.formed[j] = true, true
			}
		}
	}
}
