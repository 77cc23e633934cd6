// Package delayedimpact checks that the built-in scenario delayed-impact
// reproduces Liu, Dean, Rolf, Simchowitz and Hardt, "Delayed Impact of
// Fair Machine Learning" (ICML 2018): for the Black and white groups, at
// u = 4 and u = 10 and under each of the three lender policies, the
// engine's approval rates and mean score changes are compared with
// internal/reference/delayedimpact, an implementation of the paper written
// from the paper alone (never from nosedive's code). docs/credit.md says
// how close they come and why they differ at all.
package delayedimpact

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/reference/delayedimpact"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// The tolerances of the issue that asked for the reproduction: selection
// rates within 0.01, mean score changes within 1 point. The engine runs on
// 200,000 synthetic people drawn from the tables (about 24,000 Black), so
// it differs from the reference's exact masses by sampling alone: about
// 0.003 in a selection rate and 0.3 points in a mean change (one standard
// error); the observed gaps are logged.
const (
	rateTol   = 0.01
	changeTol = 1.0
)

var policies = map[string]string{ // nosedive's name -> the reference's
	"max-utility":        "max-util",
	"demographic-parity": "dem-parity",
	"equal-opportunity":  "eq-opp",
}

func TestReproducesThePaper(t *testing.T) {
	if testing.Short() {
		t.Skip("six runs of 200,000 people")
	}
	data, err := delayedimpact.Load(filepath.Join("..", "..", "scenarios", "data", "fico-transrisk"))
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]string{"white": delayedimpact.White, "black": delayedimpact.Black}
	var worstRate, worstChange float64
	// at[u][policy][group] = {selection rate, mean score change}, for the
	// scenario header's sentences below.
	at := map[float64]map[string]map[string][2]float64{}
	for _, u := range []float64{4, 10} {
		at[u] = map[string]map[string][2]float64{}
		for _, policy := range []string{"max-utility", "demographic-parity", "equal-opportunity"} {
			sets := []string{"institutions.lender.policy=" + policy, fmt.Sprintf("institutions.lender.loss=%g", u)}
			want, err := delayedimpact.Solve(data, []string{delayedimpact.White, delayedimpact.Black}, policies[policy], u)
			if err != nil {
				t.Fatal(err)
			}
			rate, change := run(t, sets)
			at[u][policy] = map[string][2]float64{}
			for g := range groups {
				at[u][policy][g] = [2]float64{rate[g], change[g]}
			}
			for g, refName := range groups {
				var ref *delayedimpact.GroupResult
				for i := range want {
					if want[i].Group == refName {
						ref = &want[i]
					}
				}
				if ref == nil {
					t.Fatalf("reference has no group %s", refName)
				}
				dr, dc := math.Abs(rate[g]-ref.Rate), math.Abs(change[g]-ref.DeltaMu)
				worstRate, worstChange = max(worstRate, dr), max(worstChange, dc)
				t.Logf("u=%g %-18s %-5s selection %.4f (paper %.4f)  mean change %+7.3f (paper %+7.3f)", u, policy, g, rate[g], ref.Rate, change[g], ref.DeltaMu)
				if dr > rateTol {
					t.Errorf("u=%g %s %s: selection rate %.4f, reference %.4f", u, policy, g, rate[g], ref.Rate)
				}
				if dc > changeTol {
					t.Errorf("u=%g %s %s: mean score change %.3f, reference %.3f", u, policy, g, change[g], ref.DeltaMu)
				}
			}
		}
	}
	t.Logf("largest gaps: selection rate %.4f, mean score change %.3f points", worstRate, worstChange)

	// The header of scenarios/delayed-impact.yaml, sentence by sentence,
	// at u = 4 (its default loss).
	mu, dp, eo := at[4]["max-utility"], at[4]["demographic-parity"], at[4]["equal-opportunity"]
	near := func(what string, x, lo, hi float64) {
		if x < lo || x > hi {
			t.Errorf("header: %s is %.4f, outside [%g, %g]", what, x, lo, hi)
		}
	}
	near("demographic parity's Black approval rate (about 58%)", dp["black"][0], 0.565, 0.595)
	near("demographic parity's Black mean change (falls by about 17)", dp["black"][1], -18, -16)
	near("maximum profit's Black approval rate (17%)", mu["black"][0], 0.16, 0.18)
	near("maximum profit's Black mean change (raises it by about 9)", mu["black"][1], 8, 10)
	if !(eo["black"][0] > mu["black"][0] && eo["black"][1] > 0 && eo["black"][1] < mu["black"][1]) {
		t.Errorf("header: equal opportunity should lend more than maximum profit to the Black group and raise its mean score by less: %v against %v", eo["black"], mu["black"])
	}
	for _, p := range []string{"max-utility", "demographic-parity", "equal-opportunity"} {
		if c := at[4][p]["white"][1]; c <= 0 {
			t.Errorf("header: the white mean score should rise under %s, changes by %.3f", p, c)
		}
	}
}

// run runs delayed-impact with the overrides and returns per group the
// lender's selection rate and the mean score change over the day.
func run(t *testing.T, sets []string) (rate, change map[string]float64) {
	t.Helper()
	sc, err := scenario.Resolve("delayed-impact", sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: sc.Run.Agents,
		Days: sc.Run.Days, Seed: sc.Run.Seed, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := store.ReadTable(filepath.Join(res.Dir, "institutions.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	rate = map[string]float64{}
	for i := range inst.Rows {
		rate[inst.Cols["category"].Str[i]] = inst.Cols["selection_rate"].Float[i]
	}
	agents, err := store.ReadTable(filepath.Join(res.Dir, store.AgentsFile), "group", "score", "baseline")
	if err != nil {
		t.Fatal(err)
	}
	sum, n := map[string]float64{}, map[string]float64{}
	for i := range agents.Rows {
		g := agents.Cols["group"].Str[i]
		sum[g] += agents.Cols["score"].Float[i] - agents.Cols["baseline"].Float[i]
		n[g]++
	}
	change = map[string]float64{}
	for g := range sum {
		change[g] = sum[g] / n[g]
	}
	return rate, change
}

// TestOutcomeCurve: with the lender approving a fixed share of each group
// (policy fixed-rate), each group's mean score change is the paper's
// outcome curve at that share; the engine's is compared with the
// reference's at five rates.
func TestOutcomeCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("five runs of 200,000 people")
	}
	data, err := delayedimpact.Load(filepath.Join("..", "..", "scenarios", "data", "fico-transrisk"))
	if err != nil {
		t.Fatal(err)
	}
	betas := []float64{0.1, 0.3, 0.5, 0.7, 0.9}
	want := map[string][]float64{}
	for g, ref := range map[string]string{"white": delayedimpact.White, "black": delayedimpact.Black} {
		if want[g], err = delayedimpact.OutcomeCurve(data, ref, betas); err != nil {
			t.Fatal(err)
		}
	}
	for k, beta := range betas {
		rate, change := run(t, []string{"institutions.lender.policy=fixed-rate", fmt.Sprintf("institutions.lender.rate=%g", beta)})
		for g := range want {
			t.Logf("rate %.1f %-5s selection %.4f  mean change %+7.3f (paper %+7.3f)", beta, g, rate[g], change[g], want[g][k])
			if math.Abs(rate[g]-beta) > 1e-9 {
				t.Errorf("rate %g %s: the lender selected %.6f", beta, g, rate[g])
			}
			if d := math.Abs(change[g] - want[g][k]); d > changeTol {
				t.Errorf("rate %g %s: mean score change %.3f, reference %.3f", beta, g, change[g], want[g][k])
			}
		}
	}
}
