package netgraph

import (
	"slices"
	"testing"
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
