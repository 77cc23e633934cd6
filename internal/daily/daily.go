// Package daily defines the records a run produces each day: integer
// aggregates per (region, group) cell, and score-change ledger entries.
// All sums are integers (scores are fixed point), so merging partial results
// in any order gives the same bytes.
package daily

// Quantiles reported per cell, as fractions.
var Quantiles = [...]float64{0.10, 0.25, 0.50, 0.75, 0.90}

// ScoreScale is the fixed-point scale of scores: a score is stored as an
// int32 number of 1/ScoreScale points, and every score in these records
// (ScoreSum, a ledger entry's Delta) is in that unit. Fixed point makes
// per-rule contributions add up to the score exactly and keeps results
// independent of summation order. (internal/rule's Scale is this value.)
const ScoreScale = 1000

// Cell aggregates the agents of one region and group at the end of a day.
// Slices are indexed like the scenario's tiers, sanctions, flags and
// behaviours.
type Cell struct {
	Region, Group   uint8
	Agents          int64
	Active          int64 // not detained
	Partnered       int64
	Detained        int64
	ChildrenBlocked int64 // school-age children refused by a school sanction
	ScoreSum        int64 // fixed point, see ScoreScale
	ScoreQ          [len(Quantiles)]float64
	Tier            []int64
	Sanction        []int64
	Flag            []int64
	Attempted       []int64 // events the agents tried
	Detected        []int64 // events the regime saw
	Blocked         []int64 // events stopped by a sanction
	RegimeActive    bool
	Privilege       []int64 // agents holding each privilege (nil without privileges)
	// Scores is the sum of each extra score (scenario scores:) over the
	// cell's agents, fixed point; nil without extra scores.
	Scores []int64
}

// Day is every cell at the end of one day. Day 0 is the starting state.
type Day struct {
	Day   int
	Cells []Cell
	// Decisions are the institutions' decisions made this day, one per
	// institution and category, in that order (none on other days).
	Decisions []Decision
}

// Decision is one institution's decision for one category (a group, by
// default) on one day: the policy's choice and expectations (from the
// believed probabilities), and what happened (integer counts).
type Decision struct {
	Institution, Category uint8
	// Applicants above Threshold were approved, those at it with
	// probability Boundary.
	Threshold, Boundary float64
	// The policy's figures: SelectionRate and TPR are shares of the
	// applicants and of their expected successes; the rest are sums over
	// the applicants.
	SelectionRate, TPR                  float64
	ExpectedSuccesses, ExpectedFailures float64
	ExpectedUtility                     float64
	Applicants, Approved, Successes     int64
	Utility                             float64 // gain x Successes - loss x (Approved - Successes)
}

// Clone returns a deep copy of d, its counters in one array.
func (d *Day) Clone() *Day {
	n := 0
	for _, c := range d.Cells {
		n += len(c.Tier) + len(c.Sanction) + len(c.Flag) + len(c.Attempted) + len(c.Detected) + len(c.Blocked) + len(c.Privilege) + len(c.Scores)
	}
	ints := make([]int64, 0, n)
	take := func(src []int64) []int64 {
		if src == nil {
			return nil
		}
		ints = append(ints, src...)
		return ints[len(ints)-len(src) : len(ints) : len(ints)]
	}
	out := &Day{Day: d.Day, Cells: make([]Cell, len(d.Cells))}
	if d.Decisions != nil {
		out.Decisions = append([]Decision(nil), d.Decisions...)
	}
	for k, c := range d.Cells {
		c.Tier, c.Sanction, c.Flag = take(c.Tier), take(c.Sanction), take(c.Flag)
		c.Attempted, c.Detected, c.Blocked = take(c.Attempted), take(c.Detected), take(c.Blocked)
		c.Privilege, c.Scores = take(c.Privilege), take(c.Scores)
		out.Cells[k] = c
	}
	return out
}

// LedgerEntry is one score change of one sampled agent.
type LedgerEntry struct {
	Day   int32
	Agent int32
	Rule  int16 // index into the run's contribution names
	Delta int32 // fixed point
}
