package audit

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// zeroAgainstZero matches a finding that compares two zeros.
var zeroAgainstZero = regexp.MustCompile(`(^|\D)0% .*against 0%`)

// Every built-in at its default length (at 20,000 agents): no finding is
// built on an empty denominator, none compares two zeros, none is a share
// that cannot be anything else, and they come largest and most certain
// first.
func TestBuiltinFindingsMeanSomething(t *testing.T) {
	for _, bi := range scenario.Builtins() {
		t.Run(bi.Name, func(t *testing.T) {
			sc, err := scenario.Resolve(bi.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 20_000, Days: sc.Run.Days,
				Seed: sc.Run.Seed, Ledger: "none", OutDir: t.TempDir(),
				Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Load(res.Dir)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Compute(r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) == 0 {
				t.Fatal("no findings")
			}
			f := r.facts()
			nonViolators := 0
			for _, v := range f.violator {
				if !v {
					nonViolators++
				}
			}
			for i, fd := range rep.Findings {
				t.Logf("%.3f %s", fd.Weight, fd.Text)
				if fd.Denominator <= 0 {
					t.Errorf("finding on an empty denominator: %+v", fd)
				}
				if zeroAgainstZero.MatchString(fd.Text) {
					t.Errorf("finding compares two zeros: %q", fd.Text)
				}
				if fd.Metric == "sanctioned_without_penalised_act" && nonViolators < rep.MinGroup {
					t.Errorf("%q printed though only %d people did nothing penalised", fd.Text, nonViolators)
				}
				if (fd.Metric == "sanctioned_without_penalised_act" || fd.Metric == "sanctioned_law_abiding") && fd.Value == 0 {
					// A zero is a finding only if it could have been otherwise:
					// someone it counts lost points.
					could := false
					for i := range f.violator {
						innocent := !f.violator[i]
						if fd.Metric == "sanctioned_law_abiding" {
							innocent = !f.lawbreaker[i]
						}
						could = could || (innocent && f.loss[i].Total > 0)
					}
					if !could {
						t.Errorf("%q is 0 by construction: no one it counts lost a point", fd.Text)
					}
				}
				if i > 0 && fd.Weight > rep.Findings[i-1].Weight {
					t.Errorf("findings out of order at %d: %v after %v", i, fd.Weight, rep.Findings[i-1].Weight)
				}
				if rep.Headline[i] != fd.Text {
					t.Errorf("headline %d is %q, finding %q", i, rep.Headline[i], fd.Text)
				}
			}
			// Undefined disparities are never flagged or infinite.
			for _, row := range append(append([]Row{}, rep.Groups...), rep.Intersections...) {
				for _, d := range row.Disparities {
					if d.Undefined == "both rates are 0" || d.Undefined == "no one in either denominator" {
						if d.OutsideBand {
							t.Errorf("%s %s %s: 0/0 flagged outside the band", row.Attribute, row.Value, d.Metric)
						}
					}
				}
			}
		})
	}
}
