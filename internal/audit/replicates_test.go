package audit

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// plainMean is a CI for tests: the mean, and min and max as the bounds.
func plainMean(xs []float64) (mean, lo, hi float64, n int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		mean += x
		lo, hi = min(lo, x), max(hi, x)
		n++
	}
	return mean / float64(n), lo, hi, n
}

func replicate(seed uint64, ever int64, ref string, refEver int64) (*Report, *store.Manifest) {
	m := &store.Manifest{ID: "r" + string(rune('0'+seed)), Seed: seed, Agents: 100, Days: 10,
		Scenario: store.ScenarioInfo{Name: "s", Text: "text"}, Names: store.Names{Tiers: []string{"good", "bad"}}}
	row := func(attr, value string, n, ever int64) Row {
		return Row{Attribute: attr, Value: value, N: n, Ever: rate(ever, n),
			Tiers: []Named{{Name: "good", Figure: rate(n-ever, n)}, {Name: "bad", Figure: rate(ever, n)}}}
	}
	a, b := row("group", "a", 50, refEver), row("group", "b", 50, ever)
	ratio := Num(math.Inf(1))
	if refEver > 0 {
		ratio = Num(float64(ever) / float64(refEver))
	}
	b.Disparities = []Disparity{{Metric: "ever_sanctioned", Ratio: ratio, Difference: b.Ever.Value - a.Ever.Value}}
	return &Report{Run: m.ID, Seed: seed, Reference: ref, Groups: []Row{a, b}, Overall: row("all", "all", 100, ever+refEver)}, m
}

func TestSummarize(t *testing.T) {
	r1, m1 := replicate(1, 10, "a", 0)
	r2, m2 := replicate(2, 20, "a", 5)
	s, err := Summarize([]*Report{r1, r2}, []*store.Manifest{m1, m2}, plainMean)
	if err != nil {
		t.Fatal(err)
	}
	ever := s.Headline.Get("ever_sanctioned")
	if ever.N != 2 || math.Abs(float64(ever.Mean)-0.175) > 1e-12 || ever.Lo != 0.1 || ever.Hi != 0.25 {
		t.Errorf("ever_sanctioned: %+v", ever)
	}
	// The gap between groups: 0.2 and 0.3 points of the worst tier.
	if g := s.Headline.Get("gap_worst_tier"); math.Abs(float64(g.Mean)-0.25) > 1e-12 {
		t.Errorf("gap_worst_tier: %+v", g)
	}
	// A ratio against a zero reference rate has no value; n counts the rest.
	ratio := s.Groups[1].Figures.Get("ratio_ever_sanctioned")
	if ratio.N != 1 || ratio.Mean != 4 || !math.IsNaN(float64(ratio.Values[0])) {
		t.Errorf("ratio: %+v", ratio)
	}
	if d := s.Groups[1].Figures.Get("difference_ever_sanctioned"); d.N != 2 {
		t.Errorf("difference: %+v", d)
	}

	// Different reference groups are refused.
	r3, m3 := replicate(3, 20, "b", 5)
	_, err = Summarize([]*Report{r1, r3}, []*store.Manifest{m1, m3}, plainMean)
	var nr *NotReplicatesError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "different reference groups") {
		t.Errorf("different references: %v", err)
	}
}

func TestCheckReplicates(t *testing.T) {
	_, a := replicate(1, 1, "a", 1)
	mk := func(f func(m *store.Manifest)) *store.Manifest {
		_, m := replicate(2, 1, "a", 1)
		f(m)
		return m
	}
	for _, c := range []struct {
		name string
		ms   []*store.Manifest
		want string
	}{
		{"ok", []*store.Manifest{a, mk(func(*store.Manifest) {})}, ""},
		{"one run", []*store.Manifest{a}, "a single run gives no interval"},
		{"text", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Scenario.Text = "other" })}, "scenario text"},
		{"sets", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Scenario.Sets = []string{"x=1"} })}, "--set overrides ([] vs [x=1])"},
		{"agents", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Agents = 99 })}, "population size (100 vs 99 agents)"},
		{"days", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Days = 9 })}, "days (10 vs 9)"},
		{"seed", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Seed = 1 })}, "same seed 1"},
		{"version", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Version = "v0.0.0-20261204201213-55b730a125d0" })},
			"nosedive version (unrecorded vs v0.0.0-20261204201213-55b730a125d0)"},
		{"commit", []*store.Manifest{a, mk(func(m *store.Manifest) { m.Commit = "55b730a125d04a2dd05496ed166a86ecf55e98e1" })},
			"nosedive version (unrecorded vs unrecorded commit 55b730a125d04a2dd05496ed166a86ecf55e98e1)"},
	} {
		err := CheckReplicates(c.ms)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
