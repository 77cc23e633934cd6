package claim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// FailedError reports claims that do not hold (`nosedive check` exits 1).
type FailedError struct {
	Scenario string
	Failed   int
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("check %s: %d claim(s) do not hold", e.Scenario, e.Failed)
}

// Err is a *FailedError when a claim or the steady state does not hold,
// nil when everything holds.
func (o *Outcome) Err() error {
	if o.Holds() {
		return nil
	}
	return &FailedError{Scenario: o.Scenario, Failed: o.Failed()}
}

// bound writes a claim's bounds: [min, max], >= min or <= max.
func bound(min, max *float64) string {
	switch {
	case min != nil && max != nil:
		return fmt.Sprintf("[%s, %s]", num(*min), num(*max))
	case min != nil:
		return ">= " + num(*min)
	case max != nil:
		return "<= " + num(*max)
	}
	return ""
}

// num writes a figure with at most four decimals and no trailing zeros.
func num(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
}

// WriteText writes the outcome as `nosedive check` prints it: one line
// per claim (ok or FAIL, what it says, the figure, its subject, day,
// value and bounds), the steady-state check year by year, and the run
// directories kept.
func WriteText(w io.Writer, o *Outcome) {
	fmt.Fprintf(w, "%s at %d agents, seed %d\n\n", o.Scenario, o.Agents, o.Seed)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tclaim\tfigure\tsubject\tday\tvalue\tbound")
	for _, r := range o.Results {
		mark, val := "ok", "undefined ("+r.Why+")"
		if !r.Holds {
			mark = "FAIL"
		}
		if r.Value != nil {
			val = num(*r.Value)
		}
		subj := r.Subject
		if r.Versus != "" {
			subj += " / " + r.Versus
		}
		if len(r.Set) > 0 {
			subj += ", with " + strings.Join(r.Set, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", mark, r.Says, r.Figure, subj, r.At, val, bound(r.Min, r.Max))
	}
	tw.Flush()
	st := o.Steady
	fmt.Fprintln(w)
	if !st.Checked {
		fmt.Fprintf(w, "steady state: not checked: %s\n", st.Why)
	} else {
		mark := "ok"
		if !st.Holds {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s steady state after the first year (per year at most %.0f%% of the score range, %.0f points per tier):\n",
			mark, 100*MaxScoreDrift, 100*MaxTierDrift)
		for _, y := range st.Years {
			fmt.Fprintf(w, "  day %d -> %d: mean score %+.1f%% of the range, tier %s %.1f points\n", y.FromDay, y.ToDay, 100*y.MeanScore, y.Tier, 100*y.TierShare)
		}
	}
	for _, r := range o.Runs {
		fmt.Fprintf(w, "run kept: %s\n", r)
	}
}
