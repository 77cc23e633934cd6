package claim

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// builtinAgents and builtinDays are the size at which every built-in's
// claims must hold: large enough that the seed-to-seed noise stays inside
// the claims' bounds (docs/scenario-language.md, claims), long enough to
// see five years.
const (
	builtinAgents = 20000
	builtinDays   = 1825
)

// TestBuiltinClaimsHold runs `nosedive check NAME --agents 20000 --days
// 1825` on every built-in: each claim must hold at each of its horizons
// and, unless the scenario names a trend, the regime must settle after
// its first year. Every built-in must state claims at one, three and five
// years. It takes a few minutes on two cores, so -short skips it.
func TestBuiltinClaimsHold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in for five years at 20,000 agents (a few minutes); skipped with -short")
	}
	for _, b := range scenario.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			sc, err := scenario.Resolve(b.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			var horizons []int
			for _, c := range sc.Claims {
				horizons = append(horizons, c.At...)
			}
			// A one-step model (delayed-impact: one decision, one day) has
			// no years to state and nothing to settle: its claims are at
			// its own length.
			oneStep := sc.Run.Days < 365
			want, days := []int{365, 1095, 1825}, builtinDays
			if oneStep {
				want, days = []int{sc.Run.Days}, 0
			}
			for _, d := range want {
				if !slices.Contains(horizons, d) {
					t.Errorf("no claim at %d days: every built-in states what its regime does at one, three and five years (a one-step model at its length)", d)
				}
			}
			start := time.Now()
			o, err := Check(context.Background(), sc, Options{Agents: builtinAgents, Days: days})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range o.Results {
				line := fmt.Sprintf("%-5d %-32s %-28s %s", r.At, r.Figure, subject(r), value(r))
				if !r.Holds {
					t.Errorf("claim does not hold: %s: %q", line, r.Says)
				} else {
					t.Logf("holds: %s", line)
				}
			}
			st := o.Steady
			switch {
			case !st.Checked && sc.Trend == "" && !oneStep:
				t.Errorf("steadiness not checked: %s", st.Why)
			case !st.Checked:
				t.Logf("steadiness not checked: %s", st.Why)
			default:
				for _, y := range st.Years {
					t.Logf("day %d to %d: mean score moved %.2f%% of the range, tier %s %.2f points", y.FromDay, y.ToDay, 100*y.MeanScore, y.Tier, 100*y.TierShare)
				}
				if !st.Holds {
					t.Errorf("the regime does not settle after its first year (limits %.0f%% of the score range and %.0f points of a tier share a year)", 100*MaxScoreDrift, 100*MaxTierDrift)
				}
			}
			t.Logf("%d claims at %d agents in %v", len(o.Results), builtinAgents, time.Since(start).Round(time.Second))
		})
	}
}

func subject(r Result) string {
	if r.Versus != "" {
		return r.Subject + " / " + r.Versus
	}
	return r.Subject
}

func value(r Result) string {
	bound := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%g", *p)
	}
	if r.Value == nil {
		return "undefined (" + r.Why + ") in [" + bound(r.Min) + ", " + bound(r.Max) + "]"
	}
	return fmt.Sprintf("%.4g in [%s, %s]", *r.Value, bound(r.Min), bound(r.Max))
}
