// Package yardstick is the benchmark scenario written by hand for speed
// alone: one fused, branch-free loop per pass, every constant of the
// scenario compiled in, counters in registers. It is not part of nosedive's
// engine and runs nothing else; it bounds what a step specialised to one
// scenario could do on a given machine, so that the engine's speed and the
// performance targets can be judged against it (docs/performance.md, "How
// far specialisation could go").
//
// It does the same work as the engine on `benchmark` (section 6 of the
// simulator specification): four behaviours with counter-based draws, peer
// chilling from kept counts of untrustworthy acquaintances, detection, the
// six rules with a contribution column each plus recovery and clamp, tiers
// with the group cap, both sanctions with their ground truth (first day,
// days in force), attempts per behaviour, and daily aggregates per group
// (agents, score sum, tier and sanction counts, a 2048-bin score
// histogram). It keeps no ledger and handles no other scenario. A test
// checks its results against internal/reference, the independent
// implementation, with the tolerances the engine is held to.
//
// Two layouts: Random stores agents by id, so partners (paired at random by
// the specification) sit at random addresses; Adjacent stores each couple
// side by side, which changes nothing in the model but makes every partner
// read local.
package yardstick

import (
	"math"
	"sync"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/reference"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// Layout is the order agents are stored in.
type Layout int

const (
	Random   Layout = iota // by id: partners at random addresses
	Adjacent               // couples side by side
)

// Fixed-point scores, 1/1000 point, as in the engine.
const (
	scale       = 1000
	recovery    = 500 // 0.5 point a day, up to the target
	target      = 1000 * scale
	top         = 1300 * scale
	trustworthy = 1050 * scale
	average     = 900 * scale
	schoolBelow = 850 * scale
	block       = 512 // agents whose partners are gathered at once
	histBins    = 2048
)

// Traits (bits) as the benchmark scenario declares them.
const (
	party      = 1 << 0
	journalist = 1 << 1
	infant     = 1 << 2
)

// World is the state of one run.
type World struct {
	n, workers int
	day        uint64
	seed       uint64

	group   []uint8   // 0 = a, 1 = b (the best tier group b may reach is average)
	traits  []uint8   // party, journalist, infant
	partner []int32   // self when single
	single  []uint8   // 1 when single
	adj     [][]int32 // acquaintances, in storage positions (read only when visibility changes)
	deg     []uint16
	id      []int32 // id of the agent stored at each position (for the draws)

	score, next []int32
	enemy       []uint8 // flag enemy_of_state
	tier        []uint8 // 0 trustworthy, 1 average, 2 untrustworthy
	visAcq      []uint16
	attempts    []uint16 // 4 per agent
	penalised   []uint32
	contrib     []int32 // 8 per agent: 6 rules, recovery, clamp
	firstSanc   []int32
	sancDays    []int32
	sanc        []uint8

	// Per worker: aggregates, histogram, agents whose visibility changed.
	agg     [][2][8]int64
	hist    [][2][histBins]uint32
	changed [][]int32
}

// New builds the benchmark population with nosedive's own generator
// (the same agents, partners and ties as `nosedive run benchmark`) and
// lays it out.
func New(n int, seed uint64, layout Layout, workers int) (*World, error) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		return nil, err
	}
	pop := population.Generate(sc, n, seed)
	w := &World{n: n, workers: max(workers, 1), seed: seed,
		group: make([]uint8, n), traits: make([]uint8, n), partner: make([]int32, n), single: make([]uint8, n),
		adj: make([][]int32, n), deg: make([]uint16, n), id: make([]int32, n),
		score: make([]int32, n), next: make([]int32, n), enemy: make([]uint8, n), tier: make([]uint8, n),
		visAcq: make([]uint16, n), attempts: make([]uint16, 4*n), penalised: make([]uint32, n),
		contrib: make([]int32, 8*n), firstSanc: make([]int32, n), sancDays: make([]int32, n), sanc: make([]uint8, n)}
	// pos[id] is where agent id is stored.
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = int32(i)
	}
	if layout == Adjacent {
		k := int32(0)
		for i := range n {
			if p := pop.Partner[i]; p < 0 || int(p) > i {
				pos[i] = k
				k++
				if p >= 0 {
					pos[p] = k
					k++
				}
			}
		}
	}
	for i := range n {
		at := pos[i]
		w.id[at] = int32(i)
		w.group[at] = pop.Group[i]
		w.traits[at] = uint8(pop.Traits[i])
		w.partner[at], w.single[at] = at, 1
		if p := pop.Partner[i]; p >= 0 {
			w.partner[at], w.single[at] = pos[p], 0
		}
		nb := pop.Graph.Neighbours(int32(i), nil)
		w.adj[at] = make([]int32, len(nb))
		for k, a := range nb {
			w.adj[at][k] = pos[a]
		}
		w.deg[at] = uint16(len(nb))
		w.score[at] = [2]int32{1000 * scale, 950 * scale}[w.group[at]&1]
		w.tier[at] = tierOf(w.score[at], w.group[at])
		w.sanc[at] = b2u8(w.tier[at] == 2) // yesterday's visibility, as pass2 compares it
		w.firstSanc[at] = -1
	}
	for i := range n {
		if w.tier[i] == 2 {
			for _, a := range w.adj[i] {
				w.visAcq[a]++
			}
		}
	}
	w.agg = make([][2][8]int64, w.workers)
	w.hist = make([][2][histBins]uint32, w.workers)
	w.changed = make([][]int32, w.workers)
	return w, nil
}

