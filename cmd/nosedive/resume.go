package main

import (
	"context"
	"io"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

type resumeOptions struct {
	workers int
	quiet   bool
}

func newResumeCmd() *cobra.Command {
	var o resumeOptions
	cmd := &cobra.Command{
		Use:   "resume DIR",
		Short: "Finish an interrupted or killed run from its newest valid checkpoint",
		Long: `Continue an unfinished run directory (DIR/.tmp-<run-id>, left by a run
that was interrupted or killed) from its newest valid checkpoint, and
write the run directory as if the run had never stopped: the tables are
byte-identical to an uninterrupted run. A damaged or truncated checkpoint
is reported and the previous one used. DIR may also be the output
directory when it holds exactly one unfinished run. Everything read is
checked first (file types and sizes, ranges, the seed, scenario, overrides
and version against the run's hash); a mismatch exits 2 naming the file
and field.`,
		Example: `  nosedive run benchmark --agents 10000000 --checkpoint-every 30
  # ... killed, or Ctrl-C ...
  nosedive resume runs/.tmp-benchmark-s1-20261128-101500
  nosedive resume runs`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runResume(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&o.workers, "workers", 0, "worker threads (default: all cores)")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runResume(ctx context.Context, o resumeOptions, dir string, stdout, stderr io.Writer) error {
	sc, res, err := runner.ResumeDir(ctx, dir, o.workers, stderr, !o.quiet)
	if err != nil {
		return err
	}
	return runner.WriteSummary(stdout, sc, res)
}
