// Package netgraph builds and stores the acquaintance graph: undirected,
// simple (no self-loops, no duplicate ties), in compressed sparse row form
// with int32 agent ids. Generators are deterministic functions of their
// seed: the same inputs give the same graph on any machine.
package netgraph

import (
	"slices"

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

// FromEdges builds a simple undirected CSR from a list of ties given as
// (src[k], dst[k]); self-loops and duplicates are dropped.
func FromEdges(n int, src, dst []int32) *CSR {
	deg := make([]int64, n+1)
	for k := range src {
		if src[k] != dst[k] {
			deg[src[k]+1]++
			deg[dst[k]+1]++
		}
	}
	for v := 1; v <= n; v++ {
		deg[v] += deg[v-1]
	}
	adj := make([]int32, deg[n])
	fill := make([]int64, n)
	copy(fill, deg[:n])
	for k := range src {
		a, b := src[k], dst[k]
		if a == b {
			continue
		}
		adj[fill[a]] = b
		fill[a]++
		adj[fill[b]] = a
		fill[b]++
	}
	fill = nil
	// Sort each list and squeeze out duplicates in place.
	start := make([]int64, n+1)
	w := int64(0)
	for v := 0; v < n; v++ {
		list := adj[deg[v]:deg[v+1]]
		slices.Sort(list)
		start[v] = w
		var last int32 = -1
		for _, x := range list {
			if x != last {
				adj[w] = x
				w++
				last = x
			}
		}
	}
	start[n] = w
	return &CSR{Start: start, Adj: slices.Clip(adj[:w])}
}

// WattsStrogatz builds a ring lattice where each vertex is tied to its k
// nearest neighbours (k/2 on each side), then rewires the far end of each
// lattice tie with probability p to a uniformly random other vertex.
// Rewired ties that duplicate an existing tie are dropped, so the mean degree
// can fall a hair below k (by about p x k^2/N).
func WattsStrogatz(n, k int, p float64, seed uint64) *CSR {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n)
	}
	m := n * half
	src := make([]int32, m)
	dst := make([]int32, m)
	coin := rng.Key(seed, "netgraph/ws/rewire")
	pick := rng.Key(seed, "netgraph/ws/target")
	for i := 0; i < n; i++ {
		for j := 1; j <= half; j++ {
			e := uint64(i*half + j - 1)
			t := int32((i + j) % n)
			if p > 0 && rng.Float(coin, e) < p {
				for r := uint64(0); ; r++ {
					t = int32(rng.Below(pick, e*16+r, uint64(n)))
					if t != int32(i) || r == 15 {
						break
					}
				}
			}
			src[e], dst[e] = int32(i), t
		}
	}
	return FromEdges(n, src, dst)
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
	for i := 0; i < n; i++ {
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
