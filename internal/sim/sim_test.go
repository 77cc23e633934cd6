package sim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// world builds a small scenario from parts. Two regions (north, south) and
// two groups (x, y); no partners and no ties unless the parts say so.
type world struct {
	population, network, relationships, behaviours, chilling, rules, recovery, caps, sanctions, phases string
}

func (w world) yaml() string {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	return `name: t
run: {agents: 1000, days: 10, seed: 3, ledger: none}
population:
` + or(w.population, `  regions:
    - {name: north, share: 0.5, groups: {x: 0.5, y: 0.5}, cameras_per_1000: 100}
    - {name: south, share: 0.5, groups: {x: 0.5, y: 0.5}, cameras_per_1000: 0}
  traits:
    - {name: party_member, p: 0.5}
  households: {partnered: 0}`) + `
network: ` + or(w.network, `{model: none}`) + `
relationships: ` + or(w.relationships, `{}`) + `
surveillance:
  channels:
    - {name: always, detect: 1}
    - {name: never, detect: 0}
    - {name: cams, per_camera: 0.01}
behaviours:
` + or(w.behaviours, `  - {name: act, channel: always, context: commerce, rate: 1, penalised: true}`) + `
chilling: ` + or(w.chilling, `{}`) + `
scoring:
  range: [0, 2000]
  initial: [{group: x, score: 1000}, {group: y, score: 900}]
  rules:
` + or(w.rules, `    - {name: r_act, on: act, amount: -5}`) + `
` + w.recovery + `
tiers:
  levels: [{name: high, min: 950}, {name: mid, min: 500}, {name: low}]
  caps: ` + or(w.caps, `[]`) + `
sanctions: ` + or(w.sanctions, `[]`) + `
phases: ` + or(w.phases, `[]`) + `
`
}

type harness struct {
	t    *testing.T
	sc   *scenario.Scenario
	pop  *population.Population
	e    *Engine
	days []*daily.Day
}

func newHarness(t *testing.T, w world, agents int) *harness {
	t.Helper()
	sc, err := scenario.Load("test.yaml", []byte(w.yaml()), nil)
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, w.yaml())
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, agents, sc.Run.Seed)
	e := New(sc, prog, pop, 1000, sc.Run.Seed, Options{Workers: 2, Ledger: scenario.Ledger{All: true, Fraction: 1}})
	return &harness{t: t, sc: sc, pop: pop, e: e}
}

func (h *harness) step(n int) {
	h.t.Helper()
	for k := 0; k < n; k++ {
		d, _, err := h.e.Step()
		if err != nil {
			h.t.Fatal(err)
		}
		h.days = append(h.days, d.Clone())
	}
}

func (h *harness) score(i int) float64 { return float64(h.e.score[i]) / rule.Scale }

// total sums a per-cell counter of the last day over all cells.
func (h *harness) total(get func(c *daily.Cell) int64) int64 {
	var s int64
	for k := range h.days[len(h.days)-1].Cells {
		s += get(&h.days[len(h.days)-1].Cells[k])
	}
	return s
}

// checkAdditive asserts baseline + contributions = score for every agent.
func (h *harness) checkAdditive() {
	h.t.Helper()
	nc := h.e.nContrib
	for i := 0; i < h.e.n; i++ {
		sum := int64(h.e.baseline[h.e.cellOf(int(i))])
		for k := 0; k < nc; k++ {
			sum += int64(h.e.contrib[i*nc+k])
		}
		if sum != int64(h.e.score[i]) {
			h.t.Fatalf("agent %d: baseline + contributions = %d, score = %d", i, sum, h.e.score[i])
		}
	}
}