func tierOf(s int32, group uint8) uint8 {
	return max(b2u8(s < trustworthy)+b2u8(s < average), group&1)
}

func b2u8(b bool) uint8 {
	var x uint8
	if b {
		x = 1
	}
	return x
}

func b2i32(b bool) int32 { return int32(b2u8(b)) }

// limit is a rate as a bound on 53-bit draws.
func limit(p float64) uint64 { return uint64(math.Ceil(p * (1 << 53))) }

var limits = [4]uint64{limit(1.0 / 7), limit(1.0 / 30), limit(1.0 / 3), limit(1.0 / 15)}

// Step simulates one day.
func (w *World) Step() {
	d := w.day
	var keys [5]uint64
	for b := range keys {
		keys[b] = rng.Sub(rng.Key(w.seed, "yardstick"), d*5+uint64(b))
	}
	w.parallel(func(k, lo, hi int) { w.pass1(&keys, lo, hi) })
	w.parallel(func(k, lo, hi int) { w.pass2(k, lo, hi) })
	// Peer chilling: kept counts follow the few agents whose visibility
	// (untrustworthy or not) changed today.
	for k, ch := range w.changed {
		for _, i := range ch {
			inc := uint16(1)
			if w.tier[i] != 2 {
				inc = 0xffff // -1
			}
			for _, a := range w.adj[i] {
				w.visAcq[a] += inc
			}
		}
		w.changed[k] = ch[:0]
	}
	w.score, w.next = w.next, w.score
	w.day++
}

// parallel runs fn over the agents in one contiguous range per worker.
func (w *World) parallel(fn func(k, lo, hi int)) {
	if w.workers == 1 {
		fn(0, 0, w.n)
		return
	}
	var wg sync.WaitGroup
	per := (w.n + w.workers - 1) / w.workers
	for k := range w.workers {
		lo, hi := min(k*per, w.n), min((k+1)*per, w.n)
		wg.Add(1)
		go func() { defer wg.Done(); fn(k, lo, hi) }()
	}
	wg.Wait()
}

