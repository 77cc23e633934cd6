package sweep

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/cluster"
)

// CommandOptions are the choices of `nosedive sweep`, as Command takes
// them.
type CommandOptions struct {
	Out    string // store root that receives OUT/<sweep-name> (a sweep file's)
	Shard  string // --shard: "", I/N or auto/N (cluster.ParseShard)
	Jobs   int    // runs at once, 0 to 1024 (0: one per core)
	Resume bool
	Quiet  bool
	Job    JobOptions // Job.Kind set: write the cluster job instead of running
}

// Command runs the sweep of arg (a sweep file or a sweep directory, Open)
// as `nosedive sweep` does, on a Console writing to stdout and stderr, or
// writes its cluster job to stdout when o.Job.Kind is set. getenv gives
// --shard auto/N its index. A bad --shard or --jobs is an *InputError.
func Command(ctx context.Context, arg string, o CommandOptions, getenv func(string) string, stdout, stderr io.Writer) error {
	shard, shards, err := cluster.ParseShard(o.Shard, getenv)
	if err != nil {
		return badInput("%v", err)
	}
	if o.Jobs < 0 || o.Jobs > 1024 {
		return badInput("--jobs must be between 0 (all cores) and 1024, got %d", o.Jobs)
	}
	s, dir, err := Open(arg)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(o.Out, s.Name)
	}
	if o.Job.Kind != "" {
		o.Job.SweepFile, o.Job.Out, o.Job.Dir = arg, o.Out, dir
		return WriteJob(stdout, s, o.Job)
	}
	c := Console{Out: stdout, Err: stderr, Quiet: o.Quiet, ResumeHint: fmt.Sprintf("nosedive sweep %s --resume --out %s", arg, o.Out)}
	_, err = c.Execute(ctx, s, Options{Dir: dir, Jobs: o.Jobs, Shard: shard, Shards: shards, Resume: o.Resume})
	return err
}
