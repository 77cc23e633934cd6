package claim

import (
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// mean_score:NAME reads an extra score's mean; a claim with without is
// the ratio of its figure to the same figure in the run without the
// rules, undefined when that is 0.
func TestExtraScoreAndWithoutClaims(t *testing.T) {
	rep := &audit.Report{
		Overall: audit.Row{N: 100, Ever: fig(30, 100), Scores: []audit.ScoreMean{{Name: "court", Mean: 95}}},
		Groups: []audit.Row{
			{Attribute: "group", Value: "a", N: 40, Ever: fig(10, 40), Scores: []audit.ScoreMean{{Name: "court", Mean: 90}}},
			{Attribute: "group", Value: "b", N: 60, Ever: fig(20, 60), Scores: []audit.ScoreMean{{Name: "court", Mean: audit.Num(math.NaN())}}},
		},
	}
	part := &audit.Report{
		Overall: audit.Row{N: 100, Ever: fig(20, 100)},
		Groups: []audit.Row{
			{Attribute: "group", Value: "a", N: 40, Ever: fig(0, 40)},
			{Attribute: "group", Value: "b", N: 60, Ever: fig(20, 60)},
		},
	}
	for _, tc := range []struct {
		name  string
		c     scenario.Claim
		part  bool
		value float64 // NaN: undefined
		why   string
	}{
		{"extra score", scenario.Claim{Figure: "mean_score:court", Min: ptr(94)}, false, 95, ""},
		{"extra score of a group", scenario.Claim{Figure: "mean_score:court", Group: "a", Versus: &scenario.ClaimSubject{}, Min: ptr(0)}, false, 90.0 / 95, ""},
		{"extra score undefined", scenario.Claim{Figure: "mean_score:court", Group: "b", Min: ptr(0)}, false, math.NaN(), "no mean"},
		{"without", scenario.Claim{Figure: "ever_sanctioned", Without: []string{"r"}, Min: ptr(1.4), Max: ptr(1.6)}, true, 1.5, ""},
		{"without, zero there", scenario.Claim{Figure: "ever_sanctioned", Group: "a", Without: []string{"r"}, Min: ptr(1)}, true, math.NaN(), "is 0"},
	} {
		var r Result
		if tc.part {
			r = EvaluateWithout(tc.c, 365, rep, part)
		} else {
			r = Evaluate(tc.c, 365, rep)
		}
		switch {
		case math.IsNaN(tc.value):
			if r.Value != nil || r.Holds || !strings.Contains(r.Why, tc.why) {
				t.Errorf("%s: value %v holds %v why %q, want undefined (%q)", tc.name, r.Value, r.Holds, r.Why, tc.why)
			}
		case r.Value == nil || math.Abs(*r.Value-tc.value) > 1e-12 || !r.Holds:
			t.Errorf("%s: value %v holds %v (%s), want %g and holding", tc.name, r.Value, r.Holds, r.Why, tc.value)
		}
		if tc.part && r.Versus != "without r" {
			t.Errorf("%s: versus %q, want %q", tc.name, r.Versus, "without r")
		}
	}
}
