package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

type benchOptions struct {
	agents, days, workers int
	seed                  uint64
	asJSON                bool
	repeat                int
	cpuProfile            string
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench [SCENARIO]",
		Short: "Measure the engine: agent-days per second, setup time, peak memory per agent",
		Long: `Run a scenario (default: benchmark) in memory, without writing outputs,
and print throughput (agent-days per second including population and network
generation, and for the day loop alone), CPU time per agent-day, setup time,
peak memory per agent (the process's high-water mark) and the machine. Used
for docs/performance.md.

On a shared machine wall-clock throughput moves a lot between runs: --repeat N
runs the measurement N times in this process and adds the minimum and median
of each figure (peak memory is the high-water mark over all runs). CPU time
per agent-day moves least. --cpuprofile writes a CPU profile of the whole
command for "go tool pprof".`,
		Example: `  nosedive bench
  nosedive bench benchmark --agents 1000000 --days 365
  nosedive bench benchmark --agents 1000000 --days 100 --repeat 5
  nosedive bench benchmark --agents 1000000 --days 30 --cpuprofile cpu.prof
  nosedive bench xinjiang-pilot --agents 10000000 --days 30 --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "benchmark"
			switch len(args) {
			case 0:
			case 1:
				name = args[0]
			default:
				return badInput("bench takes at most one scenario")
			}
			return runBench(cmd.Context(), o, name, cmd.Flags().Changed, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.agents, "agents", 0, "agents (default: the scenario's)")
	f.IntVar(&o.days, "days", 0, "days (default: the scenario's)")
	f.IntVar(&o.workers, "workers", 0, "worker threads (default: all cores)")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	f.IntVar(&o.repeat, "repeat", 1, "measure this many times and add the minimum and median")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	return cmd
}

// benchSummary is what --repeat adds: the spread of the runs.
type benchSummary struct {
	Runs   []*runner.BenchResult `json:"runs"`
	Min    benchFigures          `json:"min"`
	Median benchFigures          `json:"median"`
	// PeakRSS is the process's high-water mark over all runs.
	PeakRSS       uint64  `json:"peak_rss_bytes"`
	BytesPerAgent float64 `json:"peak_bytes_per_agent"`
}

type benchFigures struct {
	AgentDaysPerSec     float64 `json:"agent_days_per_s"`
	StepAgentDays       float64 `json:"step_agent_days_per_s"`
	CPUNanosPerAgentDay float64 `json:"cpu_ns_per_agent_day"`
	SetupSeconds        float64 `json:"setup_s"`
}

func runBench(ctx context.Context, o benchOptions, name string, changed func(string) bool, w io.Writer) error {
	sc, err := resolve(ctx, name, nil)
	if err != nil {
		return err
	}
	agents, days := sc.Run.Agents, sc.Run.Days
	if changed("agents") {
		if o.agents < 2 || o.agents > scenario.MaxAgents || (sc.Network.Model != "none" && o.agents <= sc.Network.Degree) {
			return badInput("--agents must be between %d and %d", max(2, sc.Network.Degree+1), scenario.MaxAgents)
		}
		agents = o.agents
	}
	if changed("days") {
		if o.days < 1 || o.days > scenario.MaxDays {
			return badInput("--days must be between 1 and %d", scenario.MaxDays)
		}
		days = o.days
	}
	if o.repeat < 1 || o.repeat > 1000 {
		return badInput("--repeat must be between 1 and 1000")
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return badInput("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var runs []*runner.BenchResult
	for k := 0; k < o.repeat; k++ {
		r, err := runner.Bench(ctx, sc, agents, days, o.workers, o.seed)
		if err != nil {
			return err
		}
		runs = append(runs, r)
		if o.repeat > 1 && !o.asJSON {
			fmt.Fprintf(w, "run %-3d %6.1fM agent-days/s, day loop %6.1fM/s, %4.0f ns CPU per agent-day, setup %.2fs\n",
				k+1, r.AgentDaysPerSec/1e6, r.StepAgentDays/1e6, r.CPUNanosPerAgentDay, r.SetupSeconds)
		}
	}
	r := runs[len(runs)-1]
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if o.repeat == 1 {
			return enc.Encode(r)
		}
		return enc.Encode(summarise(runs))
	}
	if o.repeat > 1 {
		s := summarise(runs)
		fmt.Fprintf(w, "\nscenario          %s\n", r.Scenario)
		fmt.Fprintf(w, "size              %d agents x %d days, %d runs\n", r.Agents, r.Days, len(runs))
		fmt.Fprintf(w, "throughput        median %.1fM, best %.1fM agent-days/s (including setup)\n", s.Median.AgentDaysPerSec/1e6, bestOf(runs, func(r *runner.BenchResult) float64 { return r.AgentDaysPerSec })/1e6)
		fmt.Fprintf(w, "day loop          median %.1fM, best %.1fM agent-days/s\n", s.Median.StepAgentDays/1e6, bestOf(runs, func(r *runner.BenchResult) float64 { return r.StepAgentDays })/1e6)
		fmt.Fprintf(w, "day loop CPU      median %.0f, min %.0f ns per agent-day (all workers)\n", s.Median.CPUNanosPerAgentDay, s.Min.CPUNanosPerAgentDay)
		fmt.Fprintf(w, "setup             median %.2fs, min %.2fs (population and network)\n", s.Median.SetupSeconds, s.Min.SetupSeconds)
		fmt.Fprintf(w, "peak memory       %.1f MiB, %.0f bytes per agent (high-water mark over all runs)\n", float64(s.PeakRSS)/(1<<20), s.BytesPerAgent)
		fmt.Fprintf(w, "acquaintances     %s\n", graphLine(r))
		fmt.Fprintf(w, "machine           %d cores (%d workers), %s, %s\n", r.Cores, r.Workers, r.CPU, r.GoVersion)
		return nil
	}
	fmt.Fprintf(w, "scenario          %s\n", r.Scenario)
	fmt.Fprintf(w, "size              %d agents x %d days\n", r.Agents, r.Days)
	fmt.Fprintf(w, "throughput        %.1fM agent-days/s (including setup)\n", r.AgentDaysPerSec/1e6)
	fmt.Fprintf(w, "day loop          %.1fM agent-days/s (%.2fs)\n", r.StepAgentDays/1e6, r.SimulateSeconds)
	fmt.Fprintf(w, "day loop CPU      %.0f ns per agent-day (all workers; steadier than wall time on a busy machine)\n", r.CPUNanosPerAgentDay)
	fmt.Fprintf(w, "setup             %.2fs (population and network)\n", r.SetupSeconds)
	fmt.Fprintf(w, "peak memory       %.1f MiB, %.0f bytes per agent\n", float64(r.PeakRSS)/(1<<20), r.BytesPerAgent)
	fmt.Fprintf(w, "acquaintances     %s\n", graphLine(r))
	fmt.Fprintf(w, "machine           %d cores (%d workers), %s, %s\n", r.Cores, r.Workers, r.CPU, r.GoVersion)
	return nil
}

// graphLine describes the acquaintance graph's form and size.
func graphLine(r *runner.BenchResult) string {
	why := "ring form (no expression reads acq.*)"
	if r.GraphForm != "ring" {
		why = "plain form (CSR: an expression reads acq.*)"
	}
	return fmt.Sprintf("%s, %.1f bytes per agent", why, r.GraphBytesPerAgent)
}

// summarise gives the minimum and median of every figure over the runs
// (the minimum of throughputs is the worst run; the text output shows the
// best throughput next to the median).
func summarise(runs []*runner.BenchResult) *benchSummary {
	s := &benchSummary{Runs: runs}
	pick := func(get func(*runner.BenchResult) float64) (lo, med float64) {
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
	s.Min.AgentDaysPerSec, s.Median.AgentDaysPerSec = pick(func(r *runner.BenchResult) float64 { return r.AgentDaysPerSec })
	s.Min.StepAgentDays, s.Median.StepAgentDays = pick(func(r *runner.BenchResult) float64 { return r.StepAgentDays })
	s.Min.CPUNanosPerAgentDay, s.Median.CPUNanosPerAgentDay = pick(func(r *runner.BenchResult) float64 { return r.CPUNanosPerAgentDay })
	s.Min.SetupSeconds, s.Median.SetupSeconds = pick(func(r *runner.BenchResult) float64 { return r.SetupSeconds })
	last := runs[len(runs)-1]
	s.PeakRSS, s.BytesPerAgent = last.PeakRSS, last.BytesPerAgent // VmHWM only grows
	return s
}

func bestOf(runs []*runner.BenchResult, get func(*runner.BenchResult) float64) float64 {
	best := 0.0
	for _, r := range runs {
		best = max(best, get(r))
	}
	return best
}
