// The Watts-Strogatz generator: counter-based draws of which lattice ties are
// rewired (wsTies), and the plain-form builder.

package netgraph

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

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
