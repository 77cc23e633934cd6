package population

import (
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// BenchmarkGenerate builds the benchmark scenario's population and network
// (Watts-Strogatz, mean degree 10) for 1,000,000 agents.
func BenchmarkGenerate(b *testing.B) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	b.ReportAllocs()
	for b.Loop() {
		Generate(sc, n, 1)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "agents/s")
}
