// Compact: re-encoding a plain graph in ring form.

package netgraph

import (
	"context"
)

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
