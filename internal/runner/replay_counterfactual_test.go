package runner

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// TestReplayCounterfactualReproducesTwins: replaying a run without a rule
// (or without the regime) gives exactly the final scores its twin stored.
func TestReplayCounterfactualReproducesTwins(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 3000, Days: 30, Seed: 3, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		twin     string
		noRegime bool
		disabled []string
	}{
		{"ablate-mosque", false, []string{"mosque"}},
		{NoRegime, true, nil},
	} {
		t.Run(tc.twin, func(t *testing.T) {
			dir, err := Twin(context.Background(), res.Dir, tc.twin, 1)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := store.ReadTable(filepath.Join(dir, store.AgentsFile), "score")
			if err != nil {
				t.Fatal(err)
			}
			agents := []int32{0, 1500, 2999}
			final, traces, err := ReplayCounterfactual(context.Background(), res.Manifest, agents, 2, tc.noRegime, tc.disabled)
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != len(agents) {
				t.Fatalf("got %d traces, want %d", len(traces), len(agents))
			}
			for i, s := range tab.Cols["score"].Float {
				if got, want := int64(final.Score[i]), int64(math.Round(s*rule.Scale)); got != want {
					t.Fatalf("agent %d: replay score %d, twin stored %d", i, got, want)
				}
			}
			for k, a := range agents {
				if got, want := traces[k].Days[len(traces[k].Days)-1].Score, final.Score[a]; got != want {
					t.Errorf("agent %d: trace ends at %d, final %d", a, got, want)
				}
			}
		})
	}
}
