package claim

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

func fig(num, den int64) audit.Figure {
	f := audit.Figure{Numerator: num, Denominator: den, Value: audit.Num(math.NaN())}
	if den > 0 {
		f.Value = audit.Num(float64(num) / float64(den))
	}
	return f
}

func ptr(x float64) *float64 { return &x }

func TestEvaluate(t *testing.T) {
	rep := &audit.Report{
		Overall: audit.Row{N: 100, Detention: fig(4, 100), Ever: fig(0, 100), LawAbiding: fig(0, 0)},
		Groups: []audit.Row{
			{Attribute: "group", Value: "a", N: 40, Detention: fig(4, 40)},
			{Attribute: "group", Value: "b", N: 60, Detention: fig(0, 60)},
			{Attribute: "region", Value: "north", N: 50, Detention: fig(1, 50), Tiers: []audit.Named{{Name: "D", Figure: fig(5, 50)}}},
		},
		Intersections: []audit.Row{{Attribute: "group×region", Value: "a×north", N: 20, Detention: fig(1, 20)}},
		Art5:          audit.Art5{CrossContext: fig(3, 10)},
		Chilling:      []audit.Chill{{Behaviour: "pray", Twin: 100, Regime: 50, Drop: 0.5, Final: 0.6}},
	}
	tests := []struct {
		name  string
		c     scenario.Claim
		value float64 // NaN: undefined
		holds bool
		why   string
	}{
		{"overall", scenario.Claim{Figure: "detained", Max: ptr(0.05)}, 0.04, true, ""},
		{"over the bound", scenario.Claim{Figure: "detained", Max: ptr(0.03)}, 0.04, false, ""},
		{"group", scenario.Claim{Figure: "detained", Group: "a", Min: ptr(0.1), Max: ptr(0.1)}, 0.1, true, ""},
		{"region tier", scenario.Claim{Figure: "tier:D", Region: "north", Min: ptr(0.1)}, 0.1, true, ""},
		{"intersection", scenario.Claim{Figure: "detained", Group: "a", Region: "north", Max: ptr(0.05)}, 0.05, true, ""},
		{"ratio", scenario.Claim{Figure: "detained", Group: "a", Versus: &scenario.ClaimSubject{Region: "north"}, Min: ptr(5)}, 5, true, ""},
		{"ratio over zero", scenario.Claim{Figure: "detained", Group: "a", Versus: &scenario.ClaimSubject{Group: "b"}, Min: ptr(1)}, math.NaN(), false, "is 0"},
		{"empty denominator", scenario.Claim{Figure: "sanctioned_law_abiding", Max: ptr(1)}, math.NaN(), false, "no one in the denominator"},
		{"no such subject", scenario.Claim{Figure: "detained", Group: "c", Max: ptr(1)}, math.NaN(), false, "no one in group c"},
		{"run-wide", scenario.Claim{Figure: "cross_context_detriment", Max: ptr(0)}, 0.3, false, ""},
		{"chilling", scenario.Claim{Figure: "chilling:pray", Min: ptr(0.4)}, 0.5, true, ""},
		{"final chilling", scenario.Claim{Figure: "final_chilling:pray", Min: ptr(0.6)}, 0.6, true, ""},
		{"zero with a two-sided bound", scenario.Claim{Figure: "ever_sanctioned", Min: ptr(0), Max: ptr(0)}, 0, true, ""},
	}
	for _, tt := range tests {
		r := Evaluate(tt.c, 365, rep)
		if math.IsNaN(tt.value) {
			if r.Value != nil || !strings.Contains(r.Why, tt.why) {
				t.Errorf("%s: value %v, why %q; want undefined because %q", tt.name, r.Value, r.Why, tt.why)
			}
		} else if r.Value == nil || math.Abs(*r.Value-tt.value) > 1e-12 {
			t.Errorf("%s: value %v (%s), want %v", tt.name, r.Value, r.Why, tt.value)
		}
		if r.Holds != tt.holds {
			t.Errorf("%s: holds %v, want %v", tt.name, r.Holds, tt.holds)
		}
	}
}

// series builds a daily series whose mean score follows f(day) in a range of
// 0-1000 and whose only tier share is g(day).
func series(days int, f, g func(d int) float64) *dailySeries {
	s := &dailySeries{}
	for d := 0; d <= days; d++ {
		n := int64(1000)
		low := int64(math.Round(g(d) * float64(n)))
		s.add(&daily.Day{Day: d, Cells: []daily.Cell{{Agents: n, ScoreSum: int64(f(d)*float64(n)) * rule.Scale, Tier: []int64{n - low, low}}}})
	}
	return s
}

