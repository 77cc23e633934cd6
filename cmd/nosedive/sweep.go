package main

import (
	"context"
	"io"
	"os"

	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

type sweepOptions = sweep.CommandOptions // --out, --shard, --jobs, --resume, --quiet, --emit and its flags

func newSweepCmd() *cobra.Command {
	var o sweepOptions
	cmd := &cobra.Command{
		Use:   "sweep SWEEP.yaml",
		Short: "Run a scenario over a design of parameter values x replicates (see docs/experiments.md)",
		Long: `Run every point of a sweep file's design (grid, list, lhs, morris or sobol)
x its replicates, in parallel, and write OUT/<sweep-name>/: sweep.json, one
ordinary run directory per run under runs/, tidy result tables under
results/ (daily-*.parquet: run x day x group; audit-*.parquet: one row per
run) and failures.jsonl. Seeds depend on (seed, replicate) only, so every
point sees the same random numbers per replicate (common random numbers).

An interrupted sweep continues with --resume (also after kill -9). --shard
I/N runs the I-th (0-based) of N deterministic slices; --shard auto/N
takes I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. Shards share the
sweep directory and their results merge by reading results/ together.
--emit slurm|k8s prints a job-array script or an Indexed Job manifest
(docs/cluster.md) instead of running.`,
		Example: `  nosedive sweep examples/xinjiang-sweep.yaml
  nosedive sweep examples/xinjiang-sweep.yaml --resume
  nosedive sweep my-sweep.yaml --jobs 8 --out /scratch/runs
  nosedive sweep my-sweep.yaml --shard 2/4
  nosedive sweep my-sweep.yaml --emit slurm --emit-shards 16 > sweep.sbatch
  nosedive sweep summarize runs/xinjiang-sweep --csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweep(cmd.Context(), o, args[0], os.Getenv, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "runs", "store root that receives the sweep directory OUT/<sweep-name>")
	f.IntVar(&o.Jobs, "jobs", 0, "runs at once (default: all cores); each run then uses cores/jobs workers")
	f.BoolVar(&o.Resume, "resume", false, "continue the sweep in OUT/<sweep-name> (runs already done are kept)")
	f.StringVar(&o.Shard, "shard", "", "run only slice I of N (0 <= I < N), as I/N, or auto/N to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	f.StringVar(&o.Job.Kind, "emit", "", "print a cluster job instead of running: slurm (sbatch job array) or k8s (Indexed Job)")
	f.IntVar(&o.Job.Shards, "emit-shards", 4, "with --emit: number of array tasks / job indexes")
	f.IntVar(&o.Job.CPUsPerTask, "cpus-per-task", 2, "with --emit: cores per task (the task runs that many runs at once)")
	f.StringVar(&o.Job.Binary, "nosedive", "", "with --emit slurm: path of the nosedive binary on the cluster (default: this binary)")
	f.StringVar(&o.Job.Image, "image", "nosedive:latest", "with --emit k8s: container image holding the nosedive binary")
	f.StringVar(&o.Job.Claim, "pvc", "nosedive-data", "with --emit k8s: PersistentVolumeClaim shared by all indexes")
	f.StringVar(&o.Job.Mount, "mount", "/data", "with --emit k8s: where the claim is mounted; the sweep file must be there")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	cmd.AddCommand(newSweepSummarizeCmd())
	return cmd
}

func runSweep(ctx context.Context, o sweepOptions, arg string, getenv func(string) string, stdout, stderr io.Writer) error {
	return sweep.Command(ctx, arg, o, getenv, stdout, stderr)
}

func newSweepSummarizeCmd() *cobra.Command {
	var o sweep.SummaryOptions
	cmd := &cobra.Command{
		Use:   "summarize SWEEP_DIR",
		Short: "Means with 95% confidence intervals over replicates, per point",
		Long: `Read a sweep directory's audit table (results/audit*.parquet, from all
shards) and print, per design point, the mean of each metric over the
replicates with a 95% confidence interval (Student's t). The metrics are
the audit table's columns (docs/experiments.md); by default a few headline
ones. --csv and --json give every metric in a long format.`,
		Example: `  nosedive sweep summarize runs/xinjiang-sweep
  nosedive sweep summarize runs/xinjiang-sweep --metric ever_sanctioned_uyghur --metric gap_worst_tier
  nosedive sweep summarize runs/xinjiang-sweep --point 2
  nosedive sweep summarize runs/xinjiang-sweep --csv > summary.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSweepSummarize(o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Point, "point", -1, "show every metric of this point (its replicates' audit figures with 95% CIs), one per line")
	f.StringArrayVar(&o.Metrics, "metric", nil, "metric column to show (repeatable; default: a few headline ones in a table, all with --csv/--json)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	f.BoolVar(&o.CSV, "csv", false, "print CSV (one row per point x metric)")
	return cmd
}

func runSweepSummarize(o sweep.SummaryOptions, dir string, stdout, stderr io.Writer) error {
	if o.JSON && o.CSV {
		return badInput("choose one of --json and --csv")
	}
	res, err := sweep.OpenResults(dir)
	if err != nil {
		return err
	}
	return res.WriteSummary(stdout, stderr, dir, o)
}
