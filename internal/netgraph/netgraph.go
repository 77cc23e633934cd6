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
