package sweep

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/cluster"
)

// JobOptions say which cluster job WriteJob writes (docs/cluster.md).
type JobOptions struct {
	Kind        string // "slurm" (job-array script) or "k8s" (Indexed Job manifest)
	Shards      int    // array tasks or job indexes
	CPUsPerTask int
	// SweepFile is the sweep file as the command named it; Out the store
	// root and Dir the sweep directory.
	SweepFile, Out, Dir string
	Binary              string // slurm: the nosedive binary on the cluster (default: this one)
	Image, Claim, Mount string // k8s: container image, PersistentVolumeClaim, its mount point
}

// WriteJob writes the cluster job that runs s in o.Shards shards, each
// task with memory for o.CPUsPerTask runs of the sweep at once. For Slurm
// it creates the log directory the script names (sbatch needs it when the
// tasks start). A job the scheduler would refuse (a name, path or size it
// cannot hold), an unknown kind or a size out of range is an InputError.
func WriteJob(w io.Writer, s *Sweep, o JobOptions) error {
	switch {
	case o.Kind != "slurm" && o.Kind != "k8s":
		return badInput("--emit: choose slurm or k8s, got %q", o.Kind)
	case o.Shards < 1 || o.Shards > cluster.MaxShards || o.CPUsPerTask < 1 || o.CPUsPerTask > cluster.MaxCPUsPerTask:
		return badInput("--emit-shards must be 1..%d and --cpus-per-task 1..%d", cluster.MaxShards, cluster.MaxCPUsPerTask)
	}
	perRun, err := RunMemory(s)
	if err != nil {
		return err
	}
	job := cluster.Job{Sweep: s.Name, Runs: s.Runs(), Shards: o.Shards, CPUsPerTask: o.CPUsPerTask,
		MemoryMiB: cluster.TaskMemoryMiB(perRun, o.CPUsPerTask)}
	if o.Kind == "k8s" {
		k := &cluster.Kubernetes{Job: job, Image: o.Image, Claim: o.Claim, Mount: o.Mount, SweepFile: filepath.Base(o.SweepFile)}
		if err := cluster.WriteKubernetes(w, k); err != nil {
			return badInput("--emit k8s: %v", err)
		}
		return nil
	}
	bin := o.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return err
		}
	}
	sl, err := cluster.NewSlurm(job, bin, o.SweepFile, o.Out, o.Dir)
	if err != nil {
		return badInput("--emit slurm: %v", err)
	}
	if err := os.MkdirAll(sl.LogDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", sl.LogDir(), err)
	}
	return cluster.WriteSlurm(w, sl)
}
