// The Watts-Strogatz generator building the ring form directly.

package netgraph

import (
	"context"
	"math/bits"
)

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
