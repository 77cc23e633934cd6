package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// game turns a coalition value function over rule indices into an
// Evaluator of one metric "m".
func game(rules []string, value func(on []bool) float64) Evaluator {
	return func(_ context.Context, off []string) (map[string]float64, error) {
		on := make([]bool, len(rules))
		for i, r := range rules {
			on[i] = !slices.Contains(off, r)
		}
		return map[string]float64{"m": value(on)}, nil
	}
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("r%d", i)
	}
	return out
}

// A synthetic game with interactions: efficiency (Shapley values add up to
// the total effect) must hold exactly, symmetric rules get equal shares,
// and a null rule gets zero.
func TestShapleyEfficiency(t *testing.T) {
	rules := []string{"a", "b", "c", "null"}
	eval := game(rules, func(on []bool) float64 {
		x := 0.0
		if on[0] {
			x += 1
		}
		if on[1] {
			x += 1
		}
		if on[0] && on[1] {
			x += 2 // interaction shared equally by a and b
		}
		if on[2] {
			x += 0.5
		}
		return x
	})
	for _, method := range []Method{Exact, Sampled} {
		at, err := Attribute(context.Background(), rules, eval, AttributeOptions{Metrics: []string{"m"}, Method: method, Pairs: 100, Seed: 1, Parallel: 3})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(at.Sum["m"]-at.Total["m"]) > 1e-12 || at.Total["m"] != 4.5 {
			t.Errorf("method %d: Shapley values sum to %v, total effect %v (want 4.5)", method, at.Sum["m"], at.Total["m"])
		}
		if at.LeaveOneOut["a"]["m"] != 3 {
			t.Errorf("leave-one-out for a %v, want 3", at.LeaveOneOut["a"]["m"])
		}
		if method == Exact {
			if at.Shapley["a"]["m"] != 2 || at.Shapley["b"]["m"] != 2 || at.Shapley["c"]["m"] != 0.5 || at.Shapley["null"]["m"] != 0 {
				t.Errorf("exact Shapley values %v", at.Shapley)
			}
			if at.Runs != 16 || at.Interval != nil {
				t.Errorf("exact: %d runs, intervals %v", at.Runs, at.Interval)
			}
		} else if at.Shapley["null"]["m"] != 0 || at.Shapley["c"]["m"] != 0.5 {
			// A null or additive rule has the same marginal contribution in
			// every permutation: its estimate is exact.
			t.Errorf("sampled: null %v, additive c %v", at.Shapley["null"]["m"], at.Shapley["c"]["m"])
		}
	}
}

// The automatic choice: exact while 2^n twins fit the budget or sampling
// would take as many; sampled otherwise, with the reason.
func TestAttributeChoice(t *testing.T) {
	add := func(on []bool) float64 {
		x := 0.0
		for i, b := range on {
			if b {
				x += float64(i + 1)
			}
		}
		return x
	}
	for _, c := range []struct {
		n        int
		cost     float64
		pairs    int
		exact    bool
		contains string
	}{
		{n: 9, cost: 7.3e6, pairs: 64, exact: true, contains: "exact: 512 twins of 9 rules"},
		{n: 14, cost: 3.65e7, pairs: 8, exact: false, contains: "sampled: 2^14 twins would cost 5.98e+11 agent-days"},
		{n: 6, cost: 1e12, pairs: 64, exact: true, contains: "no more than 64 antithetic permutation pairs would take"},
	} {
		rules := names(c.n)
		var planned string
		at, err := Attribute(context.Background(), rules, game(rules, add), AttributeOptions{Metrics: []string{"m"}, Pairs: c.pairs,
			TwinCost: c.cost, Plan: func(reason string, _ int) { planned = reason }})
		if err != nil {
			t.Fatal(err)
		}
		if (at.Interval == nil) != c.exact || !strings.Contains(planned, c.contains) || planned != at.Choice {
			t.Errorf("n=%d cost %g: choice %q (intervals %v), want exact=%v and %q", c.n, c.cost, planned, at.Interval != nil, c.exact, c.contains)
		}
		// An additive game: every estimate is exact.
		for i, r := range rules {
			if got := at.Shapley[r]["m"]; math.Abs(got-float64(i+1)) > 1e-12 {
				t.Errorf("n=%d: additive game, %s = %v, want %d", c.n, r, got, i+1)
			}
		}
	}
}