// pass1: events, rules, recovery, clamp, tier.
func (w *World) pass1(keys *[5]uint64, lo, hi int) {
	score, next, traits, partner, single := w.score, w.next, w.traits, w.partner, w.single
	var ps [block]int32
	var pt [block]uint8
	det := limit(0.6)
	for b0 := lo; b0 < hi; b0 += block {
		b1 := min(b0+block, hi)
		for k, p := range partner[b0:b1] { // partners' state, gathered: many reads in flight
			ps[k], pt[k] = score[p], traits[p]
		}
		for i := b0; i < b1; i++ {
			cur := score[i]
			tr := traits[i]
			en := w.enemy[i]
			l0, l1, l3 := limits[0], limits[1], limits[3]
			if v := w.visAcq[i]; v != 0 { // rare: chilled by untrustworthy acquaintances
				c := 1 - 0.5*float64(v)/float64(w.deg[i])
				l0, l1, l3 = uint64(float64(l0)*c), uint64(float64(l1)*c), uint64(float64(l3)*c)
			}
			c := uint64(w.id[i]+1) * 0x9e3779b97f4a7c15
			e0 := b2u8(rng.Mix(keys[0]+c)>>11 < l0)
			e1 := b2u8(rng.Mix(keys[1]+c)>>11 < l1)
			e1d := e1 & b2u8(rng.Mix(keys[4]+c)>>11 < det)
			e2 := b2u8(rng.Mix(keys[2]+c)>>11 < limits[2]) & (tr >> 2)
			e3 := b2u8(rng.Mix(keys[3]+c)>>11 < l3) & (tr >> 1 & 1) & (en ^ 1)
			a := w.attempts[4*i : 4*i+4 : 4*i+4]
			a[0] += uint16(e0)
			a[1] += uint16(e1)
			a[2] += uint16(e2)
			a[3] += uint16(e3)
			w.penalised[i] += uint32(e0 + e1 + e3)
			en |= e3
			w.enemy[i] = en
			k := i - b0
			q := ps[k]
			x0, x1, x2, x3 := -5*scale*int32(e0), -10*scale*int32(e1d), 2*scale*int32(e2), -300*scale*int32(e3)
			xl := -((cur - q + 50) / 100) * b2i32(q < cur)
			xp := 200 * int32(pt[k]&party) * int32(single[i]^1)
			xr := min(max(target-cur, 0), recovery) * int32(en^1)
			ns := cur + x0 + x1 + x2 + x3 + xl + xp + xr
			cl := min(max(ns, 0), top)
			r := w.contrib[8*i : 8*i+8 : 8*i+8]
			r[0] += x0
			r[1] += x1
			r[2] += x2
			r[3] += x3
			r[4] += xl
			r[5] += xp
			r[6] += xr
			r[7] += cl - ns
			next[i] = cl
			w.tier[i] = tierOf(cl, w.group[i])
		}
	}
}

// pass2: sanctions (which read the partner's end-of-day score), ground
// truth, aggregates, visibility changes.
func (w *World) pass2(k, lo, hi int) {
	next, partner, single, traits := w.next, w.partner, w.single, w.traits
	var pn [block]int32
	var ag [2][8]int64
	h := &w.hist[k]
	*h = [2][histBins]uint32{}
	day1 := int32(w.day + 1)
	for b0 := lo; b0 < hi; b0 += block {
		b1 := min(b0+block, hi)
		for j, p := range partner[b0:b1] {
			pn[j] = next[p]
		}
		for i := b0; i < b1; i++ {
			s := next[i]
			t := w.tier[i]
			travel := b2u8(t == 2)
			school := (traits[i] >> 2) & b2u8(s < schoolBelow) & b2u8(pn[i-b0] < schoolBelow) & (single[i] ^ 1)
			bits := travel | school<<1
			on := b2i32(bits != 0)
			w.sancDays[i] += on
			fs := w.firstSanc[i]
			w.firstSanc[i] = fs + (day1-fs)*(on&int32(uint32(fs)>>31))
			if (w.sanc[i]&1 != 0) != (travel != 0) { // visibility = untrustworthy = travel_ban; rare
				w.changed[k] = append(w.changed[k], int32(i))
			}
			w.sanc[i] = bits
			g := w.group[i] & 1
			c := &ag[g]
			c[0]++
			c[1] += int64(s)
			c[2+t]++
			c[5] += int64(travel)
			c[6] += int64(school)
			h[g][uint64(s)*histBins/(top+1)]++
		}
	}
	w.agg[k] = ag
}

// Aggregates returns the last day's counts per group: agents, score sum
// (fixed point), trustworthy, average, untrustworthy, travel_ban,
// school_block.
func (w *World) Aggregates() [2][7]int64 {
	var out [2][7]int64
	for _, a := range w.agg {
		for g := range 2 {
			for c := range 7 {
				out[g][c] += a[g][c]
			}
		}
	}
	return out
}

// Result summarises the end of the run as the reference does.
func (w *World) Result() reference.Result {
	agg := w.Aggregates()
	res := reference.Result{Groups: map[string]reference.GroupResult{}}
	for g, name := range []string{"a", "b"} {
		c := agg[g]
		n := float64(c[0])
		r := reference.GroupResult{N: int(c[0]), TierShare: map[string]float64{}}
		if n > 0 {
			r.MeanScore = float64(c[1]) / scale / n
			r.TierShare[reference.TierTrustworthy] = float64(c[2]) / n
			r.TierShare[reference.TierAverage] = float64(c[3]) / n
			r.TierShare[reference.TierUntrustworthy] = float64(c[4]) / n
			r.TravelBan, r.SchoolBlock = float64(c[5])/n, float64(c[6])/n
		}
		res.Groups[name] = r
	}
	return res
}
