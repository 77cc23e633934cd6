package runner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// interrupted leaves an unfinished, checkpointed run of seed in out and
// returns its directory.
func interrupted(t *testing.T, out string, seed uint64) string {
	t.Helper()
	return interruptedNamed(t, out, seed, "")
}

// interruptedNamed is interrupted for a run labelled name.
func interruptedNamed(t *testing.T, out string, seed uint64, name string) string {
	t.Helper()
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Execute(ctx, Spec{Scenario: sc, Name: name, Agents: 3000, Days: 20, Seed: seed, Ledger: "sample:0.1", OutDir: out, CheckpointEvery: 2,
		Progress: func(day, _ int) {
			if day == 5 {
				cancel()
			}
		}})
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("want an interrupted run, got %v", err)
	}
	return ie.Dir
}

// editSpec rewrites dir's spec.json with change applied; with rehash the
// spec's hash is recomputed, as anyone can.
func editSpec(t *testing.T, dir string, rehash bool, change func(*store.Spec)) {
	t.Helper()
	path := filepath.Join(dir, store.SpecFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s store.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	change(&s)
	if rehash {
		s.SpecSHA256 = s.Hash()
	}
	b, _ = json.Marshal(&s)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func newestCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	list, _ := filepath.Glob(filepath.Join(dir, store.CheckpointsDir, "ckpt-*.bin"))
	if len(list) == 0 {
		t.Fatal("no checkpoint")
	}
	return list[len(list)-1]
}

func replaceWithSymlink(t *testing.T, path, target string) {
	t.Helper()
	os.Remove(path)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// resume validates everything it reads. Each case fails before any work
// with an *store.InvalidError naming the file and field (exit code 2), and
// writes nothing. (Before: the id escaped the output directory, -5 agents
// panicked, /dev/zero was read forever, another seed's checkpoint was used
// and the result claimed the wrong seed.)
func TestResumeRefusesWhatItShouldNotTrust(t *testing.T) {
	other := interrupted(t, t.TempDir(), 2) // a run with another seed
	otherCkpt := newestCheckpoint(t, other)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		file   string // base name of the file named
		field  string
	}{
		{"id escapes", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.ID = "../../escaped" })
		}, store.SpecFile, "id"},
		{"id empty", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.ID = "" })
		}, store.SpecFile, "id"},
		{"id dot-dot", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.ID = ".." })
		}, store.SpecFile, "id"},
		{"negative agents", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.Agents = -5 })
		}, store.SpecFile, "agents"},
		{"huge agents", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.Agents = 1 << 40 })
		}, store.SpecFile, "agents"},
		{"zero days", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.Days = 0 })
		}, store.SpecFile, "days"},
		{"negative checkpoint interval", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.CheckpointEvery = -1 })
		}, store.SpecFile, "checkpoint_every"},
		{"bad ledger", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.Ledger = "sample:7" })
		}, store.SpecFile, "ledger"},
		{"seed edited, hash not", func(t *testing.T, dir string) {
			editSpec(t, dir, false, func(s *store.Spec) { s.Seed = 99 })
		}, store.SpecFile, "spec_sha256"},
		{"another version", func(t *testing.T, dir string) {
			editSpec(t, dir, true, func(s *store.Spec) { s.Version = "v0.0.1" })
		}, store.SpecFile, "version"},
		{"spec is a symlink to /dev/zero", func(t *testing.T, dir string) {
			replaceWithSymlink(t, filepath.Join(dir, store.SpecFile), "/dev/zero")
		}, store.SpecFile, ""},
		{"spec is a FIFO", func(t *testing.T, dir string) {
			p := filepath.Join(dir, store.SpecFile)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip("no FIFOs here")
			}
		}, store.SpecFile, ""},
		{"spec too large", func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(dir, store.SpecFile), store.MaxSpecBytes+1)
		}, store.SpecFile, ""},
		{"checkpoint is a symlink to /dev/zero", func(t *testing.T, dir string) {
			replaceWithSymlink(t, newestCheckpoint(t, dir), "/dev/zero")
		}, "ckpt-00000005.bin", ""},
		{"checkpoints directory is a symlink", func(t *testing.T, dir string) {
			p := filepath.Join(dir, store.CheckpointsDir)
			os.RemoveAll(p)
			replaceWithSymlink(t, p, filepath.Dir(otherCkpt))
		}, store.CheckpointsDir, ""},
		{"checkpoint of another seed", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(otherCkpt)
			os.WriteFile(filepath.Join(dir, store.CheckpointsDir, "ckpt-00000099.bin"), b, 0o644)
		}, "ckpt-00000099.bin", "seed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			out := filepath.Join(base, "a", "b", "out")
			dir := interrupted(t, out, 1)
			tc.damage(t, dir)
			_, err := Resume(context.Background(), dir, 1, nil, nil)
			var iv *store.InvalidError
			if !errors.As(err, &iv) {
				t.Fatalf("got %v, want an InvalidError", err)
			}
			if filepath.Base(iv.File) != tc.file || iv.Field != tc.field {
				t.Errorf("error names %s field %q, want %s field %q: %v", iv.File, iv.Field, tc.file, tc.field, err)
			}
			if _, err := os.Lstat(filepath.Join(base, "a", "escaped")); err == nil {
				t.Error("resume wrote outside the output directory")
			}
			if e, _ := os.ReadDir(out); len(e) != 1 {
				t.Errorf("output directory holds %d entries, want only the unfinished run", len(e))
			}
		})
	}
}

