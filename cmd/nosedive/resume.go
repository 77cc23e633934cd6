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
	if o.workers < 0 || o.workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024, got %d", o.workers)
	}
	d, err := store.FindUnfinished(dir)
	if err != nil {
		return badInput("%v", err)
	}
	ss, err := store.ReadSpec(d)
	if err != nil && !is[*store.InvalidError](err) { // an InvalidError is bad input already, naming file and field
		return badInput("%v", err)
	} else if err != nil {
		return err
	}
	var prog func(int, int)
	if !o.quiet {
		var finish func()
		prog, finish = progress.Days(stderr, ss.Days)
		defer finish()
	}
	fmt.Fprintf(stderr, "nosedive: resuming %s\n", ss.ID)
	res, err := runner.Resume(ctx, d, o.workers, prog, func(err error) {
		fmt.Fprintf(stderr, "nosedive: skipping checkpoint: %v\n", err)
	})
	if err != nil {
		return err
	}
	sc, err := scenario.Load(ss.ScenarioFile, []byte(ss.ScenarioText), ss.Sets)
	if err != nil {
		return err
	}
	return runner.WriteSummary(stdout, sc, res)
}
