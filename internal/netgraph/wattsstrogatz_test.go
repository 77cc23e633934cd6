package netgraph

import (
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

func TestWattsStrogatz(t *testing.T) {
	g := WattsStrogatz(10000, 10, 0.1, 1)
	checkSimple(t, g)
	if d := g.MeanDegree(); d < 9.99 || d > 10 {
		t.Errorf("mean degree %v, want 10 (less a hair for dropped duplicates)", d)
	}
	// Clustering of a k=10 ring lattice is 2/3 x (k-2)/(k-1) = 0.667; WS
	// rewiring at p=0.1 keeps about (1-p)^3 of it.
	if c := g.Clustering(0); c < 0.45 || c > 0.52 {
		t.Errorf("clustering %v, want about 0.667 x 0.729 = 0.486", c)
	}
	lattice := WattsStrogatz(1000, 10, 0, 1)
	if c := lattice.Clustering(0); c < 0.666 || c > 0.667 {
		t.Errorf("ring lattice clustering %v, want 0.6667", c)
	}
	if !sameGraph(WattsStrogatz(5000, 6, 0.3, 9), WattsStrogatz(5000, 6, 0.3, 9)) {
		t.Error("same seed, different graphs")
	}
	if sameGraph(WattsStrogatz(5000, 6, 0.3, 9), WattsStrogatz(5000, 6, 0.3, 10)) {
		t.Error("different seeds, same graph")
	}
}

// wsEdgeList is the Watts-Strogatz tie list as first written: every
// lattice tie (i, i+j), its far end rewired with probability p.
func wsEdgeList(n, k int, p float64, seed uint64) (src, dst []int32) {
	half := k / 2
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
			src, dst = append(src, int32(i)), append(dst, t)
		}
	}
	return src, dst
}

func TestWattsStrogatzEqualsItsTieList(t *testing.T) {
	for _, c := range []struct {
		n, k int
		p    float64
	}{{2, 2, 0}, {3, 4, 0.5}, {5, 10, 0.3}, {11, 4, 0}, {100, 6, 1}, {1000, 10, 0.1}, {70000, 10, 0.1}, {3000, 200, 0.2}, {20000, 2, 0.5}} {
		src, dst := wsEdgeList(c.n, c.k, c.p, 9)
		want := FromEdges(c.n, src, dst)
		got := WattsStrogatz(c.n, c.k, c.p, 9)
		if !slices.Equal(got.start, want.start) || !slices.Equal(got.adj, want.adj) {
			t.Errorf("n=%d k=%d p=%v: direct build differs from FromEdges of the same ties", c.n, c.k, c.p)
		}
		checkSimple(t, got)
	}
}
