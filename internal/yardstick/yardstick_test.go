package yardstick

import (
	"math"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/reference"
)

func run(t testing.TB, n, days int, seed uint64, layout Layout, workers int) *World {
	w, err := New(n, seed, layout, workers)
	if err != nil {
		t.Fatal(err)
	}
	for range days {
		w.Step()
	}
	return w
}

// The yardstick does the benchmark scenario's work: it agrees with the
// independent reference implementation as closely as the engine must
// (TestEngineAgreesWithReference: mean score per group within 0.5%, tier
// and sanction shares within one percentage point).
func TestAgreesWithReference(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size agreement run skipped with -short")
	}
	const n, days = 100_000, 365
	for _, seed := range []uint64{1, 2} {
		got := run(t, n, days, seed, Random, 2).Result()
		ref := reference.RunBenchmark(n, days, seed)
		for _, g := range []string{"a", "b"} {
			y, r := got.Groups[g], ref.Groups[g]
			if rel := math.Abs(y.MeanScore-r.MeanScore) / r.MeanScore; rel > 0.005 {
				t.Errorf("seed %d group %s: mean score %.2f, reference %.2f", seed, g, y.MeanScore, r.MeanScore)
			}
			for _, c := range []struct {
				what     string
				got, ref float64
			}{
				{"trustworthy", y.TierShare[reference.TierTrustworthy], r.TierShare[reference.TierTrustworthy]},
				{"average", y.TierShare[reference.TierAverage], r.TierShare[reference.TierAverage]},
				{"untrustworthy", y.TierShare[reference.TierUntrustworthy], r.TierShare[reference.TierUntrustworthy]},
				{"travel_ban", y.TravelBan, r.TravelBan},
				{"school_block", y.SchoolBlock, r.SchoolBlock},
			} {
				t.Logf("seed %d group %s %s: %.2f%% vs reference %.2f%%", seed, g, c.what, 100*c.got, 100*c.ref)
				if math.Abs(c.got-c.ref) > 0.01 {
					t.Errorf("seed %d group %s: %s %.2f%%, reference %.2f%%", seed, g, c.what, 100*c.got, 100*c.ref)
				}
			}
		}
	}
}

// Storing couples side by side and splitting the work change nothing: the
// draws are keyed by agent id, not by where an agent is stored.
func TestLayoutAndWorkersChangeNothing(t *testing.T) {
	want := run(t, 20_000, 60, 7, Random, 1)
	for _, c := range []struct {
		layout  Layout
		workers int
	}{{Random, 2}, {Adjacent, 1}, {Adjacent, 3}} {
		got := run(t, 20_000, 60, 7, c.layout, c.workers)
		if got.Aggregates() != want.Aggregates() {
			t.Errorf("layout %d, %d workers: aggregates %v, want %v", c.layout, c.workers, got.Aggregates(), want.Aggregates())
		}
	}
	if a := want.Aggregates(); a[0][4]+a[1][4] == 0 || a[0][6]+a[1][6] == 0 {
		t.Errorf("no one untrustworthy or school-blocked after 60 days: %v", a)
	}
}

// BenchmarkDay1M is a day of 1,000,000 agents: by layout and workers.
func BenchmarkDay1M(b *testing.B) {
	const n = 1_000_000
	for _, c := range []struct {
		name    string
		layout  Layout
		workers int
	}{{"random/workers=1", Random, 1}, {"random/workers=2", Random, 2}, {"adjacent/workers=1", Adjacent, 1}, {"adjacent/workers=2", Adjacent, 2}} {
		b.Run(c.name, func(b *testing.B) {
			w := run(b, n, 5, 1, c.layout, c.workers)
			for b.Loop() {
				w.Step()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / n
			b.ReportMetric(1e9/ns, "agent-days/s")
			b.ReportMetric(ns*float64(c.workers), "core-ns/agent-day")
		})
	}
}
