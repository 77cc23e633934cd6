// Package cluster writes the cluster jobs that run a sharded sweep
// (docs/cluster.md): a Slurm job-array script and a Kubernetes Indexed
// Job. Every task or index runs `nosedive sweep FILE --shard auto/N`, which
// reads its shard from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
//
// The Kubernetes Job is built from the official API types (k8s.io/api) and
// marshalled as Kubernetes tooling does (sigs.k8s.io/yaml); the Slurm
// script comes from a text/template with every path shell-quoted. The
// package only writes text: it neither submits jobs nor reads the
// environment, and it knows nothing of scenarios (the caller gives the
// memory a task needs).
package cluster

import (
	"errors"
	"fmt"
)

// Limits on a job's shape, as the flags document them.
const (
	MaxShards      = 100000
	MaxCPUsPerTask = 1024
)

// Job is what every scheduler needs to know about a sharded sweep.
type Job struct {
	Sweep       string // the sweep's name
	Runs        int    // runs in the whole sweep
	Shards      int    // array tasks or job indexes, one shard each
	CPUsPerTask int    // cores per task; a task runs that many runs at once
	MemoryMiB   uint64 // memory per task (TaskMemoryMiB)
}

// Check reports a job shape no scheduler would take.
func (j Job) Check() error {
	var errs []error
	if j.Sweep == "" {
		errs = append(errs, errors.New("the sweep has no name"))
	}
	if j.Shards < 1 || j.Shards > MaxShards {
		errs = append(errs, fmt.Errorf("%d shards: must be 1 to %d", j.Shards, MaxShards))
	}
	if j.CPUsPerTask < 1 || j.CPUsPerTask > MaxCPUsPerTask {
		errs = append(errs, fmt.Errorf("%d cores per task: must be 1 to %d", j.CPUsPerTask, MaxCPUsPerTask))
	}
	if j.MemoryMiB == 0 {
		errs = append(errs, errors.New("the memory per task is zero"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster job for sweep %s: %w", j.Sweep, err)
	}
	return nil
}

// TaskMemoryMiB is the memory to request for a task that runs concurrent
// runs at once, each estimated at perRun bytes: 1.5 times the estimate per
// run, plus 256 MiB for the process itself.
func TaskMemoryMiB(perRun uint64, concurrent int) uint64 {
	return (perRun*uint64(concurrent)*3/2)>>20 + 256
}
