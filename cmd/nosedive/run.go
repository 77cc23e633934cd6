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
	sc, err := scenario.ResolveContext(ctx, name, o.Sets)
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
	if err := spec.Settle(sc, changed, o.maxMemory); err != nil {
		return err
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
