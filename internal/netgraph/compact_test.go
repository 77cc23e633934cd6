package netgraph

import (
	"testing"
)

// The ring form lists the same neighbours in the same order as the plain
// form, with the same degrees and summaries, at every size the ring can
// take (including the smallest, where ring bytes wrap around the ends) and
// for graphs it does not suit (which stay plain).
func TestCompactListsTheSameGraph(t *testing.T) {
	bucket := make([]uint16, 5000)
	for i := range bucket {
		bucket[i] = uint16(i % 3)
	}
	for _, c := range []struct {
		name    string
		g       *Graph
		compact bool // whether the ring form should be chosen
	}{
		{"ws 18", WattsStrogatz(18, 4, 0.2, 1), true},
		{"ws 19 k16", WattsStrogatz(19, 16, 0.1, 2), true},
		{"ws 40 k8 p0.5", WattsStrogatz(40, 8, 0.5, 3), true},
		{"ws 1000 k10", WattsStrogatz(1000, 10, 0.1, 4), true},
		{"ws 70000 k10", WattsStrogatz(70000, 10, 0.1, 5), true},
		{"ws lattice", WattsStrogatz(5000, 16, 0, 6), true},
		{"ws k20 (ties past the ring)", WattsStrogatz(5000, 20, 0.05, 7), true},
		// no ties on the ring, but 2 bytes of offsets instead of 8
		{"ws all rewired", WattsStrogatz(5000, 10, 1, 8), true},
		{"homophilous", Homophilous(5000, 10, 0.8, 0.2, bucket, 9), true},
		{"empty", Empty(100), true},
		{"too small", WattsStrogatz(17, 4, 0.1, 10), false},
		{"hub", FromEdges(200, make([]int32, 199), func() []int32 {
			d := make([]int32, 199)
			for k := range d {
				d[k] = int32(k + 1)
			}
			return d
		}()), true},
		{"dense (a block of 64 lists more than 65535 extras)", complete(1100), false},
	} {
		got := c.g.Compact()
		if got.Compacted() != c.compact {
			t.Errorf("%s: compacted %v, want %v (%d bytes plain, %d compact)", c.name, got.Compacted(), c.compact, c.g.Bytes(), got.Bytes())
		}
		if !sameGraph(c.g, got) {
			t.Fatalf("%s: the ring form lists different neighbours", c.name)
		}
		checkSimple(t, got)
		if got.MaxDegree() != c.g.MaxDegree() || got.MeanDegree() != c.g.MeanDegree() || got.Clustering(0) != c.g.Clustering(0) {
			t.Errorf("%s: summaries differ", c.name)
		}
		if got.Compact() != got {
			t.Errorf("%s: compacting twice made a new graph", c.name)
		}
	}
}

// complete is the complete graph on n vertices.
func complete(n int) *Graph {
	var src, dst []int32
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			src, dst = append(src, int32(a)), append(dst, int32(b))
		}
	}
	return FromEdges(n, src, dst)
}

// A Watts-Strogatz graph of degree 10 and rewiring 0.1 takes about 7 bytes
// per vertex in ring form, against 48 plain.
func TestCompactSize(t *testing.T) {
	n := 100000
	g := WattsStrogatz(n, 10, 0.1, 1)
	c := g.Compact()
	plain, ring := float64(g.Bytes())/float64(n), float64(c.Bytes())/float64(n)
	if plain < 47 || plain > 49 || ring > 7.5 {
		t.Errorf("bytes per vertex: plain %.1f, ring %.1f; want about 48 and 7", plain, ring)
	}
	t.Logf("bytes per vertex: plain %.2f, ring %.2f", plain, ring)
}

// Decoding into a caller's buffer that is large enough allocates nothing.
func TestCompactNeighboursDoesNotAllocate(t *testing.T) {
	c := WattsStrogatz(10000, 10, 0.1, 1).Compact()
	var buf [32]int32
	v := int32(0)
	if a := testing.AllocsPerRun(1000, func() {
		_ = c.Neighbours(v, buf[:0])
		v = (v + 7919) % 10000
	}); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}
