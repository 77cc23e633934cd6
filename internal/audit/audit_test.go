package audit

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// makeRun runs a scenario given as YAML and loads the run directory.
func makeRun(t *testing.T, yaml string, agents, days int) *Run {
	t.Helper()
	sc, err := scenario.Load("t.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: agents, Days: days, Seed: 11,
		Ledger: "none", OutDir: t.TempDir(), ID: "fixed",
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Load(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const capOnly = `name: cap
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 0.2, penalised: true, gravity: 1}]
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules: [{name: r_act, on: act, amount: 0}]
tiers:
  levels: [{name: high, min: 950}, {name: mid, min: 500}, {name: low}]
  caps: [{group: y, best: mid}]
sanctions: [{name: ban, when: tier == "mid", context: travel, severity: 4}]
`

// Two groups behave identically; a cap keeps y out of the top tier and the
// sanction hits the capped tier: the whole gap is the cap's.
func TestGapEqualsCapEffect(t *testing.T) {
	r := makeRun(t, capOnly, 4000, 5)
	rep, err := Compute(r, Options{By: []string{"group"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reference != "x" {
		t.Errorf("reference %q, want x (never sanctioned)", rep.Reference)
	}
	y := rep.Groups[1]
	if y.Value != "y" || y.Ever.Value != 1 || rep.Groups[0].Ever.Value != 0 {
		t.Fatalf("ever sanctioned: x %v, y %v; want 0 and 1", rep.Groups[0].Ever.Value, y.Ever.Value)
	}
	var d Disparity
	for _, x := range y.Disparities {
		if x.Metric == "ever_sanctioned" {
			d = x
		}
	}
	if d.Difference != 1 || !math.IsNaN(float64(d.Ratio)) || !d.OutsideBand || !strings.Contains(d.Undefined, "unbounded") {
		t.Errorf("disparity %+v, want difference 1, an unbounded (null) ratio, outside the four-fifths band", d)
	}
	// The reference against itself: 0/0, undefined and never flagged.
	for _, x := range rep.Groups[0].Disparities {
		if x.Metric == "ever_sanctioned" && (!math.IsNaN(float64(x.Ratio)) || x.OutsideBand || x.Undefined != "both rates are 0") {
			t.Errorf("reference against itself: %+v, want an undefined ratio, not flagged", x)
		}
	}
	if len(rep.Conditional) != 1 {
		t.Fatalf("conditional rows: %d", len(rep.Conditional))
	}
	if g := rep.Conditional[0].WeightedGap; math.Abs(g-1) > 1e-12 {
		t.Errorf("gap at equal behaviour %v, want 1 (all of it is the cap)", g)
	}
	// Everyone non-violating in y is a false sanction.
	if y.FalseSanctionRate.Value != 1 {
		t.Errorf("false sanction rate in y %v, want 1", y.FalseSanctionRate.Value)
	}
	if rep.Art5.CrossContext.Value != 1 {
		t.Errorf("cross-context rate %v: the ban (travel) is driven by characteristics, want 1", rep.Art5.CrossContext.Value)
	}
}

const partnerOnly = `name: partner
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
  households: {partnered: 0.8, children: 1}
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 0}]
scoring:
  range: [0, 2000]
  initial: [{group: x, score: 1000}, {group: y, score: 700}]
  rules: [{name: lower, every: 1, when: partner.score < score, amount: -0.05 * (score - partner.score)}]
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions:
  - {name: school, target: children, school: true, when: score < 950 && partner.score < 950, context: education, severity: 6}
`

// A rule that only fires through partners: all rule-driven loss is
// association, and children of two low scorers are blocked.
func TestPartnerLossIsAssociation(t *testing.T) {
	r := makeRun(t, partnerOnly, 3000, 10)
	rep, err := Compute(r, Options{By: []string{"group"}})
	if err != nil {
		t.Fatal(err)
	}
	x := rep.Groups[0]
	if x.Loss.Own != 0 || x.Loss.Partner <= 0 || x.Loss.AssociationShare != 1 {
		t.Errorf("group x loss %+v, want all of it through partners", x.Loss)
	}
	// Children blocked: parents both below 950 at the end.
	var want int64
	score, partner, kids := r.floats("score"), r.ints("partner"), r.ints("children")
	for i := range score {
		if p := partner[i]; p >= 0 && score[i] < 950 && score[p] < 950 {
			want += kids[i]
		}
	}
	if rep.Overall.ChildrenBlocked != want || want == 0 {
		t.Errorf("children blocked %d, want %d (> 0)", rep.Overall.ChildrenBlocked, want)
	}
	// No one's own behaviour costs a point, so every sanctioned person is
	// sanctioned without own loss.
	if w := rep.Overall.WithoutOwnLoss; w.Denominator == 0 || w.Numerator != w.Denominator || w.Denominator != rep.Overall.Ever.Numerator {
		t.Errorf("sanctioned without own loss %d/%d, want all %d sanctioned", w.Numerator, w.Denominator, rep.Overall.Ever.Numerator)
	}
}

func TestGini(t *testing.T) {
	if g := gini([]float64{1, 1, 1, 1}, nil); g != 0 {
		t.Errorf("equal scores: gini %v", g)
	}
	// Shifted to start at 0: {0, 0, 0, 4} -> (n-1)/n = 0.75.
	if g := gini([]float64{5, 5, 5, 9}, nil); math.Abs(g-0.75) > 1e-12 {
		t.Errorf("gini %v, want 0.75", g)
	}
}

// TestGoldenAudit pins audit.json for a small fixed run; refresh with -update.
func TestGoldenAudit(t *testing.T) {
	src, err := scenario.BuiltinSource("benchmark")
	if err != nil {
		t.Fatal(err)
	}
	r := makeRun(t, string(src), 3000, 30)
	rep, err := Compute(r, Options{By: []string{"group", "has_infant"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Nosedive.Version != runner.Version {
		t.Errorf("audit.json names nosedive %q, want %q", rep.Nosedive.Version, runner.Version)
	}
	rep.Nosedive = store.Build{Version: "v0.0.0-test", Commit: "0123456789abcdef0123456789abcdef01234567"} // the test binary's own varies with -buildvcs
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "benchmark-audit.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("audit.json changed (-want +got):\n%s", diff)
	}
}

// Explanations add up exactly and reproduce the stored run for every agent
// of a small run.
func TestExplanationsAreExact(t *testing.T) {
	src, _ := scenario.BuiltinSource("benchmark")
	r := makeRun(t, string(src), 1500, 40)
	agents := make([]int32, 0, 60)
	for a := int32(0); a < 1500; a += 25 {
		agents = append(agents, a)
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
		sum := x.BaseValue
		for _, c := range x.Contributions {
			sum += c.Points
		}
		if math.Abs(sum-x.Score) > 1e-6 {
			t.Fatalf("agent %d: parts sum to %v, score %v", a, sum, x.Score)
		}
		if len(x.Trajectory) != 41 || x.Trajectory[40] != x.Score {
			t.Fatalf("agent %d: trajectory of %d days ends at %v", a, len(x.Trajectory), x.Trajectory[len(x.Trajectory)-1])
		}
	}
}

const lawfulAndNot = `name: lawful
population:
  regions: [{name: r, share: 1, groups: {x: 1}}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours:
  - {name: pray, channel: c, context: religion, rate: 0.5, penalised: true, lawful: true}
  - {name: steal, channel: c, context: commerce, rate: 0.05, penalised: true, lawful: false, gravity: 5}
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules: [{name: r_pray, on: pray, amount: -100}, {name: r_steal, on: steal, amount: -100}]
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions: [{name: ban, when: tier == "low", context: travel, severity: 4}]
`

// Everyone prays and is sanctioned for it; only those who also stole broke
// a law. The law-abiding share of the sanctioned is known from the attempt
// counts.
func TestSanctionedLawAbiding(t *testing.T) {
	r := makeRun(t, lawfulAndNot, 2000, 5)
	rep, err := Compute(r, Options{By: []string{"group"}})
	if err != nil {
		t.Fatal(err)
	}
	steal, first := r.ints("attempted_steal"), r.ints("first_sanction_day")
	var sanctioned, lawAbiding int64
	for i := range steal {
		if first[i] >= 0 {
			sanctioned++
			if steal[i] == 0 {
				lawAbiding++
			}
		}
	}
	got := rep.Overall.LawAbiding
	if got.Numerator != lawAbiding || got.Denominator != sanctioned || lawAbiding == 0 || lawAbiding == sanctioned {
		t.Errorf("law-abiding sanctioned %d/%d, want %d/%d (strictly between 0 and all)", got.Numerator, got.Denominator, lawAbiding, sanctioned)
	}
	// Recount "without own loss" from the event rules' contribution columns.
	var noOwn int64
	for i := range steal {
		if first[i] < 0 {
			continue
		}
		lost := false
		for _, ru := range r.Manifest.Rules {
			if ru.Kind == "event" && r.floats("delta_" + colSafe(ru.Name))[i] < 0 {
				lost = true
			}
		}
		if !lost {
			noOwn++
		}
	}
	if w := rep.Overall.WithoutOwnLoss; w.Numerator != noOwn || w.Denominator != sanctioned {
		t.Errorf("sanctioned without own loss %d/%d, want %d/%d", w.Numerator, w.Denominator, noOwn, sanctioned)
	}
	// Nobody sanctioned here is without an own penalised behaviour.
	if rep.Overall.NoOwnViolation != 0 {
		t.Errorf("sanctioned without own violation %d, want 0", rep.Overall.NoOwnViolation)
	}
}

// Scores that jump leave nobody just above the threshold; principal
// reasons then compare with everyone in the better tier (here everyone
// not listed stays at exactly 100, far above 50 + 5% of the range).
func TestReferenceFallsBackToTheBetterTier(t *testing.T) {
	r := makeRun(t, `name: jump
population:
  regions: [{name: r, share: 1, groups: {x: 1}}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: default, channel: c, context: courts, rate: 0.01, penalised: true, lawful: false}]
scoring:
  range: [0, 100]
  initial: [{score: 100}]
  rules: [{name: listing, on: default, amount: -100}]
tiers:
  levels: [{name: high, min: 50}, {name: low}]
sanctions: [{name: ban, when: tier == "low", context: travel, severity: 4}]
`, 3000, 5)
	first := r.ints("first_sanction_day")
	agent := int32(-1)
	for i, d := range first {
		if d >= 0 {
			agent = int32(i)
			break
		}
	}
	if agent < 0 {
		t.Fatal("nobody sanctioned")
	}
	final, traces, err := runner.Replay(context.Background(), r.Manifest, []int32{agent}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Explain(r, agent, final, traces[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x.Reference, "people in the high tier") {
		t.Errorf("reference %q, want everyone in the high tier", x.Reference)
	}
	for _, c := range x.Contributions {
		if c.Points < 0 && c.VsReference >= 0 {
			t.Errorf("%s: %+v points, %+v vs reference; the reference lost less", c.Rule, c.Points, c.VsReference)
		}
	}
}
