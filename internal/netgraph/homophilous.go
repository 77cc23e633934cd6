// The homophilous generator, and the rewiring that sets its clustering.

package netgraph

import (
	"context"
	"math"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// Homophilous builds an acquaintance graph with both homophily and
// triangles. Each vertex makes k/2 ties. With probability h a tie stays in
// the vertex's own bucket (same group and region); otherwise its other end
// is drawn uniformly from everyone outside the bucket, so h is the expected
// share of ties within buckets (less the few duplicates dropped). A tie
// kept in the bucket joins the vertex to the j-th next member of its
// bucket, the members taken in id order as a ring (a Watts-Strogatz lattice
// per bucket, which is where the triangles come from), except that with
// probability q it goes to a member drawn uniformly from the bucket
// instead. HomophilousRewire chooses q for a target clustering.
//
// Draws are keyed by (seed, tie), so the graph does not depend on the
// number of cores.
func Homophilous(n, k int, h, q float64, bucket []uint16, seed uint64) *Graph {
	g, _ := HomophilousContext(context.Background(), n, k, h, q, bucket, seed)
	return g
}

// HomophilousContext is Homophilous, stopping with ctx.Err() when ctx is
// done.
func HomophilousContext(ctx context.Context, n, k int, h, q float64, bucket []uint16, seed uint64) (*Graph, error) {
	half := k / 2
	if n < 2 || half == 0 {
		return Empty(n), nil
	}
	// Members of each bucket, in id order, and each vertex's place there.
	nb := 0
	for _, b := range bucket {
		nb = max(nb, int(b)+1)
	}
	start := make([]int, nb+1)
	for _, b := range bucket {
		start[b+1]++
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	members := make([]int32, n)
	place := make([]int32, n)
	fill := append([]int(nil), start[:nb]...)
	for v, b := range bucket {
		members[fill[b]] = int32(v)
		place[v] = int32(fill[b] - start[b])
		fill[b]++
	}
	m := n * half
	src := make([]int32, m)
	dst := make([]int32, m)
	coin := rng.Key(seed, "netgraph/homophily/coin")
	rewire := rng.Key(seed, "netgraph/homophily/rewire")
	pick := rng.Key(seed, "netgraph/homophily/target")
	if err := forCtx(ctx, n, 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b := bucket[i]
			same := members[start[b]:start[b+1]]
			size := len(same)
			for j := 1; j <= half; j++ {
				e := uint64(i*half + j - 1)
				t := int32(i)
				inBucket := size > 1 && (size == n || rng.Float(coin, e) < h)
				switch {
				case !inBucket:
					// Uniform over the members of every other bucket: the
					// members array without this bucket's run.
					r := int(rng.Below(pick, e, uint64(n-size)))
					if r >= start[b] {
						r += size
					}
					t = members[r]
				case rng.Float(rewire, e) < q:
					for r := uint64(0); r < 16 && t == int32(i); r++ {
						t = same[rng.Below(pick, e*16+r, uint64(size))]
					}
				default:
					t = same[(int(place[i])+j)%size]
				}
				src[e], dst[e] = int32(i), t
			}
		}
	}); err != nil {
		return nil, err
	}
	return fromEdges(ctx, n, src, dst)
}

// latticeClustering is the clustering of a ring lattice of even degree k,
// 3(k-2)/(4(k-1)) (Watts and Strogatz 1998).
func latticeClustering(k int) float64 {
	if k < 4 {
		return 0
	}
	return 3 * float64(k-2) / (4 * float64(k-1))
}

// MaxHomophilousClustering is the clustering Homophilous reaches with no
// rewiring inside buckets, about C0 h^3 where C0 is the lattice's.
func MaxHomophilousClustering(k int, h float64) float64 {
	return latticeClustering(k) * h * h * h
}

// HomophilousRewire returns the in-bucket rewiring probability q at which
// Homophilous has mean local clustering about c. A triangle of the bucket
// lattice survives when its three ties are lattice ties, each with
// probability h(1-q), as in Barrat and Weigt's C(p) = C0 (1-p)^3 for the
// Watts-Strogatz model; so c = C0 (h(1-q))^3. ok is false when c is out of
// reach (above MaxHomophilousClustering, or negative).
func HomophilousRewire(k int, h, c float64) (q float64, ok bool) {
	c0 := latticeClustering(k)
	if c < 0 || h <= 0 || c0 == 0 || c > MaxHomophilousClustering(k, h)*(1+1e-12) {
		return 0, c == 0
	}
	q = 1 - math.Cbrt(c/c0)/h
	return min(max(q, 0), 1), true
}
