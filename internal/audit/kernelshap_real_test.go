package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// realGameCache evaluates every coalition of xinjiang-pilot's rules at
// 2,000 agents x 365 days (the run's own seed) once and caches the
// figures in the file named by NOSEDIVE_KERNEL_CACHE.
func realGameCache(t *testing.T) (rules []string, values map[uint64]map[string]float64) {
	path := os.Getenv("NOSEDIVE_KERNEL_CACHE")
	if path == "" {
		t.Skip("set NOSEDIVE_KERNEL_CACHE=FILE to compare the estimators on xinjiang-pilot (1,024 twins the first time)")
	}
	type cache struct {
		Rules  []string
		Values map[uint64]map[string]float64
	}
	if b, err := os.ReadFile(path); err == nil {
		var c cache
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c.Rules, c.Values
	}
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 2000, Days: 365, Seed: sc.Run.Seed, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := runner.NewTwins(context.Background(), res.Manifest, 0)
	if err != nil {
		t.Fatal(err)
	}
	rules = tw.Rules()
	n := len(rules)
	masks := make([]uint64, 1<<uint(n))
	for m := range masks {
		masks[m] = uint64(m)
	}
	got, err := evalAll(context.Background(), rules, TwinFigures(tw, DefaultAttributed, 1), masks, 2, func(uint64) {})
	if err != nil {
		t.Fatal(err)
	}
	values = map[uint64]map[string]float64{}
	for k, m := range masks {
		values[m] = got[k]
	}
	b, err := json.Marshal(cache{rules, values})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return rules, values
}

func TestRealGameCache(t *testing.T) {
	rules, values := realGameCache(t)
	t.Logf("%d rules, %d coalitions", len(rules), len(values))
}

// TestEstimatorsOnRealGame compares KernelSHAP with antithetic
// permutation pairs at equal numbers of twins on xinjiang-pilot (2,000
// agents x 365 days, every coalition cached): for each budget and metric,
// over 200 seeds, the mean of the largest absolute error and of the
// widest 95% interval, both relative to the largest |exact value|, and
// the share of intervals that cover the exact value. A measurement for
// docs/metrics.md, run with NOSEDIVE_KERNEL_CACHE set.
func TestEstimatorsOnRealGame(t *testing.T) {
	rules, values := realGameCache(t)
	n := len(rules)
	v := func(m uint64) map[string]float64 { return values[m] }
	exact := newAttribution(rules)
	exactShapley(exact, rules, DefaultAttributed, v)
	const seeds = 200
	type row struct {
		twins              float64
		err, width, cover  float64
		count, covN, worst float64
	}
	measure := func(k string, est func(seed uint64) (*Attribution, int)) row {
		scale := 0.0
		for _, r := range rules {
			scale = max(scale, math.Abs(exact.Shapley[r][k]))
		}
		var out row
		for s := range uint64(seeds) {
			at, twins := est(s)
			e, w := 0.0, 0.0
			for _, r := range rules {
				truth := exact.Shapley[r][k]
				e = max(e, math.Abs(at.Shapley[r][k]-truth))
				if at.Interval != nil {
					iv := at.Interval[r][k]
					w = max(w, iv[1]-iv[0])
					if iv[0] <= truth && truth <= iv[1] {
						out.cover++
					}
					out.covN++
				}
			}
			out.twins += float64(twins)
			out.err += e / scale
			out.worst = max(out.worst, e/scale)
			out.width += w / scale
			out.count++
		}
		out.twins /= out.count
		out.err /= out.count
		out.width /= out.count
		if out.covN > 0 {
			out.cover /= out.covN
		}
		return out
	}
	perm := func(pairs int) func(seed uint64) (*Attribution, int) {
		return func(seed uint64) (*Attribution, int) {
			perms := permutationPairs(n, pairs, seed)
			at := newAttribution(rules)
			sampledShapley(at, rules, DefaultAttributed, perms, true, v)
			return at, len(sampledMasks(n, perms))
		}
	}
	kern := func(twins func(seed uint64) int, minPairs int) func(seed uint64) (*Attribution, int) {
		return func(seed uint64) (*Attribution, int) {
			d, err := kernelPlanMin(n, twins(seed), seed, minPairs)
			if err != nil {
				t.Fatal(err)
			}
			at := newAttribution(rules)
			if err := kernelShapley(at, rules, DefaultAttributed, d, v); err != nil {
				t.Fatal(err)
			}
			return at, len(d.masks())
		}
	}
	fixed := func(b int) func(uint64) int { return func(uint64) int { return b } }
	for _, k := range DefaultAttributed {
		if maxAbs(exact, rules, k) == 0 {
			t.Logf("%s: 0 in every coalition", k)
			continue
		}
		t.Logf("%s (largest |exact value| %.4g):", k, maxAbs(exact, rules, k))
		t.Logf("  %-34s %7s %9s %9s %9s %9s", "estimator", "twins", "max err", "worst", "width", "coverage")
		show := func(name string, r row) {
			t.Logf("  %-34s %7.1f %9.4f %9.4f %9.4f %9.3f", name, r.twins, r.err, r.worst, r.width, r.cover)
		}
		for _, b := range []int{24, 32, 40, 48, 64, 128, 256, DefaultKernelTwins} {
			show(fmt.Sprintf("kernel, budget %d", b), measure(k, kern(fixed(b), 1)))
		}
		for _, p := range []int{1, 2, 3, 4, 7, 16, 64} {
			show(fmt.Sprintf("permutation, %d pairs", p), measure(k, perm(p)))
			// KernelSHAP on the same number of twins as the permutation
			// pairs of the same seed ran.
			same := func(seed uint64) int { return len(sampledMasks(n, permutationPairs(n, p, seed))) }
			show("kernel, as many twins", measure(k, kern(same, 1)))
		}
	}
}

func maxAbs(at *Attribution, rules []string, k string) float64 {
	m := 0.0
	for _, r := range rules {
		m = max(m, math.Abs(at.Shapley[r][k]))
	}
	return m
}
