package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// TestBenchSeries: a --repeat series reports the median (the mean of the
// middle two for an even count) and the minimum of each figure, the best
// throughput, and the last run's high-water mark.
func TestBenchSeries(t *testing.T) {
	run := func(rate, cpu, setup float64, rss uint64) *BenchResult {
		return &BenchResult{Scenario: "benchmark", Agents: 1000, Days: 10, AgentDaysPerSec: rate, StepAgentDays: 2 * rate,
			CPUNanosPerAgentDay: cpu, SetupSeconds: setup, PeakRSS: rss, BytesPerAgent: float64(rss) / 1000, GraphForm: "ring"}
	}
	runs := []*BenchResult{run(3e6, 40, 0.5, 1<<20), run(1e6, 90, 0.2, 2<<20), run(4e6, 30, 0.4, 3<<20), run(2e6, 60, 0.3, 4<<20)}
	s := SummariseBench(runs)
	if s.Median.AgentDaysPerSec != 2.5e6 || s.Min.AgentDaysPerSec != 1e6 || s.Median.CPUNanosPerAgentDay != 50 ||
		s.Min.CPUNanosPerAgentDay != 30 || s.Median.SetupSeconds != 0.35 || s.Min.SetupSeconds != 0.2 || s.PeakRSS != 4<<20 {
		t.Errorf("summary %+v", s)
	}
	var text bytes.Buffer
	if err := WriteBenchText(&text, runs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"size              1000 agents x 10 days, 4 runs\n",
		"throughput        median 2.5M, best 4.0M agent-days/s (including setup)\n",
		"day loop          median 5.0M, best 8.0M agent-days/s\n",
		"day loop CPU      median 50, min 30 ns per agent-day (all workers)\n",
		"peak memory       4.0 MiB, 4194 bytes per agent (high-water mark over all runs)\n",
		"acquaintances     ring form (no expression reads acq.*), 0.0 bytes per agent\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("missing %q in\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteBenchJSON(&js, runs[:1]); err != nil {
		t.Fatal(err)
	}
	var one BenchResult
	if err := json.Unmarshal(js.Bytes(), &one); err != nil || one != *runs[0] {
		t.Errorf("one run's JSON: %v\n%s", err, js.String())
	}
}

// TestBenchSeriesOutput: a series prints one line per run, then the
// summary of them all; in JSON only the summary.
func TestBenchSeriesOutput(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := BenchSeries(context.Background(), &text, sc, 300, 2, 1, 1, 2, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if !strings.HasPrefix(lines[0], "run 1  ") || !strings.HasPrefix(lines[1], "run 2  ") || lines[2] != "" ||
		!strings.Contains(text.String(), "size              300 agents x 2 days, 2 runs\n") {
		t.Errorf("text:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := BenchSeries(context.Background(), &js, sc, 300, 2, 1, 1, 2, true); err != nil {
		t.Fatal(err)
	}
	var s BenchSummary
	if err := json.Unmarshal(js.Bytes(), &s); err != nil || s.Min.AgentDaysPerSec <= 0 {
		t.Errorf("json: %v\n%s", err, js.String())
	}
}
