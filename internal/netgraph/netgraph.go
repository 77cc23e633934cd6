// Package netgraph builds and stores the acquaintance graph: undirected,
// simple (no self-loops, no duplicate ties), in compressed sparse row form
// with int32 agent ids. Generators are deterministic functions of their
// seed: the same inputs give the same graph on any machine.
package netgraph

import (
	"slices"

	"github.com/nosedive-lab/nosedive/internal/par"
	"github.com/nosedive-lab/nosedive/internal/rng"
)

// CSR is an undirected graph: the neighbours of v are Adj[Start[v]:Start[v+1]],
// sorted ascending. Each tie appears once in each direction.
type CSR struct {
	Start []int64 // len N+1; int64 because 1.4e9 agents x 10 ties overflows uint32
	Adj   []int32
}

// N returns the number of vertices.
func (g *CSR) N() int { return len(g.Start) - 1 }

// Degree returns v's number of neighbours.
func (g *CSR) Degree(v int32) int { return int(g.Start[v+1] - g.Start[v]) }

// Neighbours returns v's neighbours (shared, do not modify).
func (g *CSR) Neighbours(v int32) []int32 { return g.Adj[g.Start[v]:g.Start[v+1]] }

// MaxDegree is the largest degree in the graph (0 when it has no nodes).
func (g *CSR) MaxDegree() int {
	m := int64(0)
	for v := 1; v < len(g.Start); v++ {
		m = max(m, g.Start[v]-g.Start[v-1])
	}
	return int(m)
}

// Edges returns the number of undirected ties.
func (g *CSR) Edges() int64 { return int64(len(g.Adj)) / 2 }

// MeanDegree returns 2E/N.
func (g *CSR) MeanDegree() float64 {
	if g.N() == 0 {
		return 0
	}
	return float64(len(g.Adj)) / float64(g.N())
}

// Empty returns a graph of n vertices and no ties.
func Empty(n int) *CSR {
	return &CSR{Start: make([]int64, n+1)}
}

// FromEdges builds a simple undirected graph from an edge list: self loops
// are dropped, duplicate ties merged, and each neighbour list is sorted.
// Lists are sorted on all cores; the result does not depend on how many.
func FromEdges(n int, src, dst []int32) *CSR {
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
	return sortAndMerge(n, start, adj, deg)
}

// sortAndMerge sorts each vertex's list adj[start[v]:start[v]+count[v]]
// (slots run to start[v+1]), merges duplicates, and packs the lists to the
// left, updating start. count is reused as scratch.
func sortAndMerge(n int, start []int64, adj []int32, count []int32) *CSR {
	par.For(n, 1<<14, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			list := adj[start[v] : start[v]+int64(count[v])]
			slices.Sort(list)
			w := 0
			for k, x := range list {
				if k == 0 || x != list[w-1] {
					list[w] = x
					w++
				}
			}
			count[v] = int32(w)
		}
	})
	w := int64(0)
	for v := 0; v < n; v++ {
		s := start[v]
		start[v] = w
		copy(adj[w:], adj[s:s+int64(count[v])])
		w += int64(count[v])
	}
	start[n] = w
	return &CSR{Start: start, Adj: slices.Clip(adj[:w])}
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
func WattsStrogatz(n, k int, p float64, seed uint64) *CSR {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n)
	}
	ws := wsTies{n: n, half: half, p: p, coin: rng.Key(seed, "netgraph/ws/rewire"), pick: rng.Key(seed, "netgraph/ws/target")}
	const chunk = 1 << 14
	chunks := (n + chunk - 1) / chunk
	// Which ties are rewired: one draw per tie, kept as a bit set indexed
	// by tie (v*half + j-1). A chunk's ties fill whole words (chunk is a
	// multiple of 64), so chunks write disjoint words.
	ws.rewired = make([]uint64, (n*half+63)/64)
	if p > 0 {
		par.For(n, chunk, func(lo, hi int) {
			for e := lo * half; e < hi*half; e++ {
				if rng.Float(ws.coin, uint64(e)) < p {
					ws.rewired[e/64] |= 1 << uint(e%64)
				}
			}
		})
	}
	// Degrees without the rewired ties' far ends, and those ties by chunk.
	start := make([]int64, n+1)
	rewired := make([][]int32, chunks) // pairs (from, to)
	par.For(n, chunk, func(lo, hi int) {
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
	})
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
	par.For(n, chunk, func(lo, hi int) {
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
	})
	for _, far := range rewired {
		for k := 0; k+1 < len(far); k += 2 {
			from, to := far[k], far[k+1]
			adj[start[to]+int64(fill[to])] = from
			fill[to]++
		}
	}
	rewired, ws.rewired = nil, nil
	return sortAndMerge(n, start, adj, fill)
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

// Homophilous ties each vertex to k/2 others; with probability h the other
// end is drawn from the vertex's own bucket (same group and region), else
// from everyone. Duplicates are dropped.
func Homophilous(n, k int, h float64, bucket []uint16, seed uint64) *CSR {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n)
	}
	// Members of each bucket, in id order.
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
	fill := append([]int(nil), start[:nb]...)
	for v, b := range bucket {
		members[fill[b]] = int32(v)
		fill[b]++
	}
	m := n * half
	src := make([]int32, m)
	dst := make([]int32, m)
	coin := rng.Key(seed, "netgraph/homophily/coin")
	pick := rng.Key(seed, "netgraph/homophily/target")
	par.For(n, 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b := bucket[i]
			same := members[start[b]:start[b+1]]
			for j := 0; j < half; j++ {
				e := uint64(i*half + j)
				t := int32(i)
				inBucket := len(same) > 1 && rng.Float(coin, e) < h
				for r := uint64(0); r < 16 && t == int32(i); r++ {
					if inBucket {
						t = same[rng.Below(pick, e*16+r, uint64(len(same)))]
					} else {
						t = int32(rng.Below(pick, e*16+r, uint64(n)))
					}
				}
				src[e], dst[e] = int32(i), t
			}
		}
	})
	return FromEdges(n, src, dst)
}

// Clustering returns the mean local clustering coefficient over up to
// sample vertices chosen evenly through the id range (all when sample >= N).
// Vertices of degree < 2 count as 0, as in networkx's average_clustering.
func (g *CSR) Clustering(sample int) float64 {
	n := g.N()
	if n == 0 {
		return 0
	}
	step := 1
	if sample > 0 && n > sample {
		step = n / sample
	}
	total, count := 0.0, 0
	for v := 0; v < n; v += step {
		nb := g.Neighbours(int32(v))
		count++
		if len(nb) < 2 {
			continue
		}
		links := 0
		for _, a := range nb {
			links += intersect(nb, g.Neighbours(a))
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