func TestEventRule(t *testing.T) {
	h := newHarness(t, world{}, 1000)
	h.step(3)
	for i := 0; i < 1000; i++ {
		want := 1000.0 - 15
		if h.pop.Group[i] == 1 {
			want = 900 - 15
		}
		if got := h.score(i); got != want {
			t.Fatalf("agent %d: score %v, want %v", i, got, want)
		}
	}
	if got := h.total(func(c *daily.Cell) int64 { return c.Detected[0] }); got != 1000 {
		t.Errorf("detected %d events on the last day, want 1000", got)
	}
	h.checkAdditive()
}

func TestUndetectedEventsDoNotScore(t *testing.T) {
	h := newHarness(t, world{behaviours: `  - {name: act, channel: never, context: commerce, rate: 1}`}, 500)
	h.step(2)
	if got := h.total(func(c *daily.Cell) int64 { return c.Attempted[0] }); got != 500 {
		t.Errorf("attempted %d, want 500", got)
	}
	if got := h.total(func(c *daily.Cell) int64 { return c.Detected[0] }); got != 0 {
		t.Errorf("detected %d, want 0", got)
	}
	if h.score(0) != 1000 && h.score(0) != 900 {
		t.Errorf("undetected events changed the score: %v", h.score(0))
	}
}

// TestCameraDetection checks p = 1 - exp(-per_camera x density) per region
// within binomial bounds: north has 100 cameras per 1000 (p = 0.632), south
// none (p = 0).
func TestCameraDetection(t *testing.T) {
	h := newHarness(t, world{behaviours: `  - {name: act, channel: cams, context: leisure, rate: 1}`}, 20000)
	h.step(1)
	var detN, attN, detS int64
	for _, c := range h.days[0].Cells {
		if c.Region == 0 {
			detN += c.Detected[0]
			attN += c.Attempted[0]
		} else {
			detS += c.Detected[0]
		}
	}
	p := 1 - math.Exp(-0.01*100)
	checkBinomial(t, "north detections", detN, attN, p)
	if detS != 0 {
		t.Errorf("south has no cameras but %d detections", detS)
	}
}

// checkBinomial fails when k is more than 5 standard deviations from n*p.
func checkBinomial(t *testing.T, what string, k, n int64, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(k)-mean) > 5*sd+1 {
		t.Errorf("%s: %d of %d, expected %.0f ± %.0f (5 sd)", what, k, n, mean, 5*sd)
	}
}

func TestEventRatesWithinBinomialBounds(t *testing.T) {
	h := newHarness(t, world{behaviours: `  - {name: act, channel: always, context: commerce, rate: 1/7}`}, 10000)
	h.step(20)
	var k int64
	for _, d := range h.days {
		for _, c := range d.Cells {
			k += c.Attempted[0]
		}
	}
	checkBinomial(t, "events", k, 10000*20, 1.0/7)
}

func TestEligibilityAndExpressionRate(t *testing.T) {
	h := newHarness(t, world{behaviours: `  - {name: act, channel: always, context: commerce, rate: "group == \"x\" ? 1 : 0.5", eligible: party_member}`}, 10000)
	h.step(1)
	var members, xMembers int64
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Traits[i]&1 != 0 {
			members++
			if h.pop.Group[i] == 0 {
				xMembers++
			}
		}
	}
	got := h.total(func(c *daily.Cell) int64 { return c.Attempted[0] })
	// x members always act; y members with probability 0.5.
	checkBinomial(t, "events by y members", got-xMembers, members-xMembers, 0.5)
}

