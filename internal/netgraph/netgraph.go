// Package netgraph builds and stores the acquaintance graph: undirected,
// simple (no self-loops, no duplicate ties), with int32 agent ids.
// Generators are deterministic functions of their seed: the same inputs give
// the same graph on any machine.
//
// A graph is stored in one of two forms with the same contents and the same
// neighbour order. Generators build the plain form (compressed sparse row,
// 4 bytes per tie end plus 8 per vertex). Compact re-encodes a small-world
// graph, whose ties mostly join vertices a few ids apart, as a ring: one
// byte per vertex says which of the next ringSpan ids it is tied to, and
// only the other ties are listed (about 7 bytes per vertex for
// Watts-Strogatz with degree 10 and rewiring 0.1, against 48).
package netgraph

import (
	"context"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/par"
	"github.com/nosedive-lab/nosedive/internal/rng"
)

// Graph is an undirected simple graph. Each tie appears once in each
// direction; a vertex's neighbours are listed in ascending order.
type Graph struct {
	n    int
	ends int64 // tie ends: twice the number of ties
	// Plain form: the neighbours of v are adj[start[v]:start[v+1]].
	start []int64 // len n+1; int64 because 1.4e9 agents x 10 ties overflows uint32
	adj   []int32
	// Ring form (ring != nil): bit j-1 of ring[v] is set when v is tied to
	// (v+j) mod n, for j = 1..ringSpan; v's other ties are
	// extra[extraStart(v):extraStart(v+1)], ascending.
	ring  []uint8
	xBase []int64  // extras before each block of 1<<xBlock vertices, len n>>xBlock + 1
	xOff  []uint16 // extras before v within its block, len n+1
	extra []int32
}

const (
	ringSpan = 8 // ids covered by a ring byte on each side
	xBlock   = 6 // vertices per block of extras offsets: 64
)

// N returns the number of vertices.
func (g *Graph) N() int { return g.n }

// Compacted reports whether g is stored in ring form.
func (g *Graph) Compacted() bool { return g.ring != nil }

// Degree returns v's number of neighbours.
func (g *Graph) Degree(v int32) int {
	if g.ring == nil {
		return int(g.start[v+1] - g.start[v])
	}
	return g.ringDegree(int(v))
}

func (g *Graph) ringDegree(v int) int {
	return bits.OnesCount8(g.ring[v]) + g.backwardCount(v) + int(g.extraStart(v+1)-g.extraStart(v))
}

// Neighbours returns v's neighbours in ascending order. In plain form the
// result is g's own storage; in ring form it is decoded into buf's storage
// (grown if too small). Either way it must not be modified, and it is valid
// until buf is reused. Callers keep a buffer, often a stack array:
//
//	var buf [32]int32
//	for _, a := range g.Neighbours(v, buf[:0]) { ... }
func (g *Graph) Neighbours(v int32, buf []int32) []int32 {
	if g.ring == nil {
		return g.adj[g.start[v]:g.start[v+1]]
	}
	return g.ringNeighbours(int(v), buf[:0])
}

// antiDiagonal selects, in the eight ring bytes before v read as one
// little-endian word, the bits that tie each of them to v: byte 8-j (vertex
// v-j) holds that tie in its bit j-1, which is bit 63-7j of the word.
const antiDiagonal = 0x0102040810204080

// backward returns the ring bits that tie v to v-j: bit j-1 is set when v is
// tied to (v-j) mod n.
func (g *Graph) backward(v int) uint8 {
	var b uint8
	for j := 1; j <= ringSpan; j++ {
		u := v - j
		if u < 0 {
			u += g.n
		}
		b |= g.ring[u] >> (j - 1) & 1 << (j - 1)
	}
	return b
}

// backwardCount is the number of v's ties to v-1, ..., v-ringSpan.
func (g *Graph) backwardCount(v int) int {
	if v >= ringSpan {
		return bits.OnesCount64(binary.LittleEndian.Uint64(g.ring[v-ringSpan:v]) & antiDiagonal)
	}
	return bits.OnesCount8(g.backward(v))
}

func (g *Graph) extraStart(v int) int64 { return g.xBase[v>>xBlock] + int64(g.xOff[v]) }

