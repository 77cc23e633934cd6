package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

func runOnce(t *testing.T, name string, workers int, sets ...string) *Result {
	t.Helper()
	sc, err := scenario.Resolve(name, sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{
		Scenario: sc, Sets: sets, Agents: 20_000, Days: 40, Seed: 7, Workers: workers,
		Ledger: "sample:0.05", OutDir: t.TempDir(),
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stable returns run.json without the fields that legitimately differ
// between identical runs (timings, host).
func stable(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, store.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "timings")
	delete(m, "host")
	return m
}

// TestDeterministicAcrossWorkers is the determinism guarantee: the same
// scenario and seed give byte-identical tables for 1 and 4 workers.
func TestDeterministicAcrossWorkers(t *testing.T) {
	for _, bi := range scenario.Builtins() {
		name := bi.Name
		t.Run(name, func(t *testing.T) {
			a := runOnce(t, name, 1)
			b := runOnce(t, name, 4)
			for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile, store.TraceFile, store.TraceEventsFile, store.TraceChangesFile} {
				x, err := os.ReadFile(filepath.Join(a.Dir, f))
				if err != nil {
					t.Fatal(err)
				}
				y, err := os.ReadFile(filepath.Join(b.Dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(x, y) {
					t.Errorf("%s differs between 1 and 4 workers (%d vs %d bytes)", f, len(x), len(y))
				}
			}
			if diff := cmp.Diff(stable(t, a.Dir), stable(t, b.Dir)); diff != "" {
				t.Errorf("run.json differs (-1 worker +4 workers):\n%s", diff)
			}
		})
	}
}

// TestNothingLeftOnCancel checks that a cancelled run leaves no directory.
func TestNothingLeftOnCancel(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Execute(ctx, Spec{Scenario: sc, Agents: 5000, Days: 50, Seed: 1, Ledger: "none", OutDir: out,
		Progress: func(day, _ int) {
			if day == 3 {
				cancel()
			}
		}})
	if err == nil {
		t.Fatal("cancelled run returned no error")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 0 {
		t.Errorf("cancelled run left %d entries in the output directory: %v", len(entries), entries[0].Name())
	}
}

func TestMemoryGuard(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Execute(context.Background(), Spec{Scenario: sc, Agents: 1_000_000, Days: 1, Seed: 1, Ledger: "none",
		OutDir: t.TempDir(), MaxMemory: 1 << 20})
	var me *MemoryError
	if !asMem(err, &me) {
		t.Fatalf("got %v, want a MemoryError", err)
	}
	if me.Need < 50<<20 {
		t.Errorf("estimate %d bytes for a million agents is implausibly small", me.Need)
	}
}

func asMem(err error, me **MemoryError) bool {
	m, ok := err.(*MemoryError)
	*me = m
	return ok
}

// A run interrupted with checkpointing on resumes to byte-identical tables,
// falling back past a damaged newest checkpoint.
func TestInterruptResumeWithDamagedCheckpoint(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := func(out string) Spec {
		// One id for both runs: the tables' metadata names the run.
		return Spec{Scenario: sc, Agents: 8000, Days: 40, Seed: 4, Ledger: "sample:0.05", OutDir: out, CheckpointEvery: 5, ID: "resume-test"}
	}
	ref, err := Execute(context.Background(), spec(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s := spec(out)
	s.Progress = func(day, _ int) {
		if day == 23 {
			cancel()
		}
	}
	_, err = Execute(ctx, s)
	var ie *InterruptedError
	if !errorsAs(err, &ie) || ie.Day != 23 {
		t.Fatalf("got %v, want an InterruptedError at day 23", err)
	}
	// Damage the newest checkpoint (day 23): flip a byte in the middle.
	list, _ := filepath.Glob(filepath.Join(ie.Dir, "checkpoints", "ckpt-*.bin"))
	if len(list) != 2 {
		t.Fatalf("want the last two checkpoints kept, got %v", list)
	}
	newest := list[len(list)-1]
	b, _ := os.ReadFile(newest)
	b[len(b)/2] ^= 0xff
	os.WriteFile(newest, b, 0o644)
	var warnings []string
	res, err := Resume(context.Background(), ie.Dir, 2, nil, func(err error) { warnings = append(warnings, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "checksum mismatch") {
		t.Errorf("warnings %q, want one checksum mismatch", warnings)
	}
	for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile, store.TraceFile, store.TraceEventsFile, store.TraceChangesFile} {
		x, _ := os.ReadFile(filepath.Join(ref.Dir, f))
		y, _ := os.ReadFile(filepath.Join(res.Dir, f))
		if !bytes.Equal(x, y) || len(x) == 0 {
			t.Errorf("%s differs after resume", f)
		}
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "checkpoints")); err == nil {
		t.Error("checkpoints left in the finished run directory")
	}
}

func TestCheckpointOfAnotherScenarioIsRejected(t *testing.T) {
	sc, _ := scenario.Resolve("benchmark", nil)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Execute(ctx, Spec{Scenario: sc, Agents: 3000, Days: 20, Seed: 1, Ledger: "none", OutDir: out, CheckpointEvery: 2,
		Progress: func(day, _ int) {
			if day == 5 {
				cancel()
			}
		}})
	var ie *InterruptedError
	if !errorsAs(err, &ie) {
		t.Fatal(err)
	}
	list, _ := filepath.Glob(filepath.Join(ie.Dir, "checkpoints", "ckpt-*.bin"))
	ss, err := store.ReadSpec(ie.Dir)
	if err != nil {
		t.Fatal(err)
	}
	other := *ss
	other.ScenarioSHA256 = "0000"
	if _, err := store.ReadCheckpoint(list[0], &other, 1<<30); err == nil || !strings.Contains(err.Error(), "another scenario") {
		t.Errorf("got %v, want a scenario mismatch", err)
	}
	trunc := list[0] + ".trunc"
	b, _ := os.ReadFile(list[0])
	os.WriteFile(trunc, b[:len(b)/3], 0o644)
	if _, err := store.ReadCheckpoint(trunc, ss, 1<<30); err == nil {
		t.Error("a truncated checkpoint was accepted")
	}
}

func errorsAs(err error, target **InterruptedError) bool { return errors.As(err, target) }

// The graph is kept in ring form unless an expression reads acq.* (where
// decoding at every read would cost more than the memory saved).
func TestCompactGraphUnlessAcq(t *testing.T) {
	for name, want := range map[string]bool{"benchmark": true, "us-credit": true, "nosedive": false, "xinjiang-pilot": false} {
		sc, err := scenario.Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := sc.Compile()
		if err != nil {
			t.Fatal(err)
		}
		pop, _ := generate(context.Background(), sc, prog, 2000, 1)
		if pop.Graph.Compacted() != want {
			t.Errorf("%s: compacted %v, want %v", name, pop.Graph.Compacted(), want)
		}
	}
}
