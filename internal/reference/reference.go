// Package reference is an independent implementation of the benchmark
// scenario of the specification (section 6 of the simulator issue). It was
// written from the specification alone, without reading the engine
// (internal/sim and its helpers), so that the engine can be checked
// statistically against it. It is used only by tests.
//
// The code favours plainness over speed: a single random stream, one slice
// per agent attribute, and a synchronous day loop that reads only
// start-of-day state.
package reference

import (
	"math/rand/v2"
)

// Tier names.
const (
	TierTrustworthy   = "trustworthy"
	TierAverage       = "average"
	TierUntrustworthy = "untrustworthy"
)

// Specification parameters.
const (
	probGroupA     = 0.55
	probParty      = 0.08
	probJournalist = 0.002
	probInfant     = 0.10

	latticeHalf = 5   // neighbours on each side of the ring lattice
	rewireProb  = 0.1 // Watts-Strogatz rewiring probability

	initScoreA = 1000.0
	initScoreB = 950.0

	alcoholRate    = 1.0 / 7 // multiplied by chill
	alcoholDetect  = 1.0
	alcoholDelta   = -5.0
	nightclubRate  = 1.0 / 30 // multiplied by chill
	nightclubDet   = 0.6
	nightclubDelta = -10.0
	nappiesRate    = 1.0 / 3 // not multiplied by chill
	nappiesDetect  = 1.0
	nappiesDelta   = 2.0
	publishRate    = 1.0 / 15 // multiplied by chill
	publishDetect  = 1.0
	publishDelta   = -300.0

	partnerGapFactor = 0.01
	partyBonus       = 0.2

	recoveryTarget = 1000.0
	recoveryStep   = 0.5

	scoreMin = 0.0
	scoreMax = 1300.0

	trustworthyMin = 1050.0
	averageMin     = 900.0

	schoolBlockBelow = 850.0
)

// tier codes used internally.
const (
	tierUntrustworthy uint8 = iota
	tierAverage
	tierTrustworthy
)

var tierNames = [...]string{TierUntrustworthy, TierAverage, TierTrustworthy}

// GroupResult summarises one group at the end of the run.
type GroupResult struct {
	N           int
	MeanScore   float64            // mean final score (points)
	TierShare   map[string]float64 // "trustworthy", "average", "untrustworthy" -> share of the group's agents at the end
	TravelBan   float64            // share of the group with travel_ban in force after the last day
	SchoolBlock float64            // share of the group with school_block in force after the last day
	Flagged     int                // agents flagged enemy_of_state
}

// Result holds the per-group summaries, keyed "a" and "b".
type Result struct {
	Groups map[string]GroupResult // "a" and "b"
}

// world is the full simulation state.
type world struct {
	n int

	// Static attributes.
	groupA     []bool
	party      []bool
	journalist []bool
	infant     []bool
	partner    []int32 // -1 for singles

	// Acquaintance graph in compressed form: neighbours of i are
	// nbrs[off[i]:off[i+1]].
	off  []int32
	nbrs []int32

	// Dynamic state.
	score   []float64
	tier    []uint8
	flagged []bool

	// Scratch buffer for the synchronous update.
	next []float64

	// Event counters, used by the tests to compare frequencies to rates.
	stats eventStats
}

// eventStats counts events and their expected numbers (sum of the per-draw
// probabilities and of p(1-p)) over the whole run.
type eventStats struct {
	alcohol, nightclub, nightclubDetected, nappies, publish counter
}

type counter struct {
	draws    int     // number of Bernoulli trials
	hits     int     // number of successes
	expected float64 // sum of p
	variance float64 // sum of p(1-p)
}

func (c *counter) add(p float64, hit bool) {
	c.draws++
	c.expected += float64(p) // p may be a product inlined from the caller: keep it unfused
	c.variance += float64(float64(p) * (1 - float64(p)))
	if hit {
		c.hits++
	}
}

// tierOf maps a score to a tier; group b is capped at average.
func tierOf(score float64, groupA bool) uint8 {
	var t uint8
	switch {
	case score >= trustworthyMin:
		t = tierTrustworthy
	case score >= averageMin:
		t = tierAverage
	default:
		t = tierUntrustworthy
	}
	if !groupA && t == tierTrustworthy {
		t = tierAverage
	}
	return t
}

