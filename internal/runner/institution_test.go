package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// A lender deciding every 30 days by equal opportunity over two groups;
// scores feed back through the rules on its outcomes.
const lenderScenario = `name: lending
run: {agents: 20000, days: 90, seed: 3, ledger: sample:0.05}
population:
  regions:
    - {name: all, share: 1, groups: {a: 0.7, b: 0.3}}
  traits: [{name: thin_file, p: 0.3}]
network: {model: none}
surveillance:
  channels: [{name: bureau, detect: 1}]
behaviours:
  - {name: pay, channel: bureau, context: credit, rate: 1/30}
scoring:
  range: [300, 850]
  initial: [{group: a, score: 700}, {group: b, score: 620}]
  rules:
    - {name: on_time, on: pay, amount: 1}
    - {name: profile, every: 1, when: day == 0 && thin_file, amount: -80}
    - {name: repaid, on: lender.success, amount: 75}
    - {name: defaulted, on: lender.failure, amount: -150}
tiers:
  levels: [{name: prime, min: 660}, {name: subprime}]
institutions:
  - name: lender
    every: 30
    first: 1
    policy: equal-opportunity
    gain: 1
    loss: 2
    believes: clamp((score - 300) / 550, 0, 1)
`

func runLender(t *testing.T, workers int) *Result {
	t.Helper()
	sc, err := scenario.Load("lending.yaml", []byte(lenderScenario), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{
		Scenario: sc, Agents: 20_000, Days: 90, Seed: 3, Workers: workers, Ledger: "sample:0.05", OutDir: t.TempDir(),
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestInstitutionsDeterministicAcrossWorkers: a run with an institution
// writes identical bytes with 1 and 4 workers, and its institutions table
// agrees with the agents table's per-person approvals.
func TestInstitutionsDeterministicAcrossWorkers(t *testing.T) {
	a, b := runLender(t, 1), runLender(t, 4)
	for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile, store.InstitutionsFile} {
		x, err := os.ReadFile(filepath.Join(a.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between 1 and 4 workers", f)
		}
	}
	m, err := store.ReadManifest(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Institutions) != 1 || !slices.Contains(m.Files, store.InstitutionsFile) {
		t.Errorf("run.json: institutions %+v, files %v", m.Institutions, m.Files)
	}
	inst, err := store.ReadTable(filepath.Join(a.Dir, store.InstitutionsFile))
	if err != nil {
		t.Fatal(err)
	}
	// Decisions on days value 1, 31, 61 (the tables number them 2, 32, 62),
	// two groups each.
	if inst.Rows != 6 {
		t.Fatalf("%d institution rows, want 6", inst.Rows)
	}
	for r, d := range inst.Cols["day"].Int {
		if want := int64(2 + 30*(r/2)); d != want {
			t.Errorf("row %d: day %d, want %d", r, d, want)
		}
	}
	agents, err := store.ReadTable(filepath.Join(a.Dir, store.AgentsFile))
	if err != nil {
		t.Fatal(err)
	}
	var approved, succeeded, tApproved, tSucceeded int64
	for r := range inst.Rows {
		approved += inst.Cols["approved"].Int[r]
		succeeded += inst.Cols["successes"].Int[r]
	}
	for r := range agents.Rows {
		tApproved += agents.Cols["approved_lender"].Int[r]
		tSucceeded += agents.Cols["succeeded_lender"].Int[r]
	}
	if approved == 0 || approved != tApproved || succeeded != tSucceeded {
		t.Errorf("institutions table: %d approved, %d succeeded; agents table: %d, %d", approved, succeeded, tApproved, tSucceeded)
	}
}
