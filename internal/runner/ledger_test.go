package runner

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// The up-front ledger estimate (behind the --ledger all warning and the
// memory guard) is an upper bound of the same order as what a run records.
func TestLedgerEstimateBoundsTheLedger(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	const agents, days = 5000, 30
	est, bytes := LedgerEstimate(sc, agents, days, "all")
	res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: agents, Days: days, Seed: 3,
		Ledger: "all", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := store.ReadTable(filepath.Join(res.Dir, store.LedgerFile), "agent")
	if err != nil {
		t.Fatal(err)
	}
	got := uint64(tab.Rows)
	t.Logf("estimate %d entries (%d bytes), recorded %d", est, bytes, got)
	if est < got || est > 4*got {
		t.Errorf("estimate %d entries, run recorded %d: want an upper bound within 4x", est, got)
	}
	if e, b := LedgerEstimate(sc, agents, days, "none"); e != 0 || b != 0 {
		t.Errorf("--ledger none estimated at %d entries", e)
	}
	if e, _ := LedgerEstimate(sc, agents, days, "sample:0.1"); e > est/10+1 || e < est/10-1 {
		t.Errorf("sample:0.1 estimated at %d, want a tenth of %d", e, est)
	}
	// The warning threshold: a country-sized run with --ledger all is far
	// above 1 GiB.
	if _, b := LedgerEstimate(sc, 10_000_000, 365, "all"); b < 1<<30 {
		t.Errorf("10M x 365 --ledger all estimated at %d bytes, want over 1 GiB", b)
	}
}
