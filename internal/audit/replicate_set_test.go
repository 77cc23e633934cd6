package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

func replicateDirs(t *testing.T, seeds ...uint64) []string {
	t.Helper()
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var dirs []string
	for _, s := range seeds {
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 300, Days: 10, Seed: s, Ledger: "none", OutDir: out})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, res.Dir)
	}
	return dirs
}

func TestReplicateSetLoad(t *testing.T) {
	dirs := replicateDirs(t, 1, 2)
	// An attribution stored earlier survives the audit.json the set writes.
	if err := store.WriteJSONAtomic(filepath.Join(dirs[0], ReportFile), &Report{Attribution: &Attribution{Method: "kept"}}); err != nil {
		t.Fatal(err)
	}
	reps, ms, err := ReplicateSet{Dirs: dirs}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || len(ms) != 2 || reps[1].Reference != reps[0].Reference {
		t.Fatalf("%d reports, %d manifests, references %q %q", len(reps), len(ms), reps[0].Reference, reps[1].Reference)
	}
	for i, d := range dirs {
		got, err := ReadReport(d)
		if err != nil || got.Run != reps[i].Run {
			t.Fatalf("%s: audit.json %v", d, err)
		}
		if i == 0 && (got.Attribution == nil || got.Attribution.Method != "kept") {
			t.Errorf("the earlier attribution was lost: %+v", got.Attribution)
		}
	}
	// Stored: audit.json stands in for a run, even without its agents table.
	if err := os.Remove(filepath.Join(dirs[1], store.AgentsFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := (ReplicateSet{Dirs: dirs, Stored: true}).Load(); err != nil {
		t.Errorf("stored: %v", err)
	}
	// Without the agents table, only the default options can use it.
	_, _, err = ReplicateSet{Dirs: dirs, Options: Options{By: []string{"age"}}}.Load()
	var rd *RunDirError
	if !errors.As(err, &rd) || !strings.Contains(err.Error(), "keeps no agents table") {
		t.Errorf("non-default options on a run without agents: %v", err)
	}
	_, _, err = ReplicateSet{Dirs: []string{dirs[0], t.TempDir()}}.Load()
	if !errors.As(err, &rd) || !strings.Contains(err.Error(), "not a run directory") {
		t.Errorf("a directory that is not a run: %v", err)
	}
	_, _, err = ReplicateSet{Dirs: []string{dirs[0], dirs[0]}}.Load()
	var nr *NotReplicatesError
	if !errors.As(err, &nr) {
		t.Errorf("the same run twice: %v", err)
	}
}

// LoadDir: bad input for what is no run, a failure for a damaged table.
func TestLoadDir(t *testing.T) {
	dir := replicateDirs(t, 1)[0]
	if r, err := LoadDir(dir); err != nil || r.Agents == nil {
		t.Fatalf("LoadDir: %v", err)
	}
	var rd *RunDirError
	missing := filepath.Join(dir, "nope")
	if _, err := LoadDir(missing); !errors.As(err, &rd) || err.Error() != missing+": not a run directory" {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := LoadDir(t.TempDir()); !errors.As(err, &rd) {
		t.Errorf("an empty directory: %v, want a RunDirError", err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.AgentsFile), []byte("PAR1 not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); !errors.As(err, new(*store.DamagedError)) || errors.As(err, &rd) {
		t.Errorf("a damaged table: %v, want a DamagedError", err)
	}
}

// ReadOrCompute reads audit.json when the run has one, computes otherwise.
func TestReadOrCompute(t *testing.T) {
	r, err := Load(replicateDirs(t, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ReadOrCompute(r)
	if err != nil || rep.Run == "" {
		t.Fatalf("computed: %+v, %v", rep, err)
	}
	rep.Headline = []string{"read back"}
	if err := WriteReport(r.Dir, rep); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadOrCompute(r); err != nil || len(got.Headline) != 1 || got.Headline[0] != "read back" {
		t.Errorf("read: %v %v", got.Headline, err)
	}
}
