package netgraph

import (
	"slices"
	"testing"
)

// Built directly, the ring form is the one Compact makes of the plain
// graph, array for array (duplicate rewired ties, wrap-around near both
// ends and degrees past the ring included).
func TestWattsStrogatzCompactIsCompact(t *testing.T) {
	for _, c := range []struct {
		n, k int
		p    float64
	}{{18, 4, 0.2}, {19, 16, 0.1}, {30, 16, 1}, {40, 8, 0.5}, {1000, 10, 0.1}, {70000, 10, 0.1}, {5000, 16, 0}, {5000, 10, 1},
		{5000, 20, 0.05}, {17, 4, 0.1}, {3, 2, 0.5}} {
		want := WattsStrogatz(c.n, c.k, c.p, 11).Compact()
		got := WattsStrogatzCompact(c.n, c.k, c.p, 11)
		if !sameGraph(got, want) || got.Compacted() != want.Compacted() ||
			!slices.Equal(got.ring, want.ring) || !slices.Equal(got.xOff, want.xOff) || !slices.Equal(got.xBase, want.xBase) || !slices.Equal(got.extra, want.extra) {
			t.Errorf("n=%d k=%d p=%v: the direct build differs from compacting the plain graph", c.n, c.k, c.p)
		}
		checkSimple(t, got)
	}
}