// majority is the weighted majority game [4; 3, 2, 1, 1]: a coalition wins
// (value 1) when its weights reach 4. By hand: the player of weight 3 is
// pivotal after {2}, {1}, {1}, {2,1}, {2,1}, {1,1} (three coalitions of
// size 1 with weight 2/24 each and three of size 2 with 2/24 each: 1/2);
// the player of weight 2 after {3} and {1,1} (1/6); each player of
// weight 1 after {3} and {2,1} (1/6).
var (
	majorityWeights = []float64{3, 2, 1, 1}
	majorityShapley = []float64{1.0 / 2, 1.0 / 6, 1.0 / 6, 1.0 / 6}
)

func majority(on []bool) float64 {
	w := 0.0
	for i, b := range on {
		if b {
			w += majorityWeights[i]
		}
	}
	if w >= 4 {
		return 1
	}
	return 0
}

// cubeOfSize is a symmetric game: v(S) = |S|^3, so each of n players gets
// n^3/n = n^2.
func cubeOfSize(on []bool) float64 {
	k := 0.0
	for _, b := range on {
		if b {
			k++
		}
	}
	return float64(k * k * k)
}

// The exact estimator gives the hand-computed values; the sampled one
// converges to them (its error shrinks as 1/sqrt(pairs)), and its 95%
// intervals cover the truth in about 95% of 200 replications.
func TestSampledShapleyKnownGames(t *testing.T) {
	rules := names(4)
	at, err := Attribute(context.Background(), rules, game(rules, majority), AttributeOptions{Metrics: []string{"m"}, Method: Exact})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rules {
		if math.Abs(at.Shapley[r]["m"]-majorityShapley[i]) > 1e-15 {
			t.Errorf("exact majority game %s = %v, want %v", r, at.Shapley[r]["m"], majorityShapley[i])
		}
	}
	sym := names(6)
	for _, g := range []struct {
		name  string
		rules []string
		value func([]bool) float64
		truth []float64
	}{
		{"weighted majority [4; 3,2,1,1]", rules, majority, majorityShapley},
		{"symmetric |S|^3", sym, cubeOfSize, []float64{36, 36, 36, 36, 36, 36}},
	} {
		rmse := func(pairs, reps int) (float64, int, int) {
			ss, covered, total := 0.0, 0, 0
			for s := range reps {
				at, err := Attribute(context.Background(), g.rules, game(g.rules, g.value),
					AttributeOptions{Metrics: []string{"m"}, Method: Sampled, Pairs: pairs, Seed: uint64(1000 + s)})
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range g.rules {
					d := at.Shapley[r]["m"] - g.truth[i]
					ss += d * d
					iv := at.Interval[r]["m"]
					if iv[0] <= g.truth[i] && g.truth[i] <= iv[1] {
						covered++
					}
					total++
				}
			}
			return math.Sqrt(ss / float64(total)), covered, total
		}
		small, _, _ := rmse(16, 100)
		large, covered, total := rmse(256, 200)
		// 16 times the pairs: a quarter of the error. The bounds allow
		// for the noise of 100 and 200 replications.
		if r := small / large; r < 3 || r > 5.3 {
			t.Errorf("%s: RMSE %.4g at 16 pairs, %.4g at 256: ratio %.2f, want about 4", g.name, small, large, r)
		}
		// Coverage of nominal 95% intervals over 200 replications x n
		// values (not independent within a replication: the values add
		// up to the total). Observed: 0.928 for the majority game, whose
		// pair means take few distinct values, 0.944 for the symmetric
		// one; 0.91 is about three binomial standard errors below the
		// first.
		if share := float64(covered) / float64(total); share < 0.91 || share > 0.985 {
			t.Errorf("%s: 95%% intervals covered the truth in %d of %d (%.3f)", g.name, covered, total, share)
		}
		t.Logf("%s: RMSE %.4g (16 pairs), %.4g (256 pairs); coverage %d/%d", g.name, small, large, covered, total)
	}
}