// ringTables lists, for each ring byte, the id offsets it stands for in
// ascending order: back[b] for the ties to v-j (bit j-1), fwd[r] for the
// ties to v+j (bit j-1); count is the number of bits set.
var ringTables = func() (t struct {
	back, fwd [256][ringSpan]int8
	count     [256]uint8
}) {
	for b := range 256 {
		k, m := 0, 0
		for j := ringSpan; j >= 1; j-- {
			if b>>(j-1)&1 != 0 {
				t.back[b][k] = int8(-j)
				k++
			}
		}
		for j := 1; j <= ringSpan; j++ {
			if b>>(j-1)&1 != 0 {
				t.fwd[b][m] = int8(j)
				m++
			}
		}
		t.count[b] = uint8(k)
	}
	return t
}()

func (g *Graph) ringNeighbours(v int, out []int32) []int32 {
	n := g.n
	extra := g.extra[g.extraStart(v):g.extraStart(v+1)]
	if v < ringSpan || v+ringSpan >= n {
		// ring bytes wrap around the ends: list, then sort
		for b := g.backward(v); b != 0; b &= b - 1 {
			u := v - 1 - bits.TrailingZeros8(b)
			if u < 0 {
				u += n
			}
			out = append(out, int32(u))
		}
		for r := g.ring[v]; r != 0; r &= r - 1 {
			t := v + 1 + bits.TrailingZeros8(r)
			if t >= n {
				t -= n
			}
			out = append(out, int32(t))
		}
		out = append(out, extra...)
		slices.Sort(out)
		return out
	}
	// Ties to v-8..v-1 and v+1..v+8 come out in ascending order from
	// tables, with no branch on the bits. The extras (usually zero to two)
	// lie outside v-8..v+8: those below v go first, the rest last.
	need := 2*ringSpan + len(extra) // tables write 8 entries at a time, from at most 8
	if cap(out) < need {
		out = make([]int32, 0, need)
	}
	out = out[:need]
	lo := 0
	for _, x := range extra {
		lo += int(uint32(x-int32(v)) >> 31) // x < v
	}
	k := 0
	for ; k < lo; k++ { // (a loop: copy calls memmove, slow for a few words)
		out[k] = extra[k]
	}
	// b: bit j-1 set when v-j is tied to v, i.e. bit j-1 of byte 8-j of the
	// word of the eight bytes before v: the anti-diagonal of an 8x8 bit
	// matrix, gathered into the top byte by one multiplication.
	w := binary.LittleEndian.Uint64(g.ring[v-ringSpan : v])
	b := uint8((w & antiDiagonal) * 0x0101010101010101 >> 56)
	r := g.ring[v]
	bt, ft := &ringTables.back[b], &ringTables.fwd[r]
	o := out[k : k+ringSpan]
	for t := range ringSpan {
		o[t] = int32(v + int(bt[t]))
	}
	k += int(ringTables.count[b])
	o = out[k : k+ringSpan]
	for t := range ringSpan {
		o[t] = int32(v + int(ft[t]))
	}
	k += int(ringTables.count[r])
	for _, x := range extra[lo:] {
		out[k] = x
		k++
	}
	return out[:k]
}

// MaxDegree is the largest degree in the graph (0 when it has no nodes).
func (g *Graph) MaxDegree() int {
	m := 0
	for v := 0; v < g.n; v++ {
		m = max(m, g.Degree(int32(v)))
	}
	return m
}

// Edges returns the number of undirected ties.
func (g *Graph) Edges() int64 { return g.ends / 2 }

// MeanDegree returns 2E/N.
func (g *Graph) MeanDegree() float64 {
	if g.n == 0 {
		return 0
	}
	return float64(g.ends) / float64(g.n)
}

// Bytes is the memory g's arrays take.
func (g *Graph) Bytes() int64 {
	return int64(len(g.start))*8 + int64(len(g.adj))*4 + int64(len(g.ring)) + int64(len(g.xBase))*8 +
		int64(len(g.xOff))*2 + int64(len(g.extra))*4
}

// Empty returns a graph of n vertices and no ties.
func Empty(n int) *Graph {
	return &Graph{n: n, start: make([]int64, n+1)}
}

func plain(start []int64, adj []int32) *Graph {
	return &Graph{n: len(start) - 1, ends: int64(len(adj)), start: start, adj: adj}
}

// Compact returns g in ring form when that takes less memory, else g. The
// result has the same ties and lists them in the same order; g is not
// changed. Graphs of fewer than 2*ringSpan+2 vertices stay plain (a ring
// byte's ids would overlap).
func (g *Graph) Compact() *Graph {
	c, _ := g.CompactContext(context.Background())
	return c
}

