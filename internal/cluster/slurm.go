package cluster

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/template"
)

// Slurm is a sweep as a Slurm job array: task i runs shard i.
type Slurm struct {
	Job
	Binary    string // absolute path of the nosedive binary on the compute nodes
	SweepFile string // absolute path of the sweep file (or sweep directory)
	Out       string // absolute store root, on storage every node sees
	Dir       string // absolute sweep directory, Out/<sweep>
}

// NewSlurm makes the paths absolute (the tasks start in whatever
// directory sbatch was called from) and checks that the #SBATCH lines can
// hold them.
func NewSlurm(j Job, binary, sweepFile, out, dir string) (*Slurm, error) {
	s := &Slurm{Job: j}
	for _, p := range []struct {
		dst *string
		src string
	}{{&s.Binary, binary}, {&s.SweepFile, sweepFile}, {&s.Out, out}, {&s.Dir, dir}} {
		abs, err := filepath.Abs(p.src)
		if err != nil {
			return nil, fmt.Errorf("slurm job: %s: %w", p.src, err)
		}
		*p.dst = abs
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// LogDir is where the tasks' output goes; sbatch needs it to exist before
// the tasks start.
func (s *Slurm) LogDir() string { return filepath.Join(s.Dir, "logs") }

func (s *Slurm) check() error {
	if err := s.Job.Check(); err != nil {
		return err
	}
	// #SBATCH lines are not shell: nothing on them can be quoted, and '%'
	// starts a file name pattern.
	if strings.ContainsAny(s.LogDir(), " \t\n\r%") {
		return fmt.Errorf("slurm job: the log directory %q holds a space or '%%', which an #SBATCH --output line cannot carry; choose another --out", s.LogDir())
	}
	if strings.ContainsAny(s.Sweep, " \t\n\r") {
		return fmt.Errorf("slurm job: sweep name %q holds a space", s.Sweep)
	}
	for _, p := range []string{s.Binary, s.SweepFile, s.Out, s.Dir} {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("slurm job: %s is not an absolute path", p)
		}
		if strings.ContainsAny(p, "\n\r") {
			return fmt.Errorf("slurm job: path %q holds a line break", p)
		}
	}
	return nil
}

// The script runs the shard given by SLURM_ARRAY_TASK_ID; a requeued or
// resubmitted task skips the runs it finished (shards always resume).
var slurmScript = template.Must(template.New("sbatch").Funcs(template.FuncMap{"sh": ShellQuote}).Parse(`#!/bin/bash
# nosedive sweep {{.Sweep}}: {{.Runs}} runs in {{.Shards}} shards, as a Slurm job array.
# Submit with: sbatch THIS_FILE. Every task writes disjoint files into
# {{.Dir}}; a task that is requeued or resubmitted skips the runs it finished.
# Then: nosedive sweep summarize {{.Dir}}
#SBATCH --job-name=nosedive-{{.Sweep}}
#SBATCH --array=0-{{.LastTask}}
#SBATCH --cpus-per-task={{.CPUsPerTask}}
#SBATCH --mem={{.MemoryMiB}}M
#SBATCH --output={{.LogDir}}/slurm-%A_%a.out
set -euo pipefail
exec {{sh .Binary}} sweep {{sh .SweepFile}} --out {{sh .Out}} --shard auto/{{.Shards}} --jobs "${SLURM_CPUS_PER_TASK:-{{.CPUsPerTask}}}" --quiet
`))

// LastTask is the index of the array's last task.
func (s *Slurm) LastTask() int { return s.Shards - 1 }

// WriteSlurm writes the sbatch script of s.
func WriteSlurm(w io.Writer, s *Slurm) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := slurmScript.Execute(w, s); err != nil {
		return fmt.Errorf("slurm job: %w", err)
	}
	return nil
}

// ShellQuote quotes s as one word for a POSIX shell.
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