func TestSteadiness(t *testing.T) {
	sc := &scenario.Scenario{Scoring: scenario.Scoring{Range: []float64{0, 1000}},
		Tiers: scenario.Tiers{Levels: []scenario.Tier{{Name: "ok"}, {Name: "low"}}}}
	flat := func(int) float64 { return 500 }
	share := func(int) float64 { return 0.2 }
	st := series(1825, flat, share).steadiness(sc)
	if !st.Checked || !st.Holds || len(st.Years) != 4 {
		t.Fatalf("flat series: %+v", st)
	}
	// A fall of 60 points a year (6% of the range) fails; 40 a year holds.
	for _, tc := range []struct {
		perYear float64
		holds   bool
	}{{60, false}, {40, true}} {
		st := series(1825, func(d int) float64 { return 900 - tc.perYear*float64(d)/365 }, share).steadiness(sc)
		if st.Holds != tc.holds {
			t.Errorf("mean score moving %v points a year: holds %v, want %v (%+v)", tc.perYear, st.Holds, tc.holds, st.Years)
		}
	}
	// A tier share growing 6 points a year fails.
	st = series(1825, flat, func(d int) float64 { return 0.1 + 0.06*float64(d)/365 }).steadiness(sc)
	if st.Holds || math.Abs(st.Years[0].TierShare-0.06) > 1e-9 {
		t.Errorf("tier share growing 6 points a year: %+v", st)
	}
	// A first year of large change is allowed.
	st = series(1825, func(d int) float64 { return max(500, 900-float64(d)) }, share).steadiness(sc)
	if !st.Holds {
		t.Errorf("change in the first year only: %+v", st)
	}
	if st := series(400, flat, share).steadiness(sc); st.Checked {
		t.Error("a run shorter than two years was checked")
	}
	sc.Trend = "a documented roll-out"
	if st := series(1825, func(d int) float64 { return float64(d) / 2 }, share).steadiness(sc); st.Checked || !strings.Contains(st.Why, "roll-out") {
		t.Errorf("a named trend: %+v", st)
	}
}

// Check end to end on the fixture that uses every section of the language:
// each claim is run at each of its horizons and the outcome agrees with
// Evaluate on an audit of the same run.
func TestCheck(t *testing.T) {
	sc, err := scenario.Resolve("../scenario/testdata/good/full.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	o, err := Check(context.Background(), sc, Options{Agents: 3000, Progress: func(m string) { msgs = append(msgs, m) }})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, c := range sc.Claims {
		want += len(c.At)
	}
	if len(o.Results) != want {
		t.Fatalf("%d results, want %d", len(o.Results), want)
	}
	if o.Results[0].At != 60 || o.Results[1].At != 120 {
		t.Errorf("results not in claim then horizon order: %+v", o.Results[:2])
	}
	for _, r := range o.Results {
		if r.Value == nil {
			t.Errorf("%s at %d: undefined (%s)", r.Figure, r.At, r.Why)
		}
	}
	if !o.Holds() {
		t.Errorf("the fixture's claims do not hold: %+v", o.Results)
	}
	if o.Steady.Checked {
		t.Error("a 120-day run was checked for steadiness")
	}
	if len(msgs) != 3 || !strings.Contains(msgs[2], "twin") {
		t.Errorf("progress: %q", msgs)
	}
}

// A claim with set is about a what-if: it is evaluated on runs with those
// overrides, the others on the scenario as given. Starting scores of 100
// and 50 with no rule that moves them make the two mean scores exact.
func TestCheckClaimsUnderOverrides(t *testing.T) {
	src := []byte(`name: whatif
population:
  regions:
    - {name: all, share: 1, groups: {a: 1}}
network: {model: none}
scoring:
  range: [0, 200]
  initial: [{score: 100}]
  rules:
    - {name: nothing, every: 30, amount: 0, when: score > 1000}
tiers:
  levels: [{name: high, min: 80}, {name: low}]
claims:
  - {says: "Everyone keeps 100.", figure: mean_score, at: [5], min: 100, max: 100}
  - {says: "Started at 50, everyone keeps 50.", figure: mean_score, set: ["scoring.initial.0.score=50"], at: [5, 10], min: 50, max: 50}
  - {says: "Started at 50, no one is high.", figure: "tier:high", set: ["scoring.initial.0.score=50"], at: [5], max: 0}
`)
	sc, err := scenario.Load("whatif.yaml", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	o, err := Check(context.Background(), sc, Options{Agents: 500, Progress: func(m string) { msgs = append(msgs, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Results) != 4 || !o.Holds() {
		t.Fatalf("results: %+v", o.Results)
	}
	if got := o.Results[1]; got.At != 5 || *got.Value != 50 || len(got.Set) != 1 {
		t.Errorf("the what-if claim: %+v", got)
	}
	// The scenario as given at its horizon and at the longest of all (for
	// the steadiness check), then one run per horizon of the what-if.
	if len(msgs) != 4 || !strings.Contains(msgs[2], "with scoring.initial.0.score=50 for 5 days") {
		t.Errorf("progress: %q", msgs)
	}
	// A set that does not apply is refused when the scenario loads, at the
	// claim's set.
	bad := strings.Replace(string(src), "scoring.initial.0.score=50", "scoring.initial.3.score=50", 1)
	if _, err := scenario.Load("whatif.yaml", []byte(bad), nil); err == nil || !strings.Contains(err.Error(), "claims[1].set: the scenario does not load with scoring.initial.3.score=50") {
		t.Errorf("bad set: %v", err)
	}
	if _, err := scenario.Load("whatif.yaml", []byte(strings.Replace(string(src), `"scoring.initial.0.score=50"]`, `"score"]`, 1)), nil); err == nil || !strings.Contains(err.Error(), `"score" is not PATH=VALUE`) {
		t.Errorf("not PATH=VALUE: %v", err)
	}
}
