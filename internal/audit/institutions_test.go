package audit

import (
	"math"
	"testing"
)

// A lender approving 30% of group x's applicants every other day; group y
// never applies. Scores move only through the lender's outcomes (+75 on
// success, -150 on failure) inside a range they cannot reach, so each
// group's mean score change is (75 successes - 150 failures) / people: a
// figure of institutions.parquet's counts checked against the daily
// table's means, and against agents.parquet's final and starting scores.
const lending = `name: lend
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 0}]
scoring:
  range: [0, 5000]
  initial: [{group: x, score: 1000}, {group: y, score: 900}]
  rules:
    - {name: repaid, on: lender.success, amount: 75}
    - {name: defaulted, on: lender.failure, amount: -150}
tiers:
  levels: [{name: high, min: 950}, {name: low}]
institutions:
  - name: lender
    every: 2
    applicants: group == "x"
    policy: fixed-rate
    rate: 0.3
    gain: 1
    loss: 4
    believes: clamp((score - 500) / 1000, 0, 1)
`

func TestInstitutionFiguresAndScoreChange(t *testing.T) {
	r := makeRun(t, lending, 2000, 5)
	rep, err := Compute(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Institutions) != 1 {
		t.Fatalf("%d institutions, want 1", len(rep.Institutions))
	}
	in := rep.Institutions[0]
	// Decisions on the first, third and fifth days (daily.day 1, 3, 5).
	if in.Decisions != 3 || in.LastDay != 5 || in.Policy != "fixed-rate" {
		t.Errorf("decisions %d, last day %d, policy %s; want 3, 5, fixed-rate", in.Decisions, in.LastDay, in.Policy)
	}
	x, y := in.Categories[0], in.Categories[1]
	if x.Category != "x" || y.Category != "y" {
		t.Fatalf("categories %s, %s", x.Category, y.Category)
	}
	nx := rep.Groups[0].N
	if x.Last.Applicants != nx || math.Abs(float64(x.Last.SelectionRate)-0.3) > 1e-12 {
		t.Errorf("x's last decision: %d applicants (want %d), selection rate %v (want 0.3)", x.Last.Applicants, nx, x.Last.SelectionRate)
	}
	// The realised approvals are the policy's within binomial noise (the
	// only randomness is at the boundary score, where everyone ties).
	if a := float64(x.Last.ApprovalRate.Value); math.Abs(a-0.3) > 4*math.Sqrt(0.3*0.7/float64(nx)) {
		t.Errorf("x approval rate %v, want 0.3 within 4 standard errors", a)
	}
	if got := x.Last.Utility; got != float64(x.Last.Successes)-4*float64(x.Last.Failures) {
		t.Errorf("utility %v, want successes - 4 failures = %d - 4 x %d", got, x.Last.Successes, x.Last.Failures)
	}
	// y never applies: its rates, threshold and disparities are undefined.
	if y.Last.Applicants != 0 || !math.IsNaN(float64(y.Last.SelectionRate)) || !math.IsNaN(float64(y.Last.TPR)) || !math.IsNaN(float64(y.Last.Threshold)) {
		t.Errorf("y without applicants: %+v", y.Last)
	}
	if in.Reference != "x" {
		t.Errorf("reference %q, want x (the only category with applicants)", in.Reference)
	}
	for _, d := range y.Disparities {
		if d.Undefined != "no one in this group's denominator" || !math.IsNaN(float64(d.Ratio)) || !math.IsNaN(float64(d.Difference)) {
			t.Errorf("y's %s disparity: %+v", d.Metric, d)
		}
	}
	for _, d := range x.Disparities {
		if d.Undefined != "" || d.Ratio != 1 || d.OutsideBand {
			t.Errorf("x against itself, %s: %+v", d.Metric, d)
		}
	}
	if in.All.Last.Applicants != nx || in.All.Last.SelectionRate != x.Last.SelectionRate {
		t.Errorf("all categories: %+v", in.All.Last)
	}
	// Score change per group from the institution's counts.
	for k, g := range []InstitutionCategory{x, y} {
		row := rep.Groups[k]
		want := (75*float64(g.Run.Successes) - 150*float64(g.Run.Failures)) / float64(row.N)
		if got := float64(row.ScoreChange); math.Abs(got-want) > 1e-9 {
			t.Errorf("group %s score change %v, want (75 x %d - 150 x %d) / %d = %v", row.Value, got, g.Run.Successes, g.Run.Failures, row.N, want)
		}
	}
	if want := float64(rep.Groups[0].ScoreChange*Num(rep.Groups[0].N)+rep.Groups[1].ScoreChange*Num(rep.Groups[1].N)) / float64(rep.Overall.N); math.Abs(float64(rep.Overall.ScoreChange)-want) > 1e-9 {
		t.Errorf("overall score change %v, want %v", rep.Overall.ScoreChange, want)
	}
	// And from agents.parquet: final minus starting score, per person.
	var sum float64
	score, base := r.floats("score"), r.floats("baseline")
	for i := range score {
		sum += score[i] - base[i]
	}
	if got, want := float64(rep.Overall.ScoreChange), sum/float64(len(score)); math.Abs(got-want) > 1e-9 {
		t.Errorf("overall score change %v, agents.parquet says %v", got, want)
	}
	if rep.Overall.ScoreChange == 0 {
		t.Error("no score change: the test checks nothing")
	}
	// The headline columns of a sweep's audit table.
	for name, want := range map[string]float64{
		"score_change":               float64(rep.Overall.ScoreChange),
		"lender_selection_rate_x":    0.3,
		"lender_utility":             x.Last.Utility,
		"lender_threshold_x":         float64(x.Last.Threshold),
		"lender_expected_utility_x":  x.Last.ExpectedUtility,
		"lender_selection_rate":      0.3,
		"lender_tpr_y":               math.NaN(),
		"lender_expected_utility_y":  0,
		"lender_selection_rate_y":    math.NaN(),
		"lender_tpr":                 float64(x.Last.TPR),
		"lender_threshold_y":         math.NaN(),
		"lender_utility_x":           x.Last.Utility,
		"lender_expected_utility":    x.Last.ExpectedUtility,
		"lender_utility_y":           0,
		"lender_tpr_x":               float64(x.Last.TPR),
		"lender_selection_rate_x_no": math.NaN(), // no category x_no: not a column
	} {
		if name == "lender_selection_rate_x_no" {
			if _, ok := institutionFigure(rep, name); ok {
				t.Errorf("%s is a column", name)
			}
			continue
		}
		got := HeadlineFigure(rep, name)
		if !(got == want || math.IsNaN(got) && math.IsNaN(want) || math.Abs(got-want) < 1e-12) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if cols := InstitutionColumns(rep); len(cols) != 4+2*5 {
		t.Errorf("institution columns %v", cols)
	}
}

// Institution columns are read by their figure, longest name first.
func TestInstitutionColumnKinds(t *testing.T) {
	for _, c := range []struct {
		name string
		kind Kind
		mean string
	}{
		{"score_change", Amount, "mean score at the end minus on day 0"},
		{"score_change_black", Amount, "mean score at the end minus on day 0, group black"},
		{"lender_selection_rate", Share, "selection rate of institution lender's last decision"},
		{"lender_expected_utility_black", Amount, "expected utility of institution lender's last decision, category black"},
		{"bank_2_utility_white", Amount, "realised utility of institution bank_2's last decision, category white"},
		{"lender_threshold_black", Score, "threshold of institution lender's last decision, category black"},
		{"lender_tpr", Share, "true-positive rate of institution lender's last decision"},
	} {
		k, ok := HeadlineKind(c.name)
		if !ok || k != c.kind || HeadlineMeaning(c.name) != c.mean {
			t.Errorf("%s: kind %v %v, meaning %q; want %v, %q", c.name, k, ok, HeadlineMeaning(c.name), c.kind, c.mean)
		}
	}
	for _, name := range []string{"lender_threshold", "lender_utilityx", "utility"} {
		if _, ok := HeadlineKind(name); ok {
			t.Errorf("%s is read as a headline figure", name)
		}
	}
}
