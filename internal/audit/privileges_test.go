package audit

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
)

const rewarded = `name: rewarded
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
  rules: [{name: r_act, on: act, amount: -1}]
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions: [{name: ban, when: group == "y", context: travel, severity: 4}]
privileges:
  - {name: red, when: group == "x" && member, target: household, context: finance, waives: [r_act]}
`

// Who is rewarded, against a count made from the population itself: a
// member of group x and their partner are privileged from the end of day
// 1, and every day after that their charge of 1 point is given back.
func TestPrivilegeFigures(t *testing.T) {
	const days = 10
	r := makeRun(t, rewarded, 3000, days)
	rep, err := Compute(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pop := r.Population()
	earns := func(i int32) bool { return pop.Group[i] == 0 && pop.Traits[i]&1 != 0 }
	type count struct{ n, priv, others int64 }
	want := map[string]*count{"x": {}, "y": {}}
	for i := int32(0); i < int32(pop.N); i++ {
		c := want[[]string{"x", "y"}[pop.Group[i]]]
		c.n++
		p := pop.Partner[i]
		if earns(i) || (p >= 0 && earns(p)) {
			c.priv++
			if !earns(i) {
				c.others++
			}
		}
	}
	if rep.Reference != "x" {
		t.Fatalf("reference %s, want x (never sanctioned)", rep.Reference)
	}
	var px Figure
	for _, g := range []string{"x", "y"} {
		row := groupRow(t, rep, "group", g)
		p, w := row.Privileged, want[g]
		if p == nil {
			t.Fatalf("group %s: no privilege figures", g)
		}
		if p.Ever.Numerator != w.priv || p.Ever.Denominator != w.n {
			t.Errorf("group %s: ever privileged %d/%d, want %d/%d", g, p.Ever.Numerator, p.Ever.Denominator, w.priv, w.n)
		}
		if p.ThroughOthers.Numerator != w.others || p.ThroughOthers.Denominator != w.priv {
			t.Errorf("group %s: through others %d/%d, want %d/%d", g, p.ThroughOthers.Numerator, p.ThroughOthers.Denominator, w.others, w.priv)
		}
		if want := float64(9 * w.priv); p.PointsWaived != want {
			t.Errorf("group %s: %v points waived, want %v (9 days x %d people)", g, p.PointsWaived, want, w.priv)
		}
		if d := p.Days[0]; d.Numerator != 10*w.priv || d.Denominator != days*w.n {
			t.Errorf("group %s: %d/%d person-days privileged, want %d/%d", g, d.Numerator, d.Denominator, 10*w.priv, days*w.n)
		}
		sanctioned := 0.0
		if g == "y" {
			sanctioned = 1
		}
		if got, want := float64(p.Gap), float64(w.priv)/float64(w.n)-sanctioned; math.Abs(got-want) > 1e-12 {
			t.Errorf("group %s: privileged minus sanctioned %v, want %v", g, got, want)
		}
		if got, want := float64(p.SanctionedVsPrivileged.Ratio), sanctioned/(float64(w.priv)/float64(w.n)); math.Abs(got-want) > 1e-12 {
			t.Errorf("group %s: sanctioned vs privileged %v, want %v", g, got, want)
		}
		if g == "x" {
			px = p.Ever
		}
	}
	y := groupRow(t, rep, "group", "y")
	d := disparity(t, y, "ever_privileged")
	if got, want := float64(d.Ratio), float64(y.Privileged.Ever.Value)/float64(px.Value); math.Abs(got-want) > 1e-12 || d.HigherIsWors || d.Undefined != "" {
		t.Errorf("y's ever_privileged disparity %+v, want ratio %v, lower is worse", d, want)
	}
	var text strings.Builder
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "Who is rewarded") || !strings.Contains(text.String(), textPct(px)) {
		t.Errorf("text audit lacks the rewarded table with x's %s:\n%s", textPct(px), text.String())
	}
	found := false
	for _, fd := range rep.Findings {
		found = found || fd.Metric == "ever_privileged_gap"
	}
	if !found {
		t.Errorf("no ever_privileged_gap finding in %v", rep.Headline)
	}
}

