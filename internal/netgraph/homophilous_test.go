package netgraph

import (
	"math"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

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
