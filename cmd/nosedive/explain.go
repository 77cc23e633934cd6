package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/spf13/cobra"
)

type explainOptions struct {
	agent   int
	asJSON  bool
	workers int
	quiet   bool
}

func newExplainCmd() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain RUN --agent ID",
		Short: "Explain why one synthetic citizen ended where they did",
		Long: `Read one citizen's day-by-day trace from the run directory when the run
recorded it (everyone in the --ledger sample: trace.parquet), or else
replay the run with a trace on them (runs are deterministic, so the replay
is exact; either way it is checked against the stored tables), and print
their traits, score trajectory, tier changes and sanctions, an additive
breakdown of the final score (baseline + one term per rule = score,
exactly), up to four principal reasons ranked against the people just
above the next threshold, who else contributed (partner, acquaintances),
and the smallest single change that would have changed the tier.`,
		Example: `  nosedive explain runs/xinjiang-pilot-s1-20261128-101500 --agent 123
  nosedive explain RUN --agent 123 --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("agent") {
				return badInput("explain needs --agent ID")
			}
			return runExplain(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&o.agent, "agent", 0, "the citizen's id (agents.parquet agent column)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "worker threads for the replay (default: all cores)")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runExplain(ctx context.Context, o explainOptions, dir string, w, stderr io.Writer) error {
	run, err := audit.LoadDirWith(dir, audit.LoadForExplain)
	if err != nil {
		return err
	}
	if o.agent < 0 || o.agent >= run.Manifest.Agents {
		return badInput("--agent %d: this run has agents 0 to %d", o.agent, run.Manifest.Agents-1)
	}
	if o.quiet {
		stderr = io.Discard
	}
	// The run's stored trace of its ledger sample answers at once; anyone
	// else is replayed (the choice the web lab's citizen page makes too).
	x, _, err := audit.ExplainAgent(run, int32(o.agent), func(nt *store.NoTraceError) (*sim.Final, *sim.Trace, error) {
		fmt.Fprintf(stderr, "nosedive: %s\n", audit.ReplayNotice(run.Manifest, nt))
		return replayTrace(ctx, o, run, dir, stderr)
	})
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	}
	return audit.WriteExplanationText(w, x)
}

// replayTrace replays the run with a trace on the agent, with a progress
// meter.
func replayTrace(ctx context.Context, o explainOptions, run *audit.Run, dir string, stderr io.Writer) (*sim.Final, *sim.Trace, error) {
	fmt.Fprintf(stderr, "nosedive: replaying %s (%d agents x %d days) with a trace on agent %d\n", dir, run.Manifest.Agents, run.Manifest.Days, o.agent)
	meter := progress.New(stderr, run.Manifest.Days, "days", progress.Options{Bar: progress.IsTerminal(stderr)})
	final, traces, err := runner.ReplayProgress(ctx, run.Manifest, []int32{int32(o.agent)}, o.workers, func(d, _ int) { meter.Set(d, "") })
	meter.Finish()
	if err != nil {
		return nil, nil, err
	}
	return final, traces[0], nil
}