// On a monotone game whose marginal contributions grow with the
// coalition, a permutation and its reverse err in opposite directions:
// antithetic pairs give a smaller variance than as many plain random
// permutations.
func TestAntitheticBeatsPlain(t *testing.T) {
	rules := names(7)
	w := []float64{1, 2, 3, 1, 0.5, 2.5, 4}
	value := func(on []bool) float64 {
		x := 0.0
		for i, b := range on {
			if b {
				x += w[i]
			}
		}
		return math.Sqrt(x) + float64(x*x)/10
	}
	ex := &Attribution{Shapley: map[string]map[string]float64{}}
	v := func(mask uint64) map[string]float64 {
		on := make([]bool, len(rules))
		for i := range on {
			on[i] = mask&(1<<uint(i)) != 0
		}
		return map[string]float64{"m": value(on)}
	}
	for _, r := range rules {
		ex.Shapley[r] = map[string]float64{}
	}
	exactShapley(ex, rules, []string{"m"}, v)
	mse := func(antithetic bool) float64 {
		ss := 0.0
		for s := range 300 {
			perms := permutationPairs(len(rules), 8, uint64(s)) // 16 permutations
			if !antithetic {
				perms = plainPermutations(len(rules), 16, uint64(s))
			}
			at := &Attribution{Shapley: map[string]map[string]float64{}}
			for _, r := range rules {
				at.Shapley[r] = map[string]float64{}
			}
			sampledShapley(at, rules, []string{"m"}, perms, antithetic, v)
			for _, r := range rules {
				d := at.Shapley[r]["m"] - ex.Shapley[r]["m"]
				ss += d * d
			}
		}
		return ss
	}
	anti, plain := mse(true), mse(false)
	if !(anti < plain/2) {
		t.Errorf("squared error over 300 seeds: antithetic %.4g, plain %.4g; want antithetic below half", anti, plain)
	}
	t.Logf("squared error: antithetic %.4g, plain %.4g (ratio %.3f)", anti, plain, anti/plain)
}

// plainPermutations draws independent random permutations (no reverses).
func plainPermutations(n, count int, seed uint64) [][]int {
	key := rng.Key(seed, "test/plain-permutations")
	out := make([][]int, count)
	for p := range out {
		order := make([]int, n)
		for k := range order {
			order[k] = k
		}
		s := rng.NewStream(rng.Sub(key, uint64(p)))
		for k := n - 1; k > 0; k-- {
			j := int(s.Below(uint64(k + 1)))
			order[k], order[j] = order[j], order[k]
		}
		out[p] = order
	}
	return out
}

// Exact values are unchanged against the first implementation (stand-alone
// twin runs written to disk and read back, one at a time): testdata holds
// the attribution the binary built from main at 697a9ee computed for
// benchmark, 1000 agents x 120 days, seed 3 (`nosedive run benchmark
// --agents 1000 --days 120 --seed 3`, then `nosedive attribute RUN`). The
// twins here share their setup, run in memory, two at a time.
func TestExactAttributionUnchanged(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "attribution-old-benchmark.json"))
	if err != nil {
		t.Fatal(err)
	}
	var old Attribution
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 1000, Days: 120, Seed: 3, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := runner.NewTwins(context.Background(), res.Manifest, 0)
	if err != nil {
		t.Fatal(err)
	}
	at, err := Attribute(context.Background(), tw.Rules(), TwinFigures(tw, DefaultAttributed, 1),
		AttributeOptions{Metrics: DefaultAttributed, Parallel: 2, TwinCost: 1000 * 120})
	if err != nil {
		t.Fatal(err)
	}
	if at.Runs != old.Runs || !slices.Equal(at.Rules, old.Rules) || at.Method != old.Method {
		t.Fatalf("%d runs of %v (%s), the first implementation %d of %v (%s)", at.Runs, at.Rules, at.Method, old.Runs, old.Rules, old.Method)
	}
	nonzero := 0
	for _, r := range old.Rules {
		for _, k := range DefaultAttributed {
			for _, c := range []struct {
				what     string
				got, was float64
			}{{"Shapley", at.Shapley[r][k], old.Shapley[r][k]}, {"leave-one-out", at.LeaveOneOut[r][k], old.LeaveOneOut[r][k]}} {
				if math.Abs(c.got-c.was) > 1e-12 {
					t.Errorf("%s %s %s: %v, the first implementation %v", c.what, r, k, c.got, c.was)
				}
				if c.was != 0 {
					nonzero++
				}
			}
		}
	}
	for _, k := range DefaultAttributed {
		if math.Abs(at.Total[k]-old.Total[k]) > 1e-12 {
			t.Errorf("total %s: %v, the first implementation %v", k, at.Total[k], old.Total[k])
		}
	}
	if nonzero < 12 {
		t.Errorf("only %d non-zero values to compare: the fixture tests little", nonzero)
	}
}

