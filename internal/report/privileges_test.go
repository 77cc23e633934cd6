package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

const rewardedYAML = `name: rewarded
description: Two groups, a red list for members of one.
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: member, p: 0.5}]
  households: {partnered: 0.4}
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 1, penalised: true, gravity: 1}]
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules: [{name: r_act, on: act, amount: -1, source: assumption}]
tiers:
  levels: [{name: high, min: 950, source: assumption}, {name: low}]
sanctions: [{name: ban, when: group == "y", context: travel, severity: 4, source: assumption}]
privileges:
  - {name: red, when: group == "x" && member, target: household, context: finance, waives: [r_act], source: assumption}
`

// The report of a run with privileges has a "Who is rewarded" section
// with the audit's figures, and lists the privilege in the model.
func TestReportWhoIsRewarded(t *testing.T) {
	sc, err := scenario.Load("rewarded.yaml", []byte(rewardedYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	run, rep, _ := auditSpec(t, runner.Spec{Scenario: sc, Agents: 2000, Days: 10, Seed: 5})
	var buf bytes.Buffer
	if _, err := Render(&buf, Input{Run: run, Audit: rep, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	o := rep.Overall.Privileged
	for _, want := range []string{`<h2>Who is rewarded</h2>`, `href="#rewarded"`, "<h3>Privileges</h3>",
		"when group == &#34;x&#34; &amp;&amp; member, for the person and their partner, in finance: charges of r_act waived",
		fmt.Sprintf("<td>%.1f%%</td>", 100*float64(o.Ever.Value)), fmt.Sprintf("<td>%.0f</td>", o.PointsWaived),
		fmt.Sprintf("%+.1f points", 100*float64(o.Gap))} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if m := external.FindString(html); m != "" {
		t.Errorf("report references something external: %q", m)
	}
}
