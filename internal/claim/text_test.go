package claim

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteText: one line per claim with its mark, value (or why it is
// undefined) and bounds as written by hand below, then the steady state
// and the runs kept.
func TestWriteText(t *testing.T) {
	p := func(x float64) *float64 { return &x }
	o := &Outcome{Scenario: "x", Agents: 100, Seed: 7, Runs: []string{"/tmp/r"},
		Results: []Result{
			{Says: "most are sanctioned", Figure: "ever_sanctioned", Subject: "uyghur", Versus: "han", At: 365, Value: p(0.25), Min: p(0.1), Max: p(0.5), Holds: true},
			{Says: "b", Figure: "f", Subject: "all", At: 30, Why: "no one", Min: p(2)},
			{Says: "c", Figure: "g", Subject: "all", At: 30, Value: p(3.10004), Max: p(3)},
		},
		Steady: Steadiness{Checked: true, Years: []Drift{{FromDay: 365, ToDay: 730, MeanScore: 0.012, Tier: "average", TierShare: 0.034}}},
	}
	var b bytes.Buffer
	WriteText(&b, o)
	lines := strings.Split(b.String(), "\n")
	cols := regexp.MustCompile(`\s{2,}`)
	var table [][]string
	for _, l := range lines[2:6] {
		table = append(table, cols.Split(strings.TrimSpace(l), -1))
	}
	want := [][]string{
		{"claim", "figure", "subject", "day", "value", "bound"},
		{"ok", "most are sanctioned", "ever_sanctioned", "uyghur / han", "365", "0.25", "[0.1, 0.5]"},
		{"FAIL", "b", "f", "all", "30", "undefined (no one)", ">= 2"},
		{"FAIL", "c", "g", "all", "30", "3.1", "<= 3"},
	}
	if diff := cmp.Diff(table, want); diff != "" {
		t.Errorf("table (-got +want):\n%s\n%s", diff, b.String())
	}
	rest := strings.Join(lines[6:], "\n")
	wantRest := "\nFAIL steady state after the first year (per year at most 5% of the score range, 5 points per tier):\n" +
		"  day 365 -> 730: mean score +1.2% of the range, tier average 3.4 points\nrun kept: /tmp/r\n"
	if lines[0] != "x at 100 agents, seed 7" || rest != wantRest {
		t.Errorf("got\n%s", b.String())
	}
	if e := (&FailedError{Scenario: "x", Failed: 2}).Error(); e != "check x: 2 claim(s) do not hold" {
		t.Errorf("FailedError: %s", e)
	}
	if err := o.Err(); err == nil || err.Error() != "check x: 3 claim(s) do not hold" { // two claims and the steady state
		t.Errorf("Err of two failed claims and an unsteady run: %v", err)
	}
	o.Results, o.Steady.Holds = o.Results[:1], true
	if err := o.Err(); err != nil {
		t.Errorf("Err when everything holds: %v", err)
	}
	o.Steady.Holds = false
	if err := o.Err(); err == nil || err.Error() != "check x: 1 claim(s) do not hold" {
		t.Errorf("Err when only the steady state fails: %v", err)
	}
}