func TestPeriodicRuleEvery(t *testing.T) {
	h := newHarness(t, world{behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}`,
		rules: `    - {name: tick, every: 3, amount: 1}`}, 100)
	h.step(7) // days 0..6: fires on 0, 3, 6
	if got := h.score(0) - float64(h.e.baseline[h.e.cellOf(0)])/rule.Scale; got != 3 {
		t.Errorf("periodic rule every 3 days fired %v times in 7 days, want 3", got)
	}
}

func TestPartnerRulesOnlyForPartnered(t *testing.T) {
	h := newHarness(t, world{
		population: `  regions: [{name: north, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: party_member, p: 0.5}]
  households: {partnered: 0.5}`,
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}`,
		rules: `    - {name: lower, every: 1, when: partner.score < score, amount: -0.01 * (score - partner.score)}
    - {name: party, every: 1, when: partner.party_member, amount: 0.2}`}, 2000)
	h.step(1)
	for i := 0; i < h.pop.N; i++ {
		p := h.pop.Partner[i]
		base := float64(h.e.baseline[h.e.cellOf(int(i))]) / rule.Scale
		want := base
		if p >= 0 {
			pb := float64(h.e.baseline[h.e.cellOf(int(p))]) / rule.Scale
			if pb < base {
				want -= 0.01 * (base - pb)
			}
			if h.pop.Traits[p]&1 != 0 {
				want += 0.2
			}
		}
		if got := h.score(i); math.Abs(got-want) > 0.0005 {
			t.Fatalf("agent %d (partner %d): score %v, want %v", i, p, got, want)
		}
	}
	h.checkAdditive()
}

func TestFlagsStopRecovery(t *testing.T) {
	h := newHarness(t, world{
		behaviours: `  - {name: act, channel: always, context: press, rate: "day == 0 && group == \"x\" ? 1 : 0"}`,
		rules:      `    - {name: expose, on: act, amount: -300, set_flags: [enemy]}`,
		recovery:   `  recovery: {target: 1000, rate: 5, unless_flags: [enemy]}`}, 400)
	h.step(4)
	for i := 0; i < h.pop.N; i++ {
		switch h.pop.Group[i] {
		case 0: // flagged on day 0, no recovery ever (not even that day)
			if h.score(i) != 700 || h.e.flags[i]&1 == 0 {
				t.Fatalf("flagged agent %d: score %v flags %b, want 700 and flagged", i, h.score(i), h.e.flags[i])
			}
		case 1: // recovers 5 a day toward 1000
			if h.score(i) != 920 {
				t.Fatalf("unflagged agent %d: score %v, want 920", i, h.score(i))
			}
		}
	}
	h.checkAdditive()
}

func TestClampIsAContribution(t *testing.T) {
	h := newHarness(t, world{rules: `    - {name: r_act, on: act, amount: -600}`}, 200)
	h.step(3)
	for i := 0; i < h.pop.N; i++ {
		if h.score(i) != 0 {
			t.Fatalf("agent %d: score %v, want clamped to 0", i, h.score(i))
		}
	}
	h.checkAdditive()
}

func TestTierCaps(t *testing.T) {
	h := newHarness(t, world{
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 1}`,
		rules:      `    - {name: r_act, on: act, amount: 100}`,
		caps:       `[{group: y, best: mid}, {group: x, region: south, worst: mid}]`}, 1000)
	h.step(1)
	for i := 0; i < h.pop.N; i++ {
		g, r := h.pop.Group[i], h.pop.Region[i]
		want := uint8(0) // everyone scores >= 950 now
		if g == 1 {
			want = 1 // capped at mid
		}
		if h.e.tier[i] != want {
			t.Fatalf("agent %d (group %d region %d): tier %d, want %d", i, g, r, h.e.tier[i], want)
		}
	}
	// The floor: drive everyone to 0; x in south never falls below mid.
	h2 := newHarness(t, world{rules: `    - {name: r_act, on: act, amount: -2000}`, caps: `[{group: x, region: south, worst: mid}]`}, 1000)
	h2.step(1)
	for i := 0; i < h2.pop.N; i++ {
		want := uint8(2)
		if h2.pop.Group[i] == 0 && h2.pop.Region[i] == 1 {
			want = 1
		}
		if h2.e.tier[i] != want {
			t.Fatalf("agent %d: tier %d, want %d", i, h2.e.tier[i], want)
		}
	}
}

func TestSanctionsBlockBehaviours(t *testing.T) {
	h := newHarness(t, world{
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}
  - {name: travel, channel: always, context: travel, rate: 1}
  - {name: post, channel: always, context: online, rate: 1}`,
		sanctions: `
  - {name: ban, when: group == "y", context: travel, blocks: [travel]}
  - {name: no_account, when: group == "y", context: online, deny_account: true}`}, 1000)
	h.step(2) // sanctions start at the end of day 1 and block on day 2
	var y int64
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 1 {
			y++
		}
	}
	last := h.days[1]
	var blockedTravel, blockedPost, sanctioned int64
	for _, c := range last.Cells {
		blockedTravel += c.Blocked[1]
		blockedPost += c.Blocked[2]
		sanctioned += c.Sanction[0]
	}
	if blockedTravel != y || blockedPost != y || sanctioned != y {
		t.Errorf("blocked travel %d, posts %d, sanctioned %d; want all %d y agents", blockedTravel, blockedPost, sanctioned, y)
	}
	if d := h.days[0]; d.Cells[0].Blocked[1]+d.Cells[1].Blocked[1] != 0 {
		t.Errorf("events blocked on day 1, before any sanction existed")
	}
}