// CompactContext is Compact, stopping with ctx.Err() when ctx is done.
func (g *Graph) CompactContext(ctx context.Context) (*Graph, error) {
	n := g.n
	if g.ring != nil || n < 2*ringSpan+2 {
		return g, nil
	}
	ring := make([]uint8, n)
	xOff := make([]uint16, n+1)
	count := make([]int32, n) // extras per vertex
	if err := forCtx(ctx, n, 1<<14, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			var r uint8
			c := int32(0)
			for _, a := range g.adj[g.start[v]:g.start[v+1]] {
				d := int(a) - v
				if d < 0 {
					d += n
				}
				switch {
				case d >= 1 && d <= ringSpan:
					r |= 1 << (d - 1)
				case d >= n-ringSpan: // a tie to v-j, kept in (v-j)'s byte
				default:
					c++
				}
			}
			ring[v], count[v] = r, c
		}
	}); err != nil {
		return nil, err
	}
	xBase, total, ok := extraOffsets(count, xOff)
	if !ok {
		return g, nil // a block lists too many extras for uint16 offsets
	}
	c := &Graph{n: n, ends: g.ends, ring: ring, xBase: xBase, xOff: xOff, extra: make([]int32, total)}
	if c.Bytes() >= g.Bytes() {
		return g, nil
	}
	if err := forCtx(ctx, n, 1<<14, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			w := c.extraStart(v)
			for _, a := range g.adj[g.start[v]:g.start[v+1]] {
				d := int(a) - v
				if d < 0 {
					d += n
				}
				if d > ringSpan && d < n-ringSpan {
					c.extra[w] = a
					w++
				}
			}
		}
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// forCtx is par.For that skips the remaining chunks once ctx is done and
// then returns ctx.Err(): generators stop within one chunk of a signal.
func forCtx(ctx context.Context, n, chunk int, fn func(lo, hi int)) error {
	par.For(n, chunk, func(lo, hi int) {
		if ctx.Err() == nil {
			fn(lo, hi)
		}
	})
	return ctx.Err()
}

// stopEvery is how many iterations a serial loop of a generator runs
// between checks of its context.
const stopEvery = 1 << 22

// extraOffsets fills xOff (len n+1) from the number of extras per vertex
// and returns the blocks' bases and the total, or ok=false when a block of
// 64 vertices lists more extras than uint16 offsets reach.
func extraOffsets(count []int32, xOff []uint16) (xBase []int64, total int64, ok bool) {
	n := len(count)
	xBase = make([]int64, n>>xBlock+1)
	for v := 0; v <= n; v++ {
		if v&(1<<xBlock-1) == 0 {
			xBase[v>>xBlock] = total
		}
		within := total - xBase[v>>xBlock]
		if within > 0xffff {
			return nil, 0, false
		}
		xOff[v] = uint16(within)
		if v < n {
			total += int64(count[v])
		}
	}
	return xBase, total, true
}

// sortUnique sorts list, moves its distinct values to the front and returns
// how many there are.
func sortUnique(list []int32) int32 {
	slices.Sort(list)
	w := int32(0)
	for k, x := range list {
		if k == 0 || x != list[w-1] {
			list[w] = x
			w++
		}
	}
	return w
}

// FromEdges builds a simple undirected graph from an edge list: self loops
// are dropped, duplicate ties merged, and each neighbour list is sorted.
// Lists are sorted on all cores; the result does not depend on how many.
func FromEdges(n int, src, dst []int32) *Graph {
	g, _ := fromEdges(context.Background(), n, src, dst)
	return g
}

func fromEdges(ctx context.Context, n int, src, dst []int32) (*Graph, error) {
	// start holds degrees, then offsets, then (after the scatter) each
	// list's end, shifted back below.
	start := make([]int64, n+1)
	for k := range src {
		if src[k] != dst[k] {
			start[src[k]+1]++
			start[dst[k]+1]++
		}
	}
	for v := 1; v <= n; v++ {
		start[v] += start[v-1]
	}
	adj := make([]int32, start[n])
	for k := range src {
		if k%stopEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a, b := src[k], dst[k]
		if a == b {
			continue
		}
		adj[start[a]] = b
		start[a]++
		adj[start[b]] = a
		start[b]++
	}
	copy(start[1:], start[:n])
	start[0] = 0
	deg := make([]int32, n)
	for v := range deg {
		deg[v] = int32(start[v+1] - start[v])
	}
	return sortAndMerge(ctx, n, start, adj, deg)
}

