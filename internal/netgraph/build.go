// Building the plain (CSR) form from tie lists: scatter, sort and merge each
// vertex's list, on all cores; and the chunked loop every generator runs in.

package netgraph

import (
	"context"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/par"
)

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
