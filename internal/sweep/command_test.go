package sweep

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Command refuses a bad --shard or --jobs as *InputError before it reads
// the sweep file, and with --emit writes the job instead of running.
func TestCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte("name: s\nscenario: benchmark\nagents: 300\ndays: 2\nparameters:\n  - path: run.seed\n    values: [1, 2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noenv := func(string) string { return "" }
	for _, c := range []struct {
		o    CommandOptions
		want string
	}{
		{CommandOptions{Shard: "5/4"}, "--shard"},
		{CommandOptions{Shard: "auto/4"}, "--shard"},
		{CommandOptions{Jobs: -1}, "--jobs must be between 0 (all cores) and 1024, got -1"},
		{CommandOptions{Jobs: 1025}, "--jobs must be between 0 (all cores) and 1024, got 1025"},
	} {
		err := Command(context.Background(), filepath.Join(t.TempDir(), "missing.yaml"), c.o, noenv, io.Discard, io.Discard)
		if !errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an InputError with %q", c.o, err, c.want)
		}
	}
	out := t.TempDir()
	var job strings.Builder
	o := CommandOptions{Out: out, Job: JobOptions{Kind: "slurm", Shards: 2, CPUsPerTask: 1, Binary: "/bin/nosedive"}}
	if err := Command(context.Background(), file, o, noenv, &job, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(job.String(), "#SBATCH --array=0-1") || !strings.Contains(job.String(), filepath.Join(out, "s")) {
		t.Errorf("job:\n%s", job.String())
	}
	if _, err := os.Stat(filepath.Join(out, "s", RunsDir)); err == nil {
		t.Error("--emit ran the sweep")
	}
}
