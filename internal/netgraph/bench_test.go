package netgraph

import "testing"

// BenchmarkWattsStrogatz builds a 1,000,000-node small world of mean
// degree 10.
func BenchmarkWattsStrogatz(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	for b.Loop() {
		WattsStrogatz(n, 10, 0.1, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
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
		Homophilous(n, 10, 0.8, bucket, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
}