// Every field of the spec that decides the results is in its hash, which
// each checkpoint carries: a checkpoint is used only by the run it was
// written for.
func TestSpecHashCoversEveryField(t *testing.T) {
	s := store.Spec{ID: "a", ScenarioFile: "f.yaml", ScenarioText: "x", ScenarioSHA256: "h", Sets: []string{"a=1"},
		Agents: 10, Days: 5, Seed: 1, Ledger: "all", CheckpointEvery: 2, Version: "v1"}
	h := s.Hash()
	for name, change := range map[string]func(*store.Spec){
		"scenario_file": func(s *store.Spec) { s.ScenarioFile = "g.yaml" },
		"scenario_text": func(s *store.Spec) { s.ScenarioText = "y" },
		"scenario_sha":  func(s *store.Spec) { s.ScenarioSHA256 = "i" },
		"sets":          func(s *store.Spec) { s.Sets = []string{"a=2"} },
		"agents":        func(s *store.Spec) { s.Agents++ },
		"days":          func(s *store.Spec) { s.Days++ },
		"seed":          func(s *store.Spec) { s.Seed++ },
		"ledger":        func(s *store.Spec) { s.Ledger = "none" },
		"checkpoint":    func(s *store.Spec) { s.CheckpointEvery++ },
		"version":       func(s *store.Spec) { s.Version = "v2" },
	} {
		c := s
		change(&c)
		if c.Hash() == h {
			t.Errorf("%s is not covered by the spec's hash", name)
		}
	}
	c := s
	c.ID, c.Created, c.Name = "b", "yesterday", "a label"
	if c.Hash() != h {
		t.Error("the id, name or creation time changed the hash; they name the run, not what it computes")
	}
}

// A resumed run claims the seed it ran with (the checkpoint is checked
// against it), and finishes.
func TestResumeAfterValidation(t *testing.T) {
	dir := interrupted(t, t.TempDir(), 3)
	res, err := Resume(context.Background(), dir, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Seed != 3 || !strings.HasPrefix(filepath.Base(res.Dir), "benchmark-s3-") {
		t.Errorf("resumed run %s claims seed %d, want 3", res.Dir, res.Manifest.Seed)
	}
}

// A resumed run keeps its label: in run.json and in its id.
func TestResumeKeepsTheName(t *testing.T) {
	dir := interruptedNamed(t, t.TempDir(), 3, "Night shift")
	res, err := Resume(context.Background(), dir, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Name != "Night shift" || !strings.HasPrefix(filepath.Base(res.Dir), "benchmark-night-shift-s3-") {
		t.Errorf("resumed run %s named %q", res.Dir, res.Manifest.Name)
	}
	m, err := store.ReadManifest(res.Dir)
	if err != nil || m.Name != "Night shift" {
		t.Errorf("run.json name %q, %v", m.Name, err)
	}
}
