package netgraph

import "testing"

// BenchmarkWattsStrogatz builds a 1,000,000-node small world of mean
// degree 10: plain, and directly in ring form.
func BenchmarkWattsStrogatz(b *testing.B) {
	const n = 1_000_000
	for _, c := range []struct {
		name  string
		build func(n, k int, p float64, seed uint64) *Graph
	}{{"plain", WattsStrogatz}, {"ring", WattsStrogatzCompact}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.build(n, 10, 0.1, 1)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
		})
	}
}

// BenchmarkHomophilous builds a 1,000,000-node homophilous graph of mean
// degree 10 over 8 buckets.
func BenchmarkHomophilous(b *testing.B) {
	const n = 1_000_000
	bucket := make([]uint16, n)
	for i := range bucket {
		bucket[i] = uint16(i % 8)
	}
	b.ReportAllocs()
	for b.Loop() {
		Homophilous(n, 10, 0.8, 0.2, bucket, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
}

// BenchmarkNeighbours reads every vertex's neighbour list of a 1,000,000-node
// Watts-Strogatz graph (degree 10), plain and in ring form: the cost of
// decoding that acq.* rules pay.
func BenchmarkNeighbours(b *testing.B) {
	const n = 1_000_000
	g := WattsStrogatz(n, 10, 0.1, 1)
	for _, c := range []struct {
		name string
		g    *Graph
	}{{"plain", g}, {"ring", g.Compact()}} {
		b.Run(c.name, func(b *testing.B) {
			var buf [32]int32
			sum := int32(0)
			for b.Loop() {
				for v := int32(0); v < n; v++ {
					for _, a := range c.g.Neighbours(v, buf[:0]) {
						sum += a
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/vertex")
			b.ReportMetric(float64(c.g.Bytes())/n, "bytes/vertex")
			_ = sum
		})
	}
}