// sortAndMerge sorts each vertex's list adj[start[v]:start[v]+count[v]]
// (slots run to start[v+1]), merges duplicates, and packs the lists to the
// left, updating start. count is reused as scratch.
func sortAndMerge(ctx context.Context, n int, start []int64, adj []int32, count []int32) (*Graph, error) {
	if err := forCtx(ctx, n, 1<<14, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			count[v] = sortUnique(adj[start[v] : start[v]+int64(count[v])])
		}
	}); err != nil {
		return nil, err
	}
	w := int64(0)
	for v := 0; v < n; v++ {
		s := start[v]
		start[v] = w
		copy(adj[w:], adj[s:s+int64(count[v])])
		w += int64(count[v])
	}
	start[n] = w
	return plain(start, slices.Clip(adj[:w])), nil
}

// WattsStrogatz builds a ring lattice where each vertex is tied to its k
// nearest neighbours (k/2 on each side), then rewires the far end of each
// lattice tie with probability p to a uniformly random other vertex.
// Rewired ties that duplicate an existing tie are dropped, so the mean degree
// can fall a hair below k (by about p x k^2/N).
//
// It is built directly rather than through FromEdges: the lattice ties of a
// vertex are known from its index, so only the rewired ties (a fraction p)
// are scattered; the rest is filled, sorted and merged on all cores. The
// graph is the same as FromEdges would make of the same ties (tested).
func WattsStrogatz(n, k int, p float64, seed uint64) *Graph {
	g, _ := WattsStrogatzContext(context.Background(), n, k, p, seed)
	return g
}

// WattsStrogatzContext is WattsStrogatz, stopping with ctx.Err() when ctx
// is done.
func WattsStrogatzContext(ctx context.Context, n, k int, p float64, seed uint64) (*Graph, error) {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n), nil
	}
	ws, err := newWSTies(ctx, n, half, p, seed)
	if err != nil {
		return nil, err
	}
	const chunk = wsChunk
	chunks := (n + chunk - 1) / chunk
	// Degrees without the rewired ties' far ends, and those ties by chunk.
	start := make([]int64, n+1)
	rewired := make([][]int32, chunks) // pairs (from, to)
	if err := forCtx(ctx, n, chunk, func(lo, hi int) {
		var far []int32
		for v := lo; v < hi; v++ {
			d := int64(0)
			for j := 1; j <= half; j++ {
				t, rw := ws.target(v, j)
				if t != int32(v) {
					d++
					if rw {
						far = append(far, int32(v), t)
					}
				}
				if ws.from(v, j) >= 0 {
					d++
				}
			}
			start[v+1] = d
		}
		rewired[lo/chunk] = far
	}); err != nil {
		return nil, err
	}
	for _, far := range rewired {
		for k := 1; k < len(far); k += 2 {
			start[far[k]+1]++
		}
	}
	for v := 1; v <= n; v++ {
		start[v] += start[v-1]
	}
	adj := make([]int32, start[n])
	fill := make([]int32, n) // entries written so far per vertex
	if err := forCtx(ctx, n, chunk, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			// Nearly sorted already (v-half, ..., v-1, v+1, ..., v+half),
			// which the insertion sort below finishes in one sweep.
			w := start[v]
			for j := half; j >= 1; j-- {
				if u := ws.from(v, j); u >= 0 {
					adj[w] = u
					w++
				}
			}
			for j := 1; j <= half; j++ {
				if t, _ := ws.target(v, j); t != int32(v) {
					adj[w] = t
					w++
				}
			}
			fill[v] = int32(w - start[v])
		}
	}); err != nil {
		return nil, err
	}
	for _, far := range rewired {
		for k := 0; k+1 < len(far); k += 2 {
			from, to := far[k], far[k+1]
			adj[start[to]+int64(fill[to])] = from
			fill[to]++
		}
	}
	rewired, ws.rewired = nil, nil
	return sortAndMerge(ctx, n, start, adj, fill)
}

const wsChunk = 1 << 14 // vertices per chunk of work (a multiple of 64)

