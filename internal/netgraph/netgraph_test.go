package netgraph

import (
	"slices"
	"testing"
)

func checkSimple(t *testing.T, g *CSR) {
	t.Helper()
	for v := 0; v < g.N(); v++ {
		nb := g.Neighbours(int32(v))
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
			if _, ok := slices.BinarySearch(g.Neighbours(a), int32(v)); !ok {
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
	if !slices.Equal(WattsStrogatz(5000, 6, 0.3, 9).Adj, WattsStrogatz(5000, 6, 0.3, 9).Adj) {
		t.Error("same seed, different graphs")
	}
	if slices.Equal(WattsStrogatz(5000, 6, 0.3, 9).Adj, WattsStrogatz(5000, 6, 0.3, 10).Adj) {
		t.Error("different seeds, same graph")
	}
}

func TestHomophilous(t *testing.T) {
	n := 20000
	bucket := make([]uint16, n)
	for i := range bucket {
		bucket[i] = uint16(i % 4)
	}
	g := Homophilous(n, 10, 0.9, bucket, 3)
	checkSimple(t, g)
	same, all := 0, 0
	for v := 0; v < n; v++ {
		for _, a := range g.Neighbours(int32(v)) {
			all++
			if bucket[a] == bucket[v] {
				same++
			}
		}
	}
	// Within-bucket share: 0.9 by choice + 0.1 x 1/4 by chance = 0.925.
	if f := float64(same) / float64(all); f < 0.91 || f > 0.94 {
		t.Errorf("share of ties within the bucket %v, want about 0.925", f)
	}
}

func TestFromEdgesDropsLoopsAndDuplicates(t *testing.T) {
	g := FromEdges(4, []int32{0, 1, 0, 2, 3}, []int32{1, 0, 0, 3, 2})
	checkSimple(t, g)
	if g.Edges() != 2 {
		t.Errorf("%d edges, want 2", g.Edges())
	}
}

func BenchmarkWattsStrogatz(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	for b.Loop() {
		WattsStrogatz(n, 10, 0.1, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "agents/s")
}