func clamp(x float64) float64 {
	if x < scoreMin {
		return scoreMin
	}
	if x > scoreMax {
		return scoreMax
	}
	return x
}

// newWorld builds the day-0 population, graph and partners.
func newWorld(n int, r *rand.Rand) *world {
	w := &world{
		n:          n,
		groupA:     make([]bool, n),
		party:      make([]bool, n),
		journalist: make([]bool, n),
		infant:     make([]bool, n),
		partner:    make([]int32, n),
		score:      make([]float64, n),
		tier:       make([]uint8, n),
		flagged:    make([]bool, n),
		next:       make([]float64, n),
	}
	for i := 0; i < n; i++ {
		w.groupA[i] = r.Float64() < probGroupA
		w.party[i] = r.Float64() < probParty
		w.journalist[i] = r.Float64() < probJournalist
		w.infant[i] = r.Float64() < probInfant
	}

	w.off, w.nbrs = wattsStrogatz(n, latticeHalf, rewireProb, r)

	// Partners: shuffle all agents, pair the first half (rounded down to an
	// even count) consecutively; the rest stay single.
	for i := range w.partner {
		w.partner[i] = -1
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	paired := (n / 2) &^ 1
	for k := 0; k+1 < paired; k += 2 {
		a, b := perm[k], perm[k+1]
		w.partner[a] = b
		w.partner[b] = a
	}

	for i := 0; i < n; i++ {
		if w.groupA[i] {
			w.score[i] = initScoreA
		} else {
			w.score[i] = initScoreB
		}
		w.tier[i] = tierOf(w.score[i], w.groupA[i])
	}
	return w
}

// wattsStrogatz builds an undirected Watts-Strogatz graph: a ring lattice
// where each node is linked to its half nearest neighbours on each side,
// then each lattice edge (i, i+k) is rewired with probability p to a
// uniformly random node that is neither i nor already a neighbour of i.
// It returns the adjacency in compressed (offset, neighbour) form.
func wattsStrogatz(n, half int, p float64, r *rand.Rand) ([]int32, []int32) {
	adj := make([][]int32, n)
	has := func(i, j int32) bool {
		for _, x := range adj[i] {
			if x == j {
				return true
			}
		}
		return false
	}
	addEdge := func(i, j int32) {
		adj[i] = append(adj[i], j)
		adj[j] = append(adj[j], i)
	}
	remove := func(i, j int32) {
		l := adj[i]
		for k, x := range l {
			if x == j {
				l[k] = l[len(l)-1]
				adj[i] = l[:len(l)-1]
				return
			}
		}
	}

	// Ring lattice (deduplicated, so that tiny n still gives a simple graph).
	for i := 0; i < n; i++ {
		adj[i] = make([]int32, 0, 2*half+2)
	}
	for i := 0; i < n; i++ {
		for k := 1; k <= half; k++ {
			j := (i + k) % n
			if j == i || has(int32(i), int32(j)) {
				continue
			}
			addEdge(int32(i), int32(j))
		}
	}

	// Rewiring, lattice distance outer, node inner (as in the classic
	// formulation; the order does not change the distribution materially).
	for k := 1; k <= half; k++ {
		for i := 0; i < n; i++ {
			if r.Float64() >= p {
				continue
			}
			u := int32(i)
			v := int32((i + k) % n)
			if u == v || !has(u, v) {
				continue
			}
			if len(adj[u]) >= n-1 {
				continue // no valid new end exists
			}
			var x int32
			for {
				x = int32(r.IntN(n))
				if x != u && !has(u, x) {
					break
				}
			}
			remove(u, v)
			remove(v, u)
			addEdge(u, x)
		}
	}

	off := make([]int32, n+1)
	for i := 0; i < n; i++ {
		off[i+1] = off[i] + int32(len(adj[i]))
	}
	nbrs := make([]int32, 0, off[n])
	for i := 0; i < n; i++ {
		nbrs = append(nbrs, adj[i]...)
	}
	return off, nbrs
}

// step advances the world by one day.
func (w *world) step(r *rand.Rand) {
	st := &w.stats
	for i := 0; i < w.n; i++ {
		s := w.score[i] // start-of-day score

		// 1. Chill from start-of-day tiers of acquaintances.
		c := 1.0
		lo, hi := w.off[i], w.off[i+1]
		if hi > lo {
			bad := 0
			for _, j := range w.nbrs[lo:hi] {
				if w.tier[j] == tierUntrustworthy {
					bad++
				}
			}
			c = 1 - 0.5*float64(bad)/float64(hi-lo)
		}

		delta := 0.0

		// 2. Behaviours.
		p := c * alcoholRate
		hit := r.Float64() < p
		st.alcohol.add(p, hit)
		if hit && r.Float64() < alcoholDetect {
			delta += alcoholDelta
		}

		p = c * nightclubRate
		hit = r.Float64() < p
		st.nightclub.add(p, hit)
		if hit {
			det := r.Float64() < nightclubDet
			st.nightclubDetected.add(nightclubDet, det)
			if det {
				delta += nightclubDelta
			}
		}

		if w.infant[i] {
			p = nappiesRate
			hit = r.Float64() < p
			st.nappies.add(p, hit)
			if hit && r.Float64() < nappiesDetect {
				delta += nappiesDelta
			}
		}

		if w.journalist[i] && !w.flagged[i] {
			p = c * publishRate
			hit = r.Float64() < p
			st.publish.add(p, hit)
			if hit && r.Float64() < publishDetect {
				delta += publishDelta
				w.flagged[i] = true // only read for agent i itself below
			}
		}

		// 3. Partner.
		if q := w.partner[i]; q >= 0 {
			ps := w.score[q] // start-of-day: w.score is not written until the end of the day
			if ps < s {
				delta -= float64(partnerGapFactor * (s - ps))
			}
			if w.party[q] {
				delta += partyBonus
			}
		}

		// 4. Recovery (flag set today already blocks it).
		if !w.flagged[i] && s < recoveryTarget {
			delta += min(recoveryStep, recoveryTarget-s)
		}

		// 5. Clamp.
		w.next[i] = clamp(s + delta)
	}

	// Apply synchronously, then 6. tiers.
	w.score, w.next = w.next, w.score
	for i := 0; i < w.n; i++ {
		w.tier[i] = tierOf(w.score[i], w.groupA[i])
	}
}

// travelBan reports whether agent i has travel_ban in force.
func (w *world) travelBan(i int) bool {
	return w.tier[i] == tierUntrustworthy
}

// schoolBlock reports whether agent i has school_block in force. An agent
// without a partner has no partner's score, so it is never blocked.
func (w *world) schoolBlock(i int) bool {
	if !w.infant[i] {
		return false
	}
	q := w.partner[i]
	if q < 0 {
		return false
	}
	return w.score[i] < schoolBlockBelow && w.score[q] < schoolBlockBelow
}

// simulate runs the model and returns the final world.
func simulate(n, days int, seed uint64) *world {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	w := newWorld(n, r)
	for d := 0; d < days; d++ {
		w.step(r)
	}
	return w
}

// summarise builds the per-group results from the end-of-run state.
func (w *world) summarise() Result {
	type acc struct {
		n, flagged, ban, block int
		sum                    float64
		tiers                  [3]int
	}
	var ga, gb acc
	for i := 0; i < w.n; i++ {
		g := &gb
		if w.groupA[i] {
			g = &ga
		}
		g.n++
		g.sum += w.score[i]
		g.tiers[w.tier[i]]++
		if w.flagged[i] {
			g.flagged++
		}
		if w.travelBan(i) {
			g.ban++
		}
		if w.schoolBlock(i) {
			g.block++
		}
	}
	build := func(g acc) GroupResult {
		res := GroupResult{N: g.n, Flagged: g.flagged, TierShare: map[string]float64{}}
		for t, name := range tierNames {
			res.TierShare[name] = 0
			if g.n > 0 {
				res.TierShare[name] = float64(g.tiers[t]) / float64(g.n)
			}
		}
		if g.n > 0 {
			nf := float64(g.n)
			res.MeanScore = g.sum / nf
			res.TravelBan = float64(g.ban) / nf
			res.SchoolBlock = float64(g.block) / nf
		}
		return res
	}
	return Result{Groups: map[string]GroupResult{"a": build(ga), "b": build(gb)}}
}

// RunBenchmark runs the benchmark scenario with n agents for the given number
// of days and returns the per-group summary at the end.
func RunBenchmark(n, days int, seed uint64) Result {
	return simulate(n, days, seed).summarise()
}
