package reference_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/reference"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// TestEngineAgreesWithReference is the correctness check of the simulator
// specification: `nosedive run benchmark --agents 100000 --days 365` and
// this package's independent implementation of section 6 agree on the
// mean score per group within 0.5% and on every tier share and sanction
// share within one percentage point. The two use different random
// streams, so the agreement is statistical; two seeds guard against luck.
func TestEngineAgreesWithReference(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size agreement run skipped with -short")
	}
	const n, days = 100_000, 365
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2} {
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: n, Days: days, Seed: seed,
			Ledger: "none", OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		tab, err := store.ReadTable(filepath.Join(res.Dir, store.AgentsFile), "group", "score", "tier", "sanction_travel_ban", "sanction_school_block")
		if err != nil {
			t.Fatal(err)
		}
		type acc struct {
			n, travel, school float64
			sum               float64
			tiers             map[string]float64
		}
		eng := map[string]*acc{}
		for i := 0; i < tab.Rows; i++ {
			g := tab.Cols["group"].Str[i]
			a := eng[g]
			if a == nil {
				a = &acc{tiers: map[string]float64{}}
				eng[g] = a
			}
			a.n++
			a.sum += tab.Cols["score"].Float[i]
			a.tiers[tab.Cols["tier"].Str[i]]++
			if tab.Cols["sanction_travel_ban"].Bool[i] {
				a.travel++
			}
			if tab.Cols["sanction_school_block"].Bool[i] {
				a.school++
			}
		}
		ref := reference.RunBenchmark(n, days, seed)
		for _, g := range []string{"a", "b"} {
			e, r := eng[g], ref.Groups[g]
			if e == nil || e.n == 0 || r.N == 0 {
				t.Fatalf("seed %d: group %s missing (engine %v, reference %d agents)", seed, g, e, r.N)
			}
			mean := e.sum / e.n
			rel := math.Abs(mean-r.MeanScore) / r.MeanScore
			t.Logf("seed %d group %s: mean %.2f vs %.2f (%.3f%%)", seed, g, mean, r.MeanScore, 100*rel)
			if rel > 0.005 {
				t.Errorf("seed %d group %s: mean score %.2f, reference %.2f: %.2f%% apart, more than 0.5%%", seed, g, mean, r.MeanScore, 100*rel)
			}
			check := func(what string, eng, ref float64) {
				t.Logf("seed %d group %s %s: %.2f%% vs %.2f%%", seed, g, what, 100*eng, 100*ref)
				if math.Abs(eng-ref) > 0.01 {
					t.Errorf("seed %d group %s: %s %.2f%%, reference %.2f%%: more than one percentage point apart", seed, g, what, 100*eng, 100*ref)
				}
			}
			for _, tier := range []string{"trustworthy", "average", "untrustworthy"} {
				check(tier, e.tiers[tier]/e.n, r.TierShare[tier])
			}
			check("travel_ban", e.travel/e.n, r.TravelBan)
			check("school_block", e.school/e.n, r.SchoolBlock)
		}
	}
}
