package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

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

func runBench(ctx context.Context, o benchOptions, name string, changed func(string) bool, w io.Writer) error {
	sc, err := scenario.ResolveContext(ctx, name, nil)
	if err != nil {
		return err
	}
	agents, days, err := runner.BenchSize(sc, changed, o.agents, o.days)
	if err != nil {
		return err
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
	return runner.BenchSeries(ctx, w, sc, agents, days, o.workers, o.seed, o.repeat, o.asJSON)
}