// A privilege no one in the reference group holds: the ratio against it
// is unbounded, 0/0 is undefined, exactly as for sanctions.
func TestPrivilegeDisparitiesUndefined(t *testing.T) {
	src := rewarded[:len(rewarded)-len(`  - {name: red, when: group == "x" && member, target: household, context: finance, waives: [r_act]}
`)] + `  - {name: red, when: group == "y", context: finance, waives: [r_act]}
`
	rep, err := Compute(makeRun(t, src, 500, 5), Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, y := groupRow(t, rep, "group", "x"), groupRow(t, rep, "group", "y")
	if d := disparity(t, y, "ever_privileged"); d.Undefined != "the reference rate is 0: the ratio is unbounded" || !math.IsNaN(float64(d.Ratio)) || !d.OutsideBand {
		t.Errorf("y against a reference with no one privileged: %+v", d)
	}
	if d := disparity(t, x, "ever_privileged"); d.Undefined != "both rates are 0" || d.OutsideBand {
		t.Errorf("x against itself, no one privileged: %+v", d)
	}
	if d := x.Privileged.SanctionedVsPrivileged; d.Undefined != "both rates are 0" {
		t.Errorf("x: neither sanctioned nor privileged: %+v", d)
	}
	if d := y.Privileged.SanctionedVsPrivileged; float64(d.Ratio) != 1 {
		t.Errorf("y: all sanctioned, all privileged: ratio %v, want 1", d.Ratio)
	}
}

// A run without privileges has no privilege figures at all.
func TestNoPrivilegesNoFigures(t *testing.T) {
	rep, err := Compute(makeRun(t, capOnly, 200, 3), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range append(rep.Groups, rep.Overall) {
		if row.Privileged != nil {
			t.Fatalf("row %s=%s has privilege figures", row.Attribute, row.Value)
		}
		for _, d := range row.Disparities {
			if d.Metric == "ever_privileged" {
				t.Fatal("privilege disparity without privileges")
			}
		}
	}
}

func groupRow(t *testing.T, rep *Report, attr, value string) Row {
	t.Helper()
	for _, r := range rep.Groups {
		if r.Attribute == attr && r.Value == value {
			return r
		}
	}
	t.Fatalf("no row %s=%s", attr, value)
	return Row{}
}

func disparity(t *testing.T, row Row, metric string) Disparity {
	t.Helper()
	for _, d := range row.Disparities {
		if d.Metric == metric {
			return d
		}
	}
	t.Fatalf("%s=%s: no disparity %s", row.Attribute, row.Value, metric)
	return Disparity{}
}

// An explanation of a privileged person replays the run exactly and names
// the privilege that gave their charges back.
func TestExplainWaivedCharges(t *testing.T) {
	r := makeRun(t, rewarded, 600, 8)
	pop := r.Population()
	var agents []int32
	for a := int32(0); a < int32(pop.N) && len(agents) < 20; a++ {
		if pop.Group[a] == 0 && pop.Traits[a]&1 != 0 {
			agents = append(agents, a)
		}
	}
	final, traces, err := runner.Replay(context.Background(), r.Manifest, agents, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range agents {
		x, err := Explain(r, a, final, traces[k])
		if err != nil {
			t.Fatal(err)
		}
		if !x.Exact || !x.MatchesStored {
			t.Fatalf("agent %d: exact %v, matches stored %v", a, x.Exact, x.MatchesStored)
		}
		var back *Contribution
		for i, c := range x.Contributions {
			if c.Rule == "red" {
				back = &x.Contributions[i]
			}
		}
		// charged 8 times, 7 of them (days 2-8) given back
		if back == nil || back.Points != 7 || back.Times != 7 || back.Origin != "privilege" {
			t.Fatalf("agent %d: give-back %+v, want 7 points in 7 entries from the privilege", a, back)
		}
	}
}
