package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
	for _, name := range []string{"benchmark"} {
		t.Run(name, func(t *testing.T) {
			a := runOnce(t, name, 1)
			b := runOnce(t, name, 4)
			for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile} {
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
