package main

import (
	"context"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/spf13/cobra"
)

type runOptions struct {
	runner.Spec   // --agents, --days, --seed, --workers, --out, --set, --ledger, --name, --checkpoint-every
	maxMemory     string
	quiet, strict bool
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
	f.IntVar(&o.Agents, "agents", 0, "number of synthetic citizens (default: the scenario's run.agents)")
	f.IntVar(&o.Days, "days", 0, "days to simulate (default: the scenario's run.days)")
	f.Uint64Var(&o.Seed, "seed", 0, "random seed (default: the scenario's run.seed)")
	f.IntVar(&o.Workers, "workers", 0, "worker threads (default: all cores); results do not depend on it")
	f.StringVar(&o.OutDir, "out", "runs", "directory that receives the run directory")
	f.StringArrayVar(&o.Sets, "set", nil, "override a scenario value by dotted path, e.g. --set scoring.rules.alcohol.amount=-10 (repeatable)")
	f.StringVar(&o.Ledger, "ledger", "", "score-change ledger: none, sample:FRACTION or all (default: the scenario's run.ledger)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.maxMemory, "max-memory", "", "refuse runs estimated above this size, e.g. 8GiB")
	f.StringVar(&o.Name, "name", "", "label the run, e.g. --name 'cap lifted' (shown by runs, report and the lab; part of the run id)")
	f.BoolVar(&o.strict, "strict", false, "refuse a scenario with warnings (see nosedive validate): exit 2")
	f.IntVar(&o.CheckpointEvery, "checkpoint-every", 0, "write a resumable checkpoint every K days (0: none); see `nosedive resume`")
	return cmd
}

func runRun(ctx context.Context, o runOptions, name string, changed func(string) bool, stdout, stderr io.Writer) error {
	sc, err := resolve(ctx, name, o.Sets)
	if err != nil {
		return err
	}
	if err := store.ValidName(o.Name); err != nil {
		return badInput("--name: %v", err)
	}
	if err := sc.WriteWarnings(stderr, o.strict); err != nil {
		return err
	}
	spec := o.Spec
	spec.Scenario = sc
	switch {
	case !changed("agents"):
		spec.Agents = sc.Run.Agents
	case o.Agents < 2 || o.Agents > scenario.MaxAgents:
		return badInput("--agents must be between 2 and %d, got %d", scenario.MaxAgents, o.Agents)
	case sc.Network.Model != "none" && o.Agents <= sc.Network.Degree:
		return badInput("--agents %d is too few for network.degree %d", o.Agents, sc.Network.Degree)
	}
	switch {
	case !changed("days"):
		spec.Days = sc.Run.Days
	case o.Days < 1 || o.Days > scenario.MaxDays:
		return badInput("--days must be between 1 and %d, got %d", scenario.MaxDays, o.Days)
	}
	if !changed("seed") {
		spec.Seed = sc.Run.Seed
	}
	if o.Workers < 0 || o.Workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024, got %d", o.Workers)
	}
	if !changed("ledger") {
		spec.Ledger = sc.Run.Ledger
	} else if _, err := scenario.ParseLedger(o.Ledger); err != nil {
		return badInput("--ledger: %v", err)
	}
	if o.maxMemory != "" {
		if spec.MaxMemory, err = runner.ParseBytes(o.maxMemory); err != nil {
			return badInput("--max-memory: %v", err)
		}
	}
	if o.CheckpointEvery < 0 || o.CheckpointEvery > scenario.MaxDays {
		return badInput("--checkpoint-every must be a number of days >= 0")
	}
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
