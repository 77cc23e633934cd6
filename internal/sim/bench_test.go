package sim

import (
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

func loadBuiltin(tb testing.TB, name string, sets ...string) (*scenario.Scenario, *scenario.Program) {
	tb.Helper()
	sc, err := scenario.Resolve(name, sets)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	return sc, prog
}

// BenchmarkStep measures one day of the benchmark scenario on 100,000 agents.
func BenchmarkStep(b *testing.B) {
	const n = 100_000
	sc, prog := loadBuiltin(b, "benchmark")
	pop := population.Generate(sc, n, 1)
	e := New(sc, prog, pop, 1<<30, 1, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "agent-days/s")
}
