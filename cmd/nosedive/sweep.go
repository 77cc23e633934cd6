package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nosedive-lab/nosedive/internal/cluster"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

type sweepOptions struct {
	out         string
	jobs        int
	resume      bool
	shard       string
	emit        string
	emitShards  int
	cpusPerTask int
	binary      string
	image       string
	pvc         string
	mount       string
	quiet       bool
}

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
	f.StringVar(&o.out, "out", "runs", "store root that receives the sweep directory OUT/<sweep-name>")
	f.IntVar(&o.jobs, "jobs", 0, "runs at once (default: all cores); each run then uses cores/jobs workers")
	f.BoolVar(&o.resume, "resume", false, "continue the sweep in OUT/<sweep-name> (runs already done are kept)")
	f.StringVar(&o.shard, "shard", "", "run only slice I of N (0 <= I < N), as I/N, or auto/N to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	f.StringVar(&o.emit, "emit", "", "print a cluster job instead of running: slurm (sbatch job array) or k8s (Indexed Job)")
	f.IntVar(&o.emitShards, "emit-shards", 4, "with --emit: number of array tasks / job indexes")
	f.IntVar(&o.cpusPerTask, "cpus-per-task", 2, "with --emit: cores per task (the task runs that many runs at once)")
	f.StringVar(&o.binary, "nosedive", "", "with --emit slurm: path of the nosedive binary on the cluster (default: this binary)")
	f.StringVar(&o.image, "image", "nosedive:latest", "with --emit k8s: container image holding the nosedive binary")
	f.StringVar(&o.pvc, "pvc", "nosedive-data", "with --emit k8s: PersistentVolumeClaim shared by all indexes")
	f.StringVar(&o.mount, "mount", "/data", "with --emit k8s: where the claim is mounted; the sweep file must be there")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	cmd.AddCommand(newSweepSummarizeCmd())
	return cmd
}

// parseShard reads I/N or auto/N.
func parseShard(s string, getenv func(string) string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 || n > 100000 {
		return 0, 0, badInput("--shard %q: expected I/N with 1 <= N <= 100000 (e.g. 0/4), or auto/N", s)
	}
	if is == "auto" {
		for _, v := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
			if e := getenv(v); e != "" {
				i, err := strconv.Atoi(e)
				if err != nil || i < 0 || i >= n {
					return 0, 0, badInput("--shard %s: %s=%q is not a shard index between 0 and %d", s, v, e, n-1)
				}
				return i, n, nil
			}
		}
		return 0, 0, badInput("--shard %s: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set", s)
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return 0, 0, badInput("--shard %q: I must be a number from 0 to %d (shards are numbered from 0)", s, n-1)
	}
	return i, n, nil
}

// loadSweep reads a sweep file, or the sweep stored in a sweep directory.
func loadSweep(arg string) (*sweep.Sweep, string, error) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		m, err := sweep.ReadManifest(arg)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, "", badInput("%s is a directory without %s: give a sweep file or a sweep directory", arg, sweep.ManifestFile)
			}
			return nil, "", err
		}
		return m.Sweep, arg, nil
	}
	s, err := sweep.ReadFile(arg)
	return s, "", err
}

func runSweep(ctx context.Context, o sweepOptions, arg string, getenv func(string) string, stdout, stderr io.Writer) error {
	shard, shards, err := parseShard(o.shard, getenv)
	if err != nil {
		return err
	}
	if o.jobs < 0 || o.jobs > 1024 {
		return badInput("--jobs must be between 0 (all cores) and 1024, got %d", o.jobs)
	}
	s, dir, err := loadSweep(arg)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(o.out, s.Name)
	}
	switch o.emit {
	case "":
	case "slurm", "k8s":
		if o.emitShards < 1 || o.emitShards > cluster.MaxShards || o.cpusPerTask < 1 || o.cpusPerTask > cluster.MaxCPUsPerTask {
			return badInput("--emit-shards must be 1..%d and --cpus-per-task 1..%d", cluster.MaxShards, cluster.MaxCPUsPerTask)
		}
		return emitJob(o, s, arg, dir, stdout)
	default:
		return badInput("--emit: choose slurm or k8s, got %q", o.emit)
	}
	jobs := o.jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	workers := max(1, runtime.NumCPU()/jobs)
	sc, err := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), s.PointSets(0))
	if err != nil {
		return err
	}
	perRun := runner.EstimateMemory(sc, s.Agents)
	where := ""
	if shards > 1 {
		where = fmt.Sprintf(", shard %d/%d", shard, shards)
	}
	fmt.Fprintf(stderr, "nosedive: sweep %s: %d points x %d replicates = %d runs (%s design%s), %d agents x %d days each, %d at once (about %s of memory each)\n",
		s.Name, len(s.Points), s.Replicates, s.Runs(), s.Design.Type, where, s.Agents, s.Days, jobs, humanBytes(perRun))
	opt := sweep.Options{Dir: dir, Jobs: jobs, Workers: workers, Shard: shard, Shards: shards, Resume: o.resume}
	finish := func() {}
	if !o.quiet {
		opt.Progress, finish = sweepProgress(stderr)
	}
	out, err := sweep.Execute(ctx, s, opt)
	finish()
	var ce *sweep.ConflictError
	switch {
	case errors.As(err, &ce):
		return badInput("%v", ce)
	case err != nil && errors.Is(err, context.Canceled):
		done := 0
		if out != nil {
			done = out.Skipped + out.Done
		}
		fmt.Fprintf(stderr, "\nnosedive: sweep %s stopped: %d runs done; unfinished runs left nothing behind. Continue with: nosedive sweep %s --resume --out %s\n",
			s.Name, done, arg, o.out)
		return err
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "sweep %s: %d runs here (%d already done, %d run now, %d failed) in %s\n", s.Name, out.Runs, out.Skipped,
		out.Done, out.Failed, out.Elapsed.Round(time.Millisecond))
	if out.Failed > 0 {
		fmt.Fprintf(stdout, "failed runs are listed in %s; --resume runs them again\n", filepath.Join(dir, sweep.FailuresFile))
	}
	fmt.Fprintf(stdout, "sweep directory: %s\n", dir)
	return nil
}

