package main

import (
	"context"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

type runOptions struct {
	agents, days, workers int
	seed                  uint64
	out                   string
	sets                  []string
	ledger                string
	quiet                 bool
	maxMemory             string
	checkpointEvery       int
	name                  string
	strict                bool
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario (built-in name or YAML file) and write a run directory",
		Long: `Run a scenario on a synthetic population, day by day, and write
DIR/<run-id>/ with run.json, daily.parquet, agents.parquet and, unless
--ledger none, ledger.parquet (see docs/store-format.md). A summary is
printed at the end. The run directory appears only when complete.`,
		Example: `  nosedive run xinjiang-pilot
  nosedive run benchmark --agents 1000000 --days 365 --workers 2
  nosedive run my-regime.yaml --seed 7 --out /tmp/runs
  nosedive run xinjiang-pilot --set tiers.caps.0.best=trustworthy   # lift the group cap
  nosedive run court-blacklist --ledger all --agents 10000`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), o, args[0], cmd.Flags().Changed, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.agents, "agents", 0, "number of synthetic citizens (default: the scenario's run.agents)")
	f.IntVar(&o.days, "days", 0, "days to simulate (default: the scenario's run.days)")
	f.Uint64Var(&o.seed, "seed", 0, "random seed (default: the scenario's run.seed)")
	f.IntVar(&o.workers, "workers", 0, "worker threads (default: all cores); results do not depend on it")
	f.StringVar(&o.out, "out", "runs", "directory that receives the run directory")
	f.StringArrayVar(&o.sets, "set", nil, "override a scenario value by dotted path, e.g. --set scoring.rules.alcohol.amount=-10 (repeatable)")
	f.StringVar(&o.ledger, "ledger", "", "score-change ledger: none, sample:FRACTION or all (default: the scenario's run.ledger)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.maxMemory, "max-memory", "", "refuse runs estimated above this size, e.g. 8GiB")
	f.StringVar(&o.name, "name", "", "label the run, e.g. --name 'cap lifted' (shown by runs, report and the lab; part of the run id)")
	f.BoolVar(&o.strict, "strict", false, "refuse a scenario with warnings (see nosedive validate): exit 2")
	f.IntVar(&o.checkpointEvery, "checkpoint-every", 0, "write a resumable checkpoint every K days (0: none); see `nosedive resume`")
	return cmd
}

func runRun(ctx context.Context, o runOptions, name string, changed func(string) bool, stdout, stderr io.Writer) error {
	sc, err := resolve(ctx, name, o.sets)
	if err != nil {
		return err
	}
	if err := checkRunName(o.name); err != nil {
		return err
	}
	if err := sc.WriteWarnings(stderr, o.strict); err != nil {
		return err
	}
	spec := runner.Spec{Scenario: sc, Sets: o.sets, Name: o.name, Agents: sc.Run.Agents, Days: sc.Run.Days, Seed: sc.Run.Seed,
		Workers: o.workers, Ledger: sc.Run.Ledger, OutDir: o.out}
	if changed("agents") {
		if o.agents < 2 || o.agents > scenario.MaxAgents {
			return badInput("--agents must be between 2 and %d, got %d", scenario.MaxAgents, o.agents)
		}
		if d := sc.Network.Degree; sc.Network.Model != "none" && o.agents <= d {
			return badInput("--agents %d is too few for network.degree %d", o.agents, d)
		}
		spec.Agents = o.agents
	}
	if changed("days") {
		if o.days < 1 || o.days > scenario.MaxDays {
			return badInput("--days must be between 1 and %d, got %d", scenario.MaxDays, o.days)
		}
		spec.Days = o.days
	}
	if changed("seed") {
		spec.Seed = o.seed
	}
	if o.workers < 0 || o.workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024, got %d", o.workers)
	}
	if changed("ledger") {
		if _, err := scenario.ParseLedger(o.ledger); err != nil {
			return badInput("--ledger: %v", err)
		}
		spec.Ledger = o.ledger
	}
	if o.maxMemory != "" {
		b, err := runner.ParseBytes(o.maxMemory)
		if err != nil {
			return badInput("--max-memory: %v", err)
		}
		spec.MaxMemory = b
	}
	if o.checkpointEvery < 0 || o.checkpointEvery > scenario.MaxDays {
		return badInput("--checkpoint-every must be a number of days >= 0")
	}
	spec.CheckpointEvery = o.checkpointEvery
	spec.Warn = func(msg string) { fmt.Fprintln(stderr, "nosedive: warning:", msg) }
	if !o.quiet {
		var finish func()
		spec.Progress, finish = progress.Days(stderr, spec.Days)
		defer finish()
	}
	runner.WriteStart(stderr, spec)
	res, err := runner.Execute(ctx, spec)
	if err != nil {
		return err
	}
	return runner.WriteSummary(stdout, sc, res)
}

// resolve loads a scenario, giving up when ctx is done: a signal during
// loading stops the command at once (the loader, bounded on its own, is
// left to finish in the background of a process that is exiting).
func resolve(ctx context.Context, name string, sets []string) (*scenario.Scenario, error) {
	type result struct {
		sc  *scenario.Scenario
		err error
	}
	done := make(chan result, 1)
	go func() {
		sc, err := scenario.Resolve(name, sets)
		done <- result{sc, err}
	}()
	select {
	case r := <-done:
		return r.sc, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