// newWSTies draws which ties are rewired: one draw per tie, kept as a bit
// set indexed by tie (v*half + j-1). A chunk's ties fill whole words, so
// chunks write disjoint words.
func newWSTies(ctx context.Context, n, half int, p float64, seed uint64) (*wsTies, error) {
	ws := &wsTies{n: n, half: half, p: p, coin: rng.Key(seed, "netgraph/ws/rewire"), pick: rng.Key(seed, "netgraph/ws/target")}
	ws.rewired = make([]uint64, (n*half+63)/64)
	if p > 0 {
		if err := forCtx(ctx, n, wsChunk, func(lo, hi int) {
			for e := lo * half; e < hi*half; e++ {
				if rng.Float(ws.coin, uint64(e)) < p {
					ws.rewired[e/64] |= 1 << uint(e%64)
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// WattsStrogatzCompact is WattsStrogatz(n, k, p, seed).Compact() built
// directly: unrewired lattice ties go straight to ring bytes and only the
// rewired ties are scattered and sorted, so the plain form (48 bytes per
// vertex at degree 10) is never built. Same ties, same order (tested).
func WattsStrogatzCompact(n, k int, p float64, seed uint64) *Graph {
	g, _ := WattsStrogatzCompactContext(context.Background(), n, k, p, seed)
	return g
}

// viaPlain builds the plain graph and compacts it.
func viaPlain(ctx context.Context, n, k int, p float64, seed uint64) (*Graph, error) {
	g, err := WattsStrogatzContext(ctx, n, k, p, seed)
	if err != nil {
		return nil, err
	}
	return g.CompactContext(ctx)
}

// WattsStrogatzCompactContext is WattsStrogatzCompact, stopping with
// ctx.Err() when ctx is done.
func WattsStrogatzCompactContext(ctx context.Context, n, k int, p float64, seed uint64) (*Graph, error) {
	half := k / 2
	if n < 2*ringSpan+2 || half == 0 || half > ringSpan {
		return viaPlain(ctx, n, k, p, seed)
	}
	ws, err := newWSTies(ctx, n, half, p, seed)
	if err != nil {
		return nil, err
	}
	ring := make([]uint8, n)
	chunks := (n + wsChunk - 1) / wsChunk
	far := make([][]int32, chunks) // rewired ties (v, t) by chunk, t != v
	if err := forCtx(ctx, n, wsChunk, func(lo, hi int) {
		var list []int32
		for v := lo; v < hi; v++ {
			var r uint8
			for j := 1; j <= half; j++ {
				t, rw := ws.target(v, j)
				switch {
				case !rw:
					r |= 1 << (j - 1)
				case t != int32(v):
					list = append(list, int32(v), t)
				}
			}
			ring[v] = r
		}
		far[lo/wsChunk] = list
	}); err != nil {
		return nil, err
	}
	ws.rewired = nil
	// A rewired tie between ids at most ringSpan apart is a ring bit (of
	// the lower id, mod n); the others are extras at both ends, and stay
	// in the lists.
	count := make([]int32, n)
	for c, list := range far {
		w := 0
		for k := 0; k+1 < len(list); k += 2 {
			v, t := int(list[k]), int(list[k+1])
			d := t - v
			if d < 0 {
				d += n
			}
			switch {
			case d <= ringSpan:
				ring[v] |= 1 << (d - 1)
			case d >= n-ringSpan:
				ring[t] |= 1 << (n - d - 1)
			default:
				count[v]++
				count[t]++
				list[w], list[w+1] = int32(v), int32(t)
				w += 2
			}
		}
		far[c] = list[:w]
	}
	xOff := make([]uint16, n+1)
	xBase, total, ok := extraOffsets(count, xOff)
	if !ok {
		return viaPlain(ctx, n, k, p, seed)
	}
	c := &Graph{n: n, ring: ring, xBase: xBase, xOff: xOff, extra: make([]int32, total)}
	clear(count) // now: extras written per vertex
	for _, list := range far {
		for k := 0; k+1 < len(list); k += 2 {
			v, t := int(list[k]), int(list[k+1])
			c.extra[c.extraStart(v)+int64(count[v])] = int32(t)
			count[v]++
			c.extra[c.extraStart(t)+int64(count[t])] = int32(v)
			count[t]++
		}
	}
	// Sort each vertex's extras and drop duplicates (two rewired ties
	// between the same pair), then pack them if any were dropped.
	if err := forCtx(ctx, n, wsChunk, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			count[v] = sortUnique(c.extra[c.extraStart(v) : c.extraStart(v)+int64(count[v])])
		}
	}); err != nil {
		return nil, err
	}
	kept := int64(0)
	for _, x := range count {
		kept += int64(x)
	}
	if kept < total {
		packed := make([]int32, 0, kept)
		for v := range n {
			packed = append(packed, c.extra[c.extraStart(v):c.extraStart(v)+int64(count[v])]...)
		}
		c.xBase, _, _ = extraOffsets(count, c.xOff) // fewer extras: cannot overflow
		c.extra = packed
	}
	ringTies := int64(0)
	for _, r := range ring {
		ringTies += int64(bits.OnesCount8(r))
	}
	c.ends = 2*ringTies + int64(len(c.extra))
	return c, nil
}

// wsTies computes the ties of a Watts-Strogatz graph from counter-based
// draws: tie (v, j) joins v to v+j unless it is rewired.
type wsTies struct {
	n, half    int
	p          float64
	coin, pick uint64
	rewired    []uint64 // bit set over ties v*half + j-1
}

func (ws *wsTies) isRewired(v, j int) bool {
	e := uint(v*ws.half + j - 1)
	return ws.rewired[e>>6]>>(e&63)&1 != 0
}

// target is the far end of tie (v, j), and whether it was rewired.
func (ws *wsTies) target(v, j int) (int32, bool) {
	if ws.isRewired(v, j) {
		e := uint64(v*ws.half + j - 1)
		var t int32
		for r := uint64(0); ; r++ {
			t = int32(rng.Below(ws.pick, e*16+r, uint64(ws.n)))
			if t != int32(v) || r == 15 {
				return t, true
			}
		}
	}
	t := v + j
	for t >= ws.n {
		t -= ws.n
	}
	return int32(t), false
}

// from is the vertex u whose lattice tie (u, j) reaches v unrewired, or -1.
func (ws *wsTies) from(v, j int) int32 {
	u := v - j
	for u < 0 {
		u += ws.n
	}
	if u == v || ws.isRewired(u, j) {
		return -1
	}
	return int32(u)
}

// Homophilous builds an acquaintance graph with both homophily and
// triangles. Each vertex makes k/2 ties. With probability h a tie stays in
// the vertex's own bucket (same group and region); otherwise its other end
// is drawn uniformly from everyone outside the bucket, so h is the expected
// share of ties within buckets (less the few duplicates dropped). A tie
// kept in the bucket joins the vertex to the j-th next member of its
// bucket, the members taken in id order as a ring (a Watts-Strogatz lattice
// per bucket, which is where the triangles come from), except that with
// probability q it goes to a member drawn uniformly from the bucket
// instead. HomophilousRewire chooses q for a target clustering.
//
// Draws are keyed by (seed, tie), so the graph does not depend on the
// number of cores.
func Homophilous(n, k int, h, q float64, bucket []uint16, seed uint64) *Graph {
	g, _ := HomophilousContext(context.Background(), n, k, h, q, bucket, seed)
	return g
}

// HomophilousContext is Homophilous, stopping with ctx.Err() when ctx is
// done.
func HomophilousContext(ctx context.Context, n, k int, h, q float64, bucket []uint16, seed uint64) (*Graph, error) {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n), nil
	}
	// Members of each bucket, in id order, and each vertex's place there.
	nb := 0
	for _, b := range bucket {
		nb = max(nb, int(b)+1)
	}
	start := make([]int, nb+1)
	for _, b := range bucket {
		start[b+1]++
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	members := make([]int32, n)
	place := make([]int32, n)
	fill := append([]int(nil), start[:nb]...)
	for v, b := range bucket {
		members[fill[b]] = int32(v)
		place[v] = int32(fill[b] - start[b])
		fill[b]++
	}
	m := n * half
	src := make([]int32, m)
	dst := make([]int32, m)
	coin := rng.Key(seed, "netgraph/homophily/coin")
	rewire := rng.Key(seed, "netgraph/homophily/rewire")
	pick := rng.Key(seed, "netgraph/homophily/target")
	if err := forCtx(ctx, n, 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b := bucket[i]
			same := members[start[b]:start[b+1]]
			size := len(same)
			for j := 1; j <= half; j++ {
				e := uint64(i*half + j - 1)
				t := int32(i)
				inBucket := size > 1 && (size == n || rng.Float(coin, e) < h)
				switch {
				case !inBucket:
					// Uniform over the members of every other bucket: the
					// members array without this bucket's run.
					r := int(rng.Below(pick, e, uint64(n-size)))
					if r >= start[b] {
						r += size
					}
					t = members[r]
				case rng.Float(rewire, e) < q:
					for r := uint64(0); r < 16 && t == int32(i); r++ {
						t = same[rng.Below(pick, e*16+r, uint64(size))]
					}
				default:
					t = same[(int(place[i])+j)%size]
				}
				src[e], dst[e] = int32(i), t
			}
		}
	}); err != nil {
		return nil, err
	}
	return fromEdges(ctx, n, src, dst)
}

// latticeClustering is the clustering of a ring lattice of even degree k,
// 3(k-2)/(4(k-1)) (Watts and Strogatz 1998).
func latticeClustering(k int) float64 {
	if k < 4 {
		return 0
	}
	return 3 * float64(k-2) / (4 * float64(k-1))
}

// MaxHomophilousClustering is the clustering Homophilous reaches with no
// rewiring inside buckets, about C0 h^3 where C0 is the lattice's.
func MaxHomophilousClustering(k int, h float64) float64 {
	return latticeClustering(k) * h * h * h
}

// HomophilousRewire returns the in-bucket rewiring probability q at which
// Homophilous has mean local clustering about c. A triangle of the bucket
// lattice survives when its three ties are lattice ties, each with
// probability h(1-q), as in Barrat and Weigt's C(p) = C0 (1-p)^3 for the
// Watts-Strogatz model; so c = C0 (h(1-q))^3. ok is false when c is out of
// reach (above MaxHomophilousClustering, or negative).
func HomophilousRewire(k int, h, c float64) (q float64, ok bool) {
	c0 := latticeClustering(k)
	if c < 0 || h <= 0 || c0 == 0 || c > MaxHomophilousClustering(k, h)*(1+1e-12) {
		return 0, c == 0
	}
	q = 1 - math.Cbrt(c/c0)/h
	return min(max(q, 0), 1), true
}

// ShareWithin returns the share of ties whose two ends have the same label,
// over the ties of up to sample vertices chosen evenly through the id range
// as Clustering chooses them (all when sample <= 0 or >= N); 0 when those
// vertices have no ties.
func (g *Graph) ShareWithin(label func(v int32) int, sample int) float64 {
	step := 1
	if sample > 0 && g.n > sample {
		step = g.n / sample
	}
	var buf []int32
	same, all := int64(0), int64(0)
	for v := 0; v < g.n; v += step {
		nb := g.Neighbours(int32(v), buf)
		buf = nb[:0]
		lv := label(int32(v))
		for _, u := range nb {
			if label(u) == lv {
				same++
			}
		}
		all += int64(len(nb))
	}
	if all == 0 {
		return 0
	}
	return float64(same) / float64(all)
}

// DegreeHistogram returns the number of vertices of each degree 0..max,
// with every degree of at least limit counted in the last entry (limit > 0).
func (g *Graph) DegreeHistogram(limit int) []int64 {
	top := min(g.MaxDegree(), limit)
	h := make([]int64, top+1)
	for v := range int32(g.n) {
		h[min(g.Degree(v), top)]++
	}
	return h
}

// Clustering returns the mean local clustering coefficient over up to
// sample vertices chosen evenly through the id range (all when sample >= N).
// Vertices of degree < 2 count as 0, as in networkx's average_clustering.
func (g *Graph) Clustering(sample int) float64 {
	n := g.N()
	if n == 0 {
		return 0
	}
	step := 1
	if sample > 0 && n > sample {
		step = n / sample
	}
	total, count := 0.0, 0
	var buf, buf2 []int32
	for v := 0; v < n; v += step {
		nb := g.Neighbours(int32(v), buf)
		buf = nb[:0]
		count++
		if len(nb) < 2 {
			continue
		}
		links := 0
		for _, a := range nb {
			nb2 := g.Neighbours(a, buf2)
			buf2 = nb2[:0]
			links += intersect(nb, nb2)
		}
		// Each link between neighbours is counted twice.
		total += float64(links) / float64(len(nb)*(len(nb)-1))
	}
	return total / float64(count)
}

func intersect(a, b []int32) int {
	i, j, c := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			c++
			i++
			j++
		}
	}
	return c
}
