package netgraph

import (
	"math"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

func checkSimple(t *testing.T, g *Graph) {
	t.Helper()
	for v := 0; v < g.N(); v++ {
		nb := g.Neighbours(int32(v), nil)
		if !slices.IsSorted(nb) {
			t.Fatalf("neighbours of %d not sorted", v)
		}
		for k, a := range nb {
			if a == int32(v) {
				t.Fatalf("self-loop at %d", v)
			}
			if k > 0 && nb[k-1] == a {
				t.Fatalf("duplicate tie %d-%d", v, a)
			}
			if _, ok := slices.BinarySearch(g.Neighbours(a, nil), int32(v)); !ok {
				t.Fatalf("tie %d-%d not symmetric", v, a)
			}
		}
	}
}

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

// Homophilous reaches the homophily it is given (share of ties within a
// bucket, not a draw probability) and the clustering HomophilousRewire
// aims at, on uneven buckets (a large majority, small minorities) as the
// built-ins have them.
func TestHomophilous(t *testing.T) {
	n := 40000
	bucket := make([]uint16, n)
	for i := range bucket {
		switch x := rng.Below(rng.Key(7, "test"), uint64(i), 100); {
		case x < 60:
			bucket[i] = 0
		case x < 90:
			bucket[i] = 1
		case x < 98:
			bucket[i] = 2
		default:
			bucket[i] = 3
		}
	}
	for _, tc := range []struct {
		k    int
		h, c float64
	}{{10, 0.85, 0.3}, {10, 0.85, 0.1}, {10, 0.8, 0.2}, {12, 0.7, 0.15}, {10, 0.5, 0.05}, {10, 0.85, MaxHomophilousClustering(10, 0.85)}} {
		q, ok := HomophilousRewire(tc.k, tc.h, tc.c)
		if !ok {
			t.Fatalf("k=%d h=%v c=%v: out of reach", tc.k, tc.h, tc.c)
		}
		g := Homophilous(n, tc.k, tc.h, q, bucket, 3)
		checkSimple(t, g)
		within := g.ShareWithin(func(v int32) int { return int(bucket[v]) }, 0)
		cl := g.Clustering(0)
		t.Logf("k=%d h=%.2f target C=%.3f: q=%.3f within=%.4f clustering=%.4f mean degree=%.2f", tc.k, tc.h, tc.c, q, within, cl, g.MeanDegree())
		if math.Abs(within-tc.h) > 0.005 {
			t.Errorf("k=%d h=%v: share of ties within buckets %.4f, want %v within 0.005", tc.k, tc.h, within, tc.h)
		}
		if math.Abs(cl-tc.c) > 0.08*tc.c+0.005 {
			t.Errorf("k=%d h=%v: clustering %.4f, want %.3f within 8%% + 0.005", tc.k, tc.h, cl, tc.c)
		}
		if d := g.MeanDegree(); math.Abs(d-float64(tc.k)) > 0.1*float64(tc.k) {
			t.Errorf("k=%d: mean degree %.2f", tc.k, d)
		}
	}
	if _, ok := HomophilousRewire(10, 0.5, 0.3); ok {
		t.Error("clustering 0.3 with homophily 0.5 should be out of reach (max 0.083)")
	}
}

func TestFromEdgesDropsLoopsAndDuplicates(t *testing.T) {
	g := FromEdges(4, []int32{0, 1, 0, 2, 3}, []int32{1, 0, 0, 3, 2})
	checkSimple(t, g)
	if g.Edges() != 2 {
		t.Errorf("%d edges, want 2", g.Edges())
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

// sameGraph reports whether a and b list the same neighbours, in the same
// order, for every vertex.
func sameGraph(a, b *Graph) bool {
	if a.N() != b.N() || a.Edges() != b.Edges() {
		return false
	}
	var ba, bb [64]int32
	for v := int32(0); v < int32(a.N()); v++ {
		if !slices.Equal(a.Neighbours(v, ba[:0]), b.Neighbours(v, bb[:0])) || a.Degree(v) != b.Degree(v) {
			return false
		}
	}
	return true
}

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
