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
// the scenario's ledger setting, with the trace of the ledger sample
// (explanations without a replay) that goes with the ledger.
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
	if rm.Ledger != "sample:0.01" || strings.Join(rm.Files, " ") != "run.json daily.parquet agents.parquet ledger.parquet trace.parquet trace_events.parquet trace_changes.parquet" {
		t.Errorf("ledger %s, files %v", rm.Ledger, rm.Files)
	}
}

// TestTidyTableShape pins the contract of the result tables: key columns
// first, one daily row per day x group, one audit row per run.
func TestTidyTableShape(t *testing.T) {
	s := load(t, head+"replicates: 2\nparameters:\n  - {path: population.regions.south.cameras_per_1000, values: [100]}\n  - {path: tiers.caps.0.best, values: [trustworthy]}\n")
	dir := filepath.Join(t.TempDir(), s.Name)
	if _, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	r := s.Run(1)
	daily, err := store.ReadTable(filepath.Join(dir, ResultsDir, dailyFragment(r.ID)))
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"sweep", "point", "replicate", "seed", "population.regions.south.cameras_per_1000", "tiers.caps.0.best"}
	if got := strings.Join(daily.Names[:8], " "); got != strings.Join(append(keys, "day", "group"), " ") {
		t.Errorf("daily columns start %s", got)
	}
	for _, c := range []string{"agents", "score_mean", "tier_trustworthy", "sanction_travel_ban", "attempted_attend_mosque"} {
		if !daily.Has(c) {
			t.Errorf("daily lacks %s", c)
		}
	}
	if daily.Rows != (10+1)*3 || daily.Cols["day"].Int[0] != 0 || daily.Cols["group"].Str[1] != "uyghur" ||
		daily.Cols["seed"].Int[0] != int64(r.Seed) || daily.Cols["population.regions.south.cameras_per_1000"].Float[0] != 100 ||
		daily.Cols["tiers.caps.0.best"].Str[0] != "trustworthy" || daily.Cols["replicate"].Int[0] != 1 {
		t.Errorf("daily: %d rows, first day %v, groups %v", daily.Rows, daily.Cols["day"].Int[:3], daily.Cols["group"].Str[:3])
	}
	// Agents per day and group add up to the population (day 0 is the start).
	var n int64
	for i, d := range daily.Cols["day"].Int {
		if d == 1 {
			n += daily.Cols["agents"].Int[i]
		}
	}
	if n != 300 {
		t.Errorf("day 1 has %d agents, want 300", n)
	}
	aud, err := store.ReadTable(filepath.Join(dir, ResultsDir, auditFragment(r.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if aud.Rows != 1 || strings.Join(aud.Names[:6], " ") != strings.Join(keys, " ") || !aud.Has("ever_sanctioned_uyghur") || !aud.Has("gap_worst_tier") {
		t.Errorf("audit: %d rows, columns %v", aud.Rows, aud.Names)
	}
}
