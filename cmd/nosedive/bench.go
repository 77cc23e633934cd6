package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

type benchOptions struct {
	agents, days, workers int
	seed                  uint64
	asJSON                bool
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench [SCENARIO]",
		Short: "Measure the engine: agent-days per second, setup time, peak memory per agent",
		Long: `Run a scenario (default: benchmark) in memory, without writing outputs,
and print throughput (agent-days per second including population and network
generation, and for the day loop alone), setup time, peak memory per agent
(the process's high-water mark) and the machine. Used for docs/performance.md.`,
		Example: `  nosedive bench
  nosedive bench benchmark --agents 1000000 --days 365
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
	return cmd
}

func runBench(ctx context.Context, o benchOptions, name string, changed func(string) bool, w io.Writer) error {
	sc, err := scenario.Resolve(name, nil)
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
	r, err := runner.Bench(ctx, sc, agents, days, o.workers, o.seed)
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "scenario          %s\n", r.Scenario)
	fmt.Fprintf(w, "size              %d agents x %d days\n", r.Agents, r.Days)
	fmt.Fprintf(w, "throughput        %.1fM agent-days/s (including setup)\n", r.AgentDaysPerSec/1e6)
	fmt.Fprintf(w, "day loop          %.1fM agent-days/s (%.2fs)\n", r.StepAgentDays/1e6, r.SimulateSeconds)
	fmt.Fprintf(w, "day loop CPU      %.0f ns per agent-day (all workers; steadier than wall time on a busy machine)\n", r.CPUNanosPerAgentDay)
	fmt.Fprintf(w, "setup             %.2fs (population and network)\n", r.SetupSeconds)
	fmt.Fprintf(w, "peak memory       %.1f MiB, %.0f bytes per agent\n", float64(r.PeakRSS)/(1<<20), r.BytesPerAgent)
	fmt.Fprintf(w, "machine           %d cores (%d workers), %s, %s\n", r.Cores, r.Workers, r.CPU, r.GoVersion)
	return nil
}
