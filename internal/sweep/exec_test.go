package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// TestFailedRunIsRecordedAndRetried: a run that fails is written to
// failures.jsonl, the others finish, and a resumed sweep runs it again.
func TestFailedRunIsRecordedAndRetried(t *testing.T) {
	s := load(t, head+"replicates: 2\nparameters:\n  - {path: tiers.caps.0.best, values: [average, trustworthy]}\n")
	dir := filepath.Join(t.TempDir(), s.Name)
	real := execute
	defer func() { execute = real }()
	execute = func(ctx context.Context, spec runner.Spec) (*runner.Result, error) {
		if spec.ID == "p0001-r00" {
			return nil, errors.New("disk on fire")
		}
		return real(ctx, spec)
	}
	out, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if out.Done != 3 || out.Failed != 1 {
		t.Errorf("outcome %+v, want 3 done and 1 failed", out)
	}
	fails := ReadFailures(dir)
	if len(fails) != 1 || fails[0].ID != "p0001-r00" || fails[0].Point != 1 || fails[0].Replicate != 0 ||
		fails[0].Seed != s.SeedOf(1, 0) || !strings.Contains(fails[0].Error, "disk on fire") {
		t.Errorf("failures.jsonl: %+v", fails)
	}
	if _, err := os.Stat(filepath.Join(dir, RunsDir, "p0001-r00")); !os.IsNotExist(err) {
		t.Error("the failed run left a run directory")
	}
	m, err := ReadManifest(dir)
	if err != nil || m.Status.Done != 3 || m.Status.Failed != 1 {
		t.Errorf("status %+v (%v)", m.Status, err)
	}
	// The run directory of a sweep run says where it belongs and keeps
	// only run.json, daily.parquet and audit.json.
	rm, err := store.ReadManifest(filepath.Join(dir, RunsDir, "p0001-r01"))
	if err != nil {
		t.Fatal(err)
	}
	if rm.Sweep == nil || rm.Sweep.ID != s.Name || rm.Sweep.Point != 1 || rm.Sweep.Replicate != 1 ||
		rm.Sweep.Params[0] != (store.SweepParam{Path: "tiers.caps.0.best", Value: "trustworthy"}) || rm.Ledger != "none" {
		t.Errorf("run.json sweep %+v ledger %s", rm.Sweep, rm.Ledger)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, RunsDir, "p0001-r01"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "audit.json daily.parquet run.json" || strings.Join(rm.Files, " ") != "run.json daily.parquet" {
		t.Errorf("run files %v, manifest files %v", names, rm.Files)
	}
	execute = real
	out, err = Execute(context.Background(), s, Options{Dir: dir, Jobs: 2, Resume: true})
	if err != nil || out.Skipped != 3 || out.Done != 1 || out.Failed != 0 {
		t.Errorf("resume: %+v %v", out, err)
	}
	if m, _ := ReadManifest(dir); m.Status.Done != 4 || m.Status.Failed != 0 {
		t.Errorf("status after resume %+v", m.Status)
	}
}

// TestKeepAgentsAndLedger: keep: [agents, ledger] keeps those files and
// the scenario's ledger setting.
func TestKeepAgentsAndLedger(t *testing.T) {
	s := load(t, head+"keep: [agents, ledger]\nparameters:\n  - {path: tiers.caps.0.best, values: [average]}\n")
	dir := filepath.Join(t.TempDir(), s.Name)
	if _, err := Execute(context.Background(), s, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, RunsDir, s.Run(0).ID)
	rm, err := store.ReadManifest(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{store.AgentsFile, store.LedgerFile, AuditFile} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if rm.Ledger != "sample:0.01" || strings.Join(rm.Files, " ") != "run.json daily.parquet agents.parquet ledger.parquet" {
		t.Errorf("ledger %s, files %v", rm.Ledger, rm.Files)
	}
}
