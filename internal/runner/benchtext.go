package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// This file holds `nosedive bench`'s outputs: one run's figures, the line
// of each run of a --repeat series, and the series' minimum and median.

// BenchSummary is a --repeat series: every run and the spread of their
// figures.
type BenchSummary struct {
	Runs   []*BenchResult `json:"runs"`
	Min    BenchFigures   `json:"min"`
	Median BenchFigures   `json:"median"`
	// PeakRSS is the process's high-water mark over all runs.
	PeakRSS       uint64  `json:"peak_rss_bytes"`
	BytesPerAgent float64 `json:"peak_bytes_per_agent"`
}

// BenchFigures are the figures of a run that vary between runs.
type BenchFigures struct {
	AgentDaysPerSec     float64 `json:"agent_days_per_s"`
	StepAgentDays       float64 `json:"step_agent_days_per_s"`
	CPUNanosPerAgentDay float64 `json:"cpu_ns_per_agent_day"`
	SetupSeconds        float64 `json:"setup_s"`
}

// SummariseBench gives the minimum and median of every figure over the
// runs (the minimum of throughputs is the worst run; the text output
// shows the best throughput next to the median).
func SummariseBench(runs []*BenchResult) *BenchSummary {
	s := &BenchSummary{Runs: runs}
	pick := func(get func(*BenchResult) float64) (lo, med float64) {
		xs := make([]float64, len(runs))
		for k, r := range runs {
			xs[k] = get(r)
		}
		slices.Sort(xs)
		n := len(xs)
		med = xs[n/2]
		if n%2 == 0 {
			med = (xs[n/2-1] + xs[n/2]) / 2
		}
		return xs[0], med
	}
	s.Min.AgentDaysPerSec, s.Median.AgentDaysPerSec = pick(func(r *BenchResult) float64 { return r.AgentDaysPerSec })
	s.Min.StepAgentDays, s.Median.StepAgentDays = pick(func(r *BenchResult) float64 { return r.StepAgentDays })
	s.Min.CPUNanosPerAgentDay, s.Median.CPUNanosPerAgentDay = pick(func(r *BenchResult) float64 { return r.CPUNanosPerAgentDay })
	s.Min.SetupSeconds, s.Median.SetupSeconds = pick(func(r *BenchResult) float64 { return r.SetupSeconds })
	last := runs[len(runs)-1]
	s.PeakRSS, s.BytesPerAgent = last.PeakRSS, last.BytesPerAgent // VmHWM only grows
	return s
}

// WriteBenchRun writes the line of run k (from 0) of a --repeat series.
func WriteBenchRun(w io.Writer, k int, r *BenchResult) {
	fmt.Fprintf(w, "run %-3d %6.1fM agent-days/s, day loop %6.1fM/s, %4.0f ns CPU per agent-day, setup %.2fs\n",
		k+1, r.AgentDaysPerSec/1e6, r.StepAgentDays/1e6, r.CPUNanosPerAgentDay, r.SetupSeconds)
}

// WriteBenchJSON writes one run's figures, or a series' BenchSummary.
func WriteBenchJSON(w io.Writer, runs []*BenchResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(runs) == 1 {
		return enc.Encode(runs[0])
	}
	return enc.Encode(SummariseBench(runs))
}

// WriteBenchText writes one run's figures, or a series' medians and bests
// (after a blank line, below the runs' own lines).
func WriteBenchText(w io.Writer, runs []*BenchResult) error {
	r := runs[len(runs)-1]
	if len(runs) > 1 {
		s := SummariseBench(runs)
		fmt.Fprintf(w, "\nscenario          %s\n", r.Scenario)
		fmt.Fprintf(w, "size              %d agents x %d days, %d runs\n", r.Agents, r.Days, len(runs))
		fmt.Fprintf(w, "throughput        median %.1fM, best %.1fM agent-days/s (including setup)\n", s.Median.AgentDaysPerSec/1e6, bestOf(runs, func(r *BenchResult) float64 { return r.AgentDaysPerSec })/1e6)
		fmt.Fprintf(w, "day loop          median %.1fM, best %.1fM agent-days/s\n", s.Median.StepAgentDays/1e6, bestOf(runs, func(r *BenchResult) float64 { return r.StepAgentDays })/1e6)
		fmt.Fprintf(w, "day loop CPU      median %.0f, min %.0f ns per agent-day (all workers)\n", s.Median.CPUNanosPerAgentDay, s.Min.CPUNanosPerAgentDay)
		fmt.Fprintf(w, "setup             median %.2fs, min %.2fs (population and network)\n", s.Median.SetupSeconds, s.Min.SetupSeconds)
		fmt.Fprintf(w, "peak memory       %.1f MiB, %.0f bytes per agent (high-water mark over all runs)\n", float64(s.PeakRSS)/(1<<20), s.BytesPerAgent)
	} else {
		fmt.Fprintf(w, "scenario          %s\n", r.Scenario)
		fmt.Fprintf(w, "size              %d agents x %d days\n", r.Agents, r.Days)
		fmt.Fprintf(w, "throughput        %.1fM agent-days/s (including setup)\n", r.AgentDaysPerSec/1e6)
		fmt.Fprintf(w, "day loop          %.1fM agent-days/s (%.2fs)\n", r.StepAgentDays/1e6, r.SimulateSeconds)
		fmt.Fprintf(w, "day loop CPU      %.0f ns per agent-day (all workers; steadier than wall time on a busy machine)\n", r.CPUNanosPerAgentDay)
		fmt.Fprintf(w, "setup             %.2fs (population and network)\n", r.SetupSeconds)
		fmt.Fprintf(w, "peak memory       %.1f MiB, %.0f bytes per agent\n", float64(r.PeakRSS)/(1<<20), r.BytesPerAgent)
	}
	fmt.Fprintf(w, "acquaintances     %s\n", graphLine(r))
	_, err := fmt.Fprintf(w, "machine           %d cores (%d workers), %s, %s\n", r.Cores, r.Workers, r.CPU, r.GoVersion)
	return err
}

// graphLine describes the acquaintance graph's form and size.
func graphLine(r *BenchResult) string {
	why := "ring form (no expression reads acq.*)"
	if r.GraphForm != "ring" {
		why = "plain form (CSR: an expression reads acq.*)"
	}
	return fmt.Sprintf("%s, %.1f bytes per agent", why, r.GraphBytesPerAgent)
}

func bestOf(runs []*BenchResult, get func(*BenchResult) float64) float64 {
	best := 0.0
	for _, r := range runs {
		best = max(best, get(r))
	}
	return best
}

// BenchSeries measures sc repeat times in this process (Bench) and
// writes the figures to w: with repeat > 1 each run's line as it ends
// (not with asJSON), then the one run's figures or the series' summary,
// as text or JSON.
func BenchSeries(ctx context.Context, w io.Writer, sc *scenario.Scenario, agents, days, workers int, seed uint64, repeat int, asJSON bool) error {
	var runs []*BenchResult
	for k := range repeat {
		r, err := Bench(ctx, sc, agents, days, workers, seed)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if repeat > 1 && !asJSON {
			WriteBenchRun(w, k, r)
		}
	}
	if asJSON {
		return WriteBenchJSON(w, runs)
	}
	return WriteBenchText(w, runs)
}