func TestSchoolSanctionOnChildren(t *testing.T) {
	h := newHarness(t, world{
		population: `  regions: [{name: north, share: 1, groups: {x: 0.5, y: 0.5}}]
  households: {partnered: 0.6, children: 1.5}`,
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}`,
		sanctions:  `[{name: school, target: children, school: true, when: score < 950 && partner.score < 950, context: education}]`}, 4000)
	h.step(1)
	var want int64
	for i := 0; i < h.pop.N; i++ {
		p := h.pop.Partner[i]
		if p >= 0 && h.pop.Group[i] == 1 && h.pop.Group[p] == 1 && h.pop.Kids[i] > 0 {
			want += int64(h.pop.Kids[i])
		}
	}
	got := h.total(func(c *daily.Cell) int64 { return c.ChildrenBlocked })
	if got != want || want == 0 {
		t.Errorf("children blocked %d, want %d (> 0)", got, want)
	}
}

func TestDetentionAndRelease(t *testing.T) {
	h := newHarness(t, world{
		network:   `{model: watts-strogatz, degree: 4, rewire: 0}`,
		sanctions: `[{name: camp, when: score < 950, context: liberty, detain: {release_after: 3, release_score: 960}}]`}, 500)
	// Day 1: y agents (900) fall to 895 and are detained at the end of the day.
	h.step(1)
	for i := 0; i < h.pop.N; i++ {
		if h.e.detained[i] != (h.pop.Group[i] == 1) {
			t.Fatalf("agent %d (group %d): detained=%v", i, h.pop.Group[i], h.e.detained[i])
		}
	}
	ys := h.total(func(c *daily.Cell) int64 { return c.Detained })
	// Days 2-4: detained agents produce no events.
	h.step(3)
	if got := h.total(func(c *daily.Cell) int64 { return c.Attempted[0] }); got != int64(h.pop.N)-ys {
		t.Errorf("attempted %d events; detained agents must produce none (want %d)", got, int64(h.pop.N)-ys)
	}
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 1 && !h.e.detained[i] {
			t.Fatalf("agent %d released before serving 3 days", i)
		}
	}
	// Released at the start of day 5 with score 960, and not detained again.
	h.step(1)
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 1 && (h.e.detained[i] || h.score(i) != 960) {
			t.Fatalf("agent %d: detained=%v score=%v, want released at 960", i, h.e.detained[i], h.score(i))
		}
	}
	h.checkAdditive()
}

func TestPhasesSwitchRegimeOnPerRegion(t *testing.T) {
	h := newHarness(t, world{phases: `
  - {name: pilot, day: 0, regions: [north]}
  - {name: rollout, day: 2}`}, 1000)
	h.step(3)
	for i := 0; i < h.pop.N; i++ {
		base := float64(h.e.baseline[h.e.cellOf(int(i))]) / rule.Scale
		want := base - 15
		if h.pop.Region[i] == 1 {
			want = base - 5 // only day 2 scored in the south
		}
		if h.score(i) != want {
			t.Fatalf("agent %d region %d: score %v, want %v", i, h.pop.Region[i], h.score(i), want)
		}
	}
	if h.days[0].Cells[2].RegimeActive || !h.days[2].Cells[2].RegimeActive {
		t.Errorf("regime_active for the south: day 1 %v, day 3 %v; want false, true",
			h.days[0].Cells[2].RegimeActive, h.days[2].Cells[2].RegimeActive)
	}
}

func TestPhaseRuleSubset(t *testing.T) {
	h := newHarness(t, world{
		rules: `    - {name: r_act, on: act, amount: -5}
    - {name: bonus, every: 1, amount: 1}`,
		phases: `[{name: soft, day: 0, rules: [bonus]}, {name: hard, day: 2}]`}, 100)
	h.step(3)
	base := float64(h.e.baseline[h.e.cellOf(0)]) / rule.Scale
	if got := h.score(0); got != base+1+1+(1-5) {
		t.Errorf("score %v, want %v", got, base+1+1+(1-5))
	}
}

func TestChillingByPeers(t *testing.T) {
	run := func(visible string) int64 {
		h := newHarness(t, world{
			network:    `{model: watts-strogatz, degree: 10, rewire: 0.1}`,
			behaviours: `  - {name: act, channel: always, context: leisure, rate: 0.5, chill: {peers: 0.6}}`,
			rules:      `    - {name: r_act, on: act, amount: 0}`,
			chilling:   `{visible: ` + visible + `}`}, 20000)
		h.step(1)
		return h.total(func(c *daily.Cell) int64 { return c.Attempted[0] })
	}
	none, all := run(`"false"`), run(`"true"`)
	checkBinomial(t, "unchilled", none, 20000, 0.5)
	checkBinomial(t, "chilled", all, 20000, 0.5*(1-0.6))
}

func TestChillingBySelf(t *testing.T) {
	h := newHarness(t, world{
		behaviours: `  - {name: act, channel: always, context: leisure, rate: "day == 0 ? 1 : 0.5", penalised: true, chill: {self: 0.8, memory: 5}}`}, 20000)
	h.step(2)
	checkBinomial(t, "after own penalty", h.total(func(c *daily.Cell) int64 { return c.Attempted[0] }), 20000, 0.5*0.2)
}

func TestPartnershipsForm(t *testing.T) {
	h := newHarness(t, world{
		network:       `{model: watts-strogatz, degree: 10, rewire: 0.2}`,
		relationships: `{form_rate: 0.5, break_rate: 0.05}`,
		behaviours:    `  - {name: act, channel: always, context: commerce, rate: 0}`}, 5000)
	h.step(5)
	paired := 0
	for i, p := range h.e.partner {
		if p >= 0 {
			paired++
			if h.e.partner[p] != int32(i) {
				t.Fatalf("partnership not symmetric: %d -> %d -> %d", i, p, h.e.partner[p])
			}
		}
	}
	if paired < 1000 {
		t.Errorf("only %d of 5000 agents partnered after 5 days at form_rate 0.5", paired)
	}
}

func TestSelectivityRefusesLowerScorers(t *testing.T) {
	mixed := func(sel string) int {
		h := newHarness(t, world{
			network:       `{model: watts-strogatz, degree: 10, rewire: 0.5}`,
			relationships: `{form_rate: 0.3, selectivity: ` + sel + `}`,
			behaviours:    `  - {name: act, channel: always, context: commerce, rate: 0}`}, 5000)
		h.step(5)
		n := 0
		for i, p := range h.e.partner {
			if p >= 0 && h.pop.Group[i] != h.pop.Group[p] {
				n++
			}
		}
		return n
	}
	// A y (900) proposing to an x (1000) is accepted with exp(-20 x 100/100).
	open, picky := mixed("0"), mixed("20")
	if picky*4 > open {
		t.Errorf("mixed-score couples: %d without selectivity, %d with; selectivity should cut them sharply", open, picky)
	}
}

func TestRuntimeNaNNamesRuleAndAgent(t *testing.T) {
	h := newHarness(t, world{rules: `    - {name: bad, on: act, amount: 1 / (score - score)}`}, 100)
	_, _, err := h.e.Step()
	var re *RuntimeError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a RuntimeError", err)
	}
	if re.Rule != "bad" || re.Day != 0 || re.Agent != 0 || !strings.Contains(re.Error(), "Inf") {
		t.Errorf("error %q does not name rule bad, day 0, agent 0 and the bad value", re.Error())
	}
}

func TestAcquaintanceAggregatesSkipDetained(t *testing.T) {
	h := newHarness(t, world{
		network:    `{model: watts-strogatz, degree: 4, rewire: 0}`,
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}`,
		rules:      `    - {name: friends, every: 1, amount: acq.count + 10 * acq.share(group == "y")}`,
		sanctions:  `[{name: camp, when: group == "y", context: liberty, detain: {release_after: 0}}]`}, 200)
	h.step(2) // day 2: y agents are detained, so no one counts them
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 1 {
			continue
		}
		xs := 0
		for _, a := range h.pop.Graph.Neighbours(int32(i), nil) {
			if h.pop.Group[a] == 0 {
				xs++
			}
		}
		day1 := 4 + 10*float64(4-xs)/4
		if got, want := h.score(i), float64(h.e.baseline[h.e.cellOf(int(i))])/rule.Scale+day1+float64(xs); math.Abs(got-want) > 1e-3 {
			t.Fatalf("agent %d: score %v, want %v", i, got, want)
		}
	}
}

