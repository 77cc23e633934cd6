package audit

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const twoScores = `name: two-scores
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: member, p: 0.5}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 1, penalised: true, gravity: 1}]
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules:
    - {name: r_act, on: act, amount: -1}
    - {name: platform_fee, every: 1, when: member, amount: -1, score: platform}
scores:
  - {name: platform, range: [0, 100], initial: [{group: x, score: 60}, {score: 40}]}
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions: [{name: ban, when: platform < 45, context: commerce, severity: 1}]
`

// An extra score's mean by group, against a count from the population: a
// member loses a platform point a day for ten days, so a group's mean is
// its start minus 10 x its share of members; its gap is against the
// reference group's. The main score's losses leave the platform's rule
// out: everyone lost exactly 10 main points.
func TestExtraScoreMeans(t *testing.T) {
	const days = 10
	r := makeRun(t, twoScores, 3000, days)
	rep, err := Compute(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pop := r.Population()
	var n, members [2]float64
	for i := 0; i < pop.N; i++ {
		g := pop.Group[i]
		n[g]++
		if pop.Traits[i]&1 != 0 {
			members[g]++
		}
	}
	want := [2]float64{60 - days*members[0]/n[0], 40 - days*members[1]/n[1]}
	refMean := want[0]
	if rep.Reference == "y" {
		refMean = want[1]
	}
	for g, name := range []string{"x", "y"} {
		row := groupRow(t, rep, "group", name)
		if len(row.Scores) != 1 || row.Scores[0].Name != "platform" {
			t.Fatalf("group %s: scores %+v, want platform", name, row.Scores)
		}
		s := row.Scores[0]
		if math.Abs(float64(s.Mean)-want[g]) > 1e-9 || math.Abs(float64(s.Gap)-(want[g]-refMean)) > 1e-9 {
			t.Errorf("group %s: platform mean %v gap %v, want %v and %v", name, s.Mean, s.Gap, want[g], want[g]-refMean)
		}
		if row.Loss.Total != days*n[g] || row.Loss.Own != days*n[g] {
			t.Errorf("group %s: %v points lost (%v own), want %v: the platform's rule is not the main score's", name, row.Loss.Total, row.Loss.Own, days*n[g])
		}
	}
	if !math.IsNaN(float64(rep.Overall.Scores[0].Gap)) {
		t.Errorf("everyone's gap %v, want undefined", rep.Overall.Scores[0].Gap)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Every score by group") || !strings.Contains(buf.String(), "platform") {
		t.Errorf("the text audit has no extra-score table:\n%s", buf.String())
	}
}