// --metric names: every attributable figure evaluates on a real audit, a
// misspelt one gets a suggestion.
func TestAttributableFigures(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 400, Days: 20, Seed: 1, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Load(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	figs := AttributableFigures(r.Manifest)
	got, err := FiguresOf(r, figs)
	if err != nil {
		t.Fatal(err)
	}
	tiers := 0.0
	for _, n := range r.Manifest.Names.Tiers {
		tiers += got["tier:"+n]
	}
	if len(got) != len(figs) || math.Abs(tiers-1) > 1e-12 || got["worst_tier_share"] != got["tier:untrustworthy"] ||
		got["ever_sanctioned"] <= 0 || got["mean_score"] <= 0 {
		t.Errorf("figures %v", got)
	}
	err = CheckFigures(r.Manifest, []string{"detained", "detaned"})
	var uf *UnknownFigureError
	if !errors.As(err, &uf) || uf.Name != "detaned" || !strings.Contains(err.Error(), `did you mean "detained"?`) {
		t.Errorf("CheckFigures: %v", err)
	}
	if err := CheckFigures(r.Manifest, figs); err != nil {
		t.Error(err)
	}
}

// Twins that share their setup (one population, network and compiled
// program, run in memory) give exactly what stand-alone runs give (their
// own population, written to disk and read back): every column of the
// agents and daily tables and every figure, for several rule subsets and
// no regime, with 1 and 2 workers.
func TestSharedTwinsMatchStandAlone(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	const agents, days, seed = 1500, 60, 5
	out := t.TempDir()
	full, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: agents, Days: days, Seed: seed, Ledger: "none", OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := runner.NewTwins(context.Background(), full.Manifest, 0)
	if err != nil {
		t.Fatal(err)
	}
	rules := tw.Rules()
	figs := AttributableFigures(full.Manifest)
	for k, c := range []struct {
		off      []string
		noRegime bool
		workers  int
	}{
		{nil, false, 1},
		{rules[:1], false, 2},
		{[]string{rules[2], rules[5], rules[len(rules)-1]}, false, 1},
		{rules[1:], false, 2},
		{nil, true, 2},
	} {
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: agents, Days: days, Seed: seed, Ledger: "none",
			OutDir: out, ID: fmt.Sprintf("twin-%d", k), Disabled: c.off, NoRegime: c.noRegime, Workers: 3 - c.workers})
		if err != nil {
			t.Fatal(err)
		}
		alone, err := Load(res.Dir)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := tw.Run(context.Background(), runner.TwinOptions{Disabled: c.off, NoRegime: c.noRegime, Workers: c.workers})
		if err != nil {
			t.Fatal(err)
		}
		shared := TwinRun(tr)
		for _, tab := range []struct {
			name      string
			got, want *store.Table
		}{{"agents", shared.Agents, alone.Agents}, {"daily", shared.Daily, alone.Daily}} {
			if diff := tableDiff(tab.got, tab.want); diff != "" {
				t.Errorf("off %v (no regime %v): %s table: %s", c.off, c.noRegime, tab.name, diff)
			}
		}
		a, err := FiguresOf(alone, figs)
		if err != nil {
			t.Fatal(err)
		}
		s, err := FiguresOf(shared, figs)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if math.Float64bits(a[f]) != math.Float64bits(s[f]) {
				t.Errorf("off %v: %s shared %v, stand-alone %v", c.off, f, s[f], a[f])
			}
		}
		if k == 0 && a["ever_sanctioned"] == 0 {
			t.Errorf("nothing happens in the fixture: ever_sanctioned is 0")
		}
	}
}

// tableDiff says how two tables differ ("" when they hold the same
// columns, in order, with the same bits).
func tableDiff(got, want *store.Table) string {
	if got.Rows != want.Rows || !slices.Equal(got.Names, want.Names) {
		return fmt.Sprintf("%d rows %v, want %d rows %v", got.Rows, got.Names, want.Rows, want.Names)
	}
	for _, n := range want.Names {
		g, w := got.Cols[n], want.Cols[n]
		same := slices.Equal(g.Int, w.Int) && slices.Equal(g.Bool, w.Bool) && slices.Equal(g.Str, w.Str) &&
			slices.EqualFunc(g.Float, w.Float, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) &&
			len(g.Int) == len(w.Int) && len(g.Float) == len(w.Float)
		if !same {
			return "column " + n + " differs"
		}
	}
	return ""
}
