package sim

import (
	"syscall"
	"testing"
	"time"

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

// cpuTime is the process's user plus system CPU time. Benchmarks report
// CPU nanoseconds per agent-day next to wall-clock throughput: on a shared,
// noisy machine CPU time moves far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchStep measures days of a built-in scenario on n agents.
func benchStep(b *testing.B, name string, n int) {
	sc, prog := loadBuiltin(b, name)
	pop := population.Generate(sc, n, 1)
	e := New(sc, prog, pop, 1<<30, 1, Options{})
	e.Step() // the first day sizes the reusable buffers
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		if _, _, err := e.Step(); err != nil {
			b.Fatal(err)
		}
	}
	ad := float64(n) * float64(b.N)
	b.ReportMetric(ad/b.Elapsed().Seconds(), "agent-days/s")
	b.ReportMetric(float64(cpuTime()-c0)/ad, "cpu-ns/agent-day")
}

// BenchmarkStep measures one day of the benchmark scenario on 100,000 agents.
func BenchmarkStep(b *testing.B) { benchStep(b, "benchmark", 100_000) }

// BenchmarkStep1M measures one day of the benchmark scenario at the size
// of the throughput target, 1,000,000 agents, where the state no longer
// fits in the caches.
func BenchmarkStep1M(b *testing.B) { benchStep(b, "benchmark", 1_000_000) }

// BenchmarkStepBuiltins measures a day of every other built-in.
func BenchmarkStepBuiltins(b *testing.B) {
	for _, name := range []string{"xinjiang-pilot", "chongqing-pilot", "court-blacklist", "us-credit", "nosedive", "nationwide-2020"} {
		b.Run(name, func(b *testing.B) { benchStep(b, name, 100_000) })
	}
}
