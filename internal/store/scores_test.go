package store_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// A run with an extra score (platform-and-state's court) stores it in all
// three tables, and they agree with each other, computed three ways: each
// agent's starting value plus the delta_ columns of the rules that move
// it equals its final value; so does the sum of its ledger rows marked
// with that score; and the daily table's last-day mean per cell is the
// agents' mean.
func TestExtraScoreColumns(t *testing.T) {
	sc, err := scenario.Resolve("platform-and-state", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 3000, Days: 60, Seed: 1,
		Workers: 2, Ledger: "all", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.ReadManifest(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) *store.Table {
		tb, err := store.ReadTable(filepath.Join(res.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	agents, ledger, daily := read(store.AgentsFile), read(store.LedgerFile), read(store.DailyFile)
	if len(m.Names.Scores) != 1 || m.Names.Scores[0] != "court" {
		t.Fatalf("names.scores = %v, want [court]", m.Names.Scores)
	}
	final, start := agents.Cols["score_court"].Float, agents.Cols["baseline_court"].Float
	main, mainStart := agents.Cols["score"].Float, agents.Cols["baseline"].Float
	sums := map[string][]float64{"court": append([]float64(nil), start...), store.MainScore: append([]float64(nil), mainStart...)}
	for _, c := range m.Names.Contributions {
		col := agents.Cols["delta_"+c].Float
		s := sums[store.ScoreOfContribution(m, c)]
		for i, x := range col {
			s[i] += x
		}
	}
	moved := 0
	for i := range final {
		if math.Abs(sums["court"][i]-final[i]) > 1e-6 || math.Abs(sums[store.MainScore][i]-main[i]) > 1e-6 {
			t.Fatalf("agent %d: court %g + deltas = %g (stored %g); main %g + deltas = %g (stored %g)",
				i, start[i], sums["court"][i], final[i], mainStart[i], sums[store.MainScore][i], main[i])
		}
		if final[i] != start[i] {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no one's court score moved: the test checks nothing")
	}
	fromLedger := append([]float64(nil), start...)
	scoreCol, agentCol, deltaCol, ruleCol := ledger.Cols["score"].Str, ledger.Cols["agent"].Int, ledger.Cols["delta"].Float, ledger.Cols["rule"].Str
	for r := range scoreCol {
		if want := store.ScoreOfContribution(m, ruleCol[r]); scoreCol[r] != want {
			t.Fatalf("ledger row %d: rule %s marked %s, want %s", r, ruleCol[r], scoreCol[r], want)
		}
		if scoreCol[r] == "court" {
			fromLedger[agentCol[r]] += deltaCol[r]
		}
	}
	for i := range final {
		if math.Abs(fromLedger[i]-final[i]) > 1e-6 {
			t.Fatalf("agent %d: ledger gives court %g, agents table %g", i, fromLedger[i], final[i])
		}
	}
	groups := agents.Cols["group"].Str
	for r := range daily.Rows {
		if daily.Cols["day"].Int[r] != 60 {
			continue
		}
		g := daily.Cols["group"].Str[r]
		var s float64
		var n int
		for i, x := range final {
			if groups[i] == g {
				s += x
				n++
			}
		}
		if got, want := daily.Cols["score_court_mean"].Float[r], s/float64(n); math.Abs(got-want) > 1e-9 {
			t.Errorf("group %s: daily score_court_mean %g, agents' mean %g", g, got, want)
		}
	}
}
