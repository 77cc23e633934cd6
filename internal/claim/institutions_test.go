package claim

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// Claims on score_change and institution:NAME:FIGURE read the audit's
// rows and institutions, and do not hold where the figure is undefined.
func TestInstitutionAndScoreChangeClaims(t *testing.T) {
	nan := audit.Num(math.NaN())
	cat := func(name string, sel, tpr audit.Num, applicants int64) audit.InstitutionCategory {
		return audit.InstitutionCategory{Category: name,
			Last: audit.InstitutionDecision{Applicants: applicants, SelectionRate: sel, TPR: tpr, Threshold: 640, Utility: 12},
			Run:  audit.InstitutionRun{ApprovalRate: audit.Figure{Value: 0.25, Numerator: 1, Denominator: 4}, Utility: 30}}
	}
	rep := &audit.Report{
		Overall: audit.Row{Attribute: "all", Value: "all", N: 10, ScoreChange: 3.5},
		Groups: []audit.Row{{Attribute: "group", Value: "black", N: 4, ScoreChange: -2.25},
			{Attribute: "group", Value: "white", N: 6, ScoreChange: nan}},
		Institutions: []audit.Institution{{Name: "lender", By: "group", Decisions: 1,
			Categories: []audit.InstitutionCategory{cat("black", 0.2, 0.5, 4), cat("white", nan, nan, 0)},
			All:        cat("all", 0.4, 0.6, 10)}},
	}
	f := func(x float64) *float64 { return &x }
	for _, c := range []struct {
		claim scenario.Claim
		value float64 // NaN: undefined
		holds bool
	}{
		{scenario.Claim{Figure: "score_change", Min: f(3)}, 3.5, true},
		{scenario.Claim{Figure: "score_change", Group: "black", Max: f(-3)}, -2.25, false},
		{scenario.Claim{Figure: "score_change", Group: "white", Min: f(-100)}, math.NaN(), false},
		{scenario.Claim{Figure: "institution:lender:selection_rate", Group: "black", Min: f(0.19), Max: f(0.21)}, 0.2, true},
		{scenario.Claim{Figure: "institution:lender:selection_rate", Min: f(0.5)}, 0.4, false},
		{scenario.Claim{Figure: "institution:lender:tpr", Group: "white", Min: f(0)}, math.NaN(), false},
		{scenario.Claim{Figure: "institution:lender:threshold", Group: "black", Max: f(700)}, 640, true},
		{scenario.Claim{Figure: "institution:lender:run_approval_rate", Group: "black", Max: f(0.3)}, 0.25, true},
		{scenario.Claim{Figure: "institution:lender:run_utility", Min: f(30)}, 30, true},
		{scenario.Claim{Figure: "institution:lender:selection_rate", Group: "black", Versus: &scenario.ClaimSubject{Group: "white"}, Min: f(0)}, math.NaN(), false},
		{scenario.Claim{Figure: "institution:lender:tpr", Group: "black", Versus: &scenario.ClaimSubject{}, Max: f(1)}, 0.5 / 0.6, true},
	} {
		got := Evaluate(c.claim, 10, rep)
		switch {
		case math.IsNaN(c.value):
			if got.Value != nil || got.Why == "" || got.Holds {
				t.Errorf("%s %s: %+v, want undefined", c.claim.Figure, c.claim.Group, got)
			}
		case got.Value == nil || math.Abs(*got.Value-c.value) > 1e-12 || got.Holds != c.holds:
			t.Errorf("%s %s: %+v (why %q), want %v holding %v", c.claim.Figure, c.claim.Group, got.Value, got.Why, c.value, c.holds)
		}
	}
}

// Check runs a lending scenario's institution and score-change claims end
// to end: max-utility lends to group a's three upper score levels (about
// three quarters of the group), which raises group b's mean score.
func TestCheckInstitutionClaims(t *testing.T) {
	path := filepath.Join("..", "sweep", "testdata", "lending.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	claims := `
claims:
  - {says: "Three quarters of group a get a loan.", figure: "institution:lender:selection_rate", group: a, at: [1], min: 0.7, max: 0.8}
  - {says: "Lending raises group b's mean score.", figure: score_change, group: b, at: [1], min: 0}
  - {says: "Hardly any would-be repayer of group a gets a loan.", figure: "institution:lender:tpr", group: a, at: [1], max: 0.1}
`
	sc, err := scenario.Load(path, append(src, claims...), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Check(context.Background(), sc, Options{Agents: 2000, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var holds []bool
	for _, r := range out.Results {
		holds = append(holds, r.Holds)
		if r.Value == nil {
			t.Errorf("%s: undefined (%s)", r.Figure, r.Why)
		}
	}
	if !slices.Equal(holds, []bool{true, true, false}) {
		t.Errorf("claims hold %v, want true, true, false: %+v", holds, out.Results)
	}
}
