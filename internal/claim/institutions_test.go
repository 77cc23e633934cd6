package claim

import (
	"math"
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
