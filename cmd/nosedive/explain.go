package main

import (
	"context"
	"io"

	"github.com/nosedive-lab/nosedive/internal/audit"
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
	if o.quiet {
		stderr = io.Discard
	}
	x, err := audit.ExplainDir(ctx, dir, o.agent, o.workers, stderr)
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(w, x)
	}
	return audit.WriteExplanationText(w, x)
}