func TestNoRegimeAndAblation(t *testing.T) {
	w := world{rules: `    - {name: r_act, on: act, amount: -5}
    - {name: tick, every: 1, amount: 1}`,
		sanctions: `[{name: ban, when: "true", context: travel}]`}
	sc, err := scenario.Load("t.yaml", []byte(w.yaml()), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := sc.Compile()
	pop := population.Generate(sc, 300, 1)
	off := New(sc, prog, pop, 10, 1, Options{NoRegime: true})
	abl := New(sc, prog, pop, 10, 1, Options{Disabled: []string{"r_act"}})
	for k := 0; k < 3; k++ {
		if _, _, err := off.Step(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := abl.Step(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 300; i++ {
		if off.score[i] != off.baseline[off.cellOf(i)] || off.sanc[i] != 0 {
			t.Fatalf("no-regime twin changed agent %d: score %d sanctions %b", i, off.score[i], off.sanc[i])
		}
		if abl.score[i] != abl.baseline[abl.cellOf(i)]+3*rule.Scale {
			t.Fatalf("ablating r_act: agent %d score %d, want baseline + 3", i, abl.score[i])
		}
	}
	if off.penalisedAttempts[0] != abl.penalisedAttempts[0] {
		t.Errorf("twins must draw the same behaviour (common random numbers)")
	}
}

// A periodic rule's bad amount is found in the chunk's batch and reported
// for the first agent it applies to, as an agent-by-agent loop would.
func TestRuntimeNaNInPeriodicRule(t *testing.T) {
	h := newHarness(t, world{rules: `    - {name: worse, every: 1, when: score > 0, amount: 1 / (score - score)}`}, 20_000)
	_, _, err := h.e.Step()
	var re *RuntimeError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a RuntimeError", err)
	}
	first := int32(-1)
	for i, s := range h.e.score {
		if s > 0 {
			first = int32(i)
			break
		}
	}
	if re.Rule != "worse" || re.Day != 0 || re.Agent != first || !strings.Contains(re.Error(), "Inf") {
		t.Errorf("error %q, want rule worse, day 0, agent %d and the bad value", re.Error(), first)
	}
}
