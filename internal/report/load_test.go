package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// LoadRun tells bad input (no run there) from a failure (a damaged
// table), and reads a run without agents only when asked to.
func TestLoadRun(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 300, Days: 3, Seed: 1, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dir := res.Dir
	if run, err := LoadRun(dir, false); err != nil || run.Agents == nil {
		t.Fatalf("LoadRun: %v", err)
	}
	missing := filepath.Join(dir, "nope")
	var rd *audit.RunDirError
	if _, err := LoadRun(missing, true); !errors.As(err, &rd) || err.Error() != missing+": not a run directory" {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := LoadRun(filepath.Join(dir, "run.json"), false); !errors.As(err, &rd) {
		t.Errorf("a file: %v", err)
	}

	agents := filepath.Join(dir, store.AgentsFile)
	if err := os.WriteFile(agents, []byte("PAR1 not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadRun(dir, true)
	if errors.As(err, &rd) || err == nil || !strings.HasPrefix(err.Error(), "report "+dir+": ") || !strings.HasSuffix(err.Error(), " (run it again, or remove it)") {
		t.Errorf("a damaged agents table: %v, want a failure naming the run", err)
	}

	os.Remove(agents)
	if run, err := LoadRun(dir, true); err != nil || run.Agents != nil || run.Daily == nil {
		t.Errorf("LoadRun of aggregates: %v", err)
	}
	if _, err := LoadRun(dir, false); !errors.As(err, &rd) || !strings.HasPrefix(err.Error(), dir+": ") {
		t.Errorf("LoadRun of a run without agents, all tables asked: %v, want bad input", err)
	}
}