// sweepProgress reports finished runs on a progress meter (a bar on a
// terminal, plain lines otherwise) and every failure as a line of its own.
// The meter starts with the first report, which says how many runs this
// process has to do; finish clears the bar.
func sweepProgress(w io.Writer) (report func(sweep.Progress), finish func()) {
	var once sync.Once
	var m *progress.Meter
	report = func(p sweep.Progress) {
		once.Do(func() { m = progress.New(w, p.Total, "runs done", progress.Options{Bar: progress.IsTerminal(w)}) })
		if p.Err != nil {
			m.Note(fmt.Sprintf("nosedive: run %s failed: %v", p.Last.ID, p.Err))
		}
		detail := fmt.Sprintf("%d failed", p.Failed)
		if p.Skipped > 0 {
			detail += fmt.Sprintf(" (%d done before)", p.Skipped)
		}
		m.Set(p.Done+p.Failed, detail)
	}
	return report, func() {
		if m != nil {
			m.Finish()
		}
	}
}

func humanBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

// emitJob prints the cluster job that runs the sweep in shards
// (internal/cluster, docs/cluster.md).
func emitJob(o sweepOptions, s *sweep.Sweep, arg, dir string, w io.Writer) error {
	sc, err := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), s.PointSets(0))
	if err != nil {
		return err
	}
	job := cluster.Job{Sweep: s.Name, Runs: s.Runs(), Shards: o.emitShards, CPUsPerTask: o.cpusPerTask,
		MemoryMiB: cluster.TaskMemoryMiB(runner.EstimateMemory(sc, s.Agents), o.cpusPerTask)}
	if o.emit == "k8s" {
		k := &cluster.Kubernetes{Job: job, Image: o.image, Claim: o.pvc, Mount: o.mount, SweepFile: filepath.Base(arg)}
		if err := cluster.WriteKubernetes(w, k); err != nil {
			return badInput("--emit k8s: %v", err)
		}
		return nil
	}
	bin := o.binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return err
		}
	}
	sl, err := cluster.NewSlurm(job, bin, arg, o.out, dir)
	if err != nil {
		return badInput("--emit slurm: %v", err)
	}
	// sbatch needs the log directory to exist when the tasks start.
	if err := os.MkdirAll(sl.LogDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", sl.LogDir(), err)
	}
	return cluster.WriteSlurm(w, sl)
}

type summarizeOptions struct {
	point   int
	metrics []string
	asJSON  bool
	asCSV   bool
}

func newSweepSummarizeCmd() *cobra.Command {
	var o summarizeOptions
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
	f.IntVar(&o.point, "point", -1, "show every metric of this point (its replicates' audit figures with 95% CIs), one per line")
	f.StringArrayVar(&o.metrics, "metric", nil, "metric column to show (repeatable; default: a few headline ones in a table, all with --csv/--json)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	f.BoolVar(&o.asCSV, "csv", false, "print CSV (one row per point x metric)")
	return cmd
}

func readSweepResults(dir string) (*sweep.Results, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, badInput("%s is not a sweep directory", dir)
	}
	if _, err := sweep.ReadManifest(dir); errors.Is(err, os.ErrNotExist) {
		return nil, badInput("%s is not a sweep directory (no %s)", dir, sweep.ManifestFile)
	}
	return sweep.ReadResults(dir)
}

func runSweepSummarize(o summarizeOptions, dir string, stdout, stderr io.Writer) error {
	if o.asJSON && o.asCSV {
		return badInput("choose one of --json and --csv")
	}
	res, err := readSweepResults(dir)
	if err != nil {
		return err
	}
	m := res.Manifest
	if st, err := sweep.RefreshStatus(dir, time.Now()); err == nil {
		m.Status = st.Status
	}
	status := fmt.Sprintf("sweep %s: %d of %d runs done, %d failed (%s design, %d points x %d replicates)",
		m.Name, len(res.Runs), len(m.Runs), m.Status.Failed, m.Design.Type, len(m.Points), m.Replicates)
	if o.point >= len(m.Points) || o.point < -1 {
		return badInput("--point %d: the sweep has points 0 to %d", o.point, len(m.Points)-1)
	}
	metrics := o.metrics
	if len(metrics) == 0 {
		metrics = res.HeadlineMetrics()
		if o.asCSV || o.asJSON || o.point >= 0 {
			metrics = res.Metrics
		}
	}
	sum, err := res.Summarize(metrics)
	if err != nil {
		return badInput("--metric: %v", err)
	}
	switch {
	case o.asCSV:
		fmt.Fprintln(stderr, "nosedive:", status)
		return sum.WriteCSV(stdout)
	case o.asJSON:
		fmt.Fprintln(stderr, "nosedive:", status)
		return sum.WriteJSON(stdout)
	}
	fmt.Fprintln(stdout, status)
	if o.point >= 0 {
		return sum.WritePoint(stdout, o.point)
	}
	return sum.WriteTable(stdout)
}
