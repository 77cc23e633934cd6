package sim

import (
	"bytes"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// privHarness is newHarness for a world with a privileges section.
func privHarness(t *testing.T, w world, privileges string, agents, workers int) *harness {
	t.Helper()
	src := w.yaml() + "privileges:\n" + privileges
	sc, err := scenario.Load("test.yaml", []byte(src), nil)
	if err != nil {
		t.Fatalf("scenario: %v\n%s", err, src)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, agents, sc.Run.Seed)
	e := New(sc, prog, pop, 1000, sc.Run.Seed, Options{Workers: workers, Ledger: scenario.Ledger{All: true, Fraction: 1}})
	return &harness{t: t, sc: sc, pop: pop, e: e}
}

func (h *harness) base(i int) float64 { return float64(h.e.baseline[h.e.cellOf(i)]) / rule.Scale }

// contribOf is agent i's contribution to the named column, in points.
func (h *harness) contribOf(i int, name string) float64 {
	k := slices.Index(h.e.ContribNames(), name)
	if k < 0 {
		h.t.Fatalf("no contribution column %q in %v", name, h.e.ContribNames())
	}
	return float64(h.e.contrib[i*h.e.nContrib+k]) / rule.Scale
}

// A boost of 4 on a rate of 1/4 makes the privileged act every day, from
// the day after the privilege is decided; the others keep drawing 1/4.
func TestPrivilegeBoostsRate(t *testing.T) {
	h := privHarness(t, world{behaviours: `  - {name: act, channel: always, context: commerce, rate: 0.25}`,
		rules: `    - {name: r_act, on: act, amount: 0}`},
		`  - {name: fast, when: group == "x", context: administration, boosts: [{behaviour: act, times: 4}]}`, 4000, 2)
	h.step(6)
	var nx, ny int64
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 0 {
			nx++
		} else {
			ny++
		}
	}
	for d, day := range h.days {
		var ax, ay, px int64
		for _, c := range day.Cells {
			if c.Group == 0 {
				ax += c.Attempted[0]
				px += c.Privilege[0]
			} else {
				ay += c.Attempted[0]
			}
		}
		if px != nx {
			t.Errorf("day %d: %d agents privileged, want the %d of group x", d+1, px, nx)
		}
		if d == 0 {
			checkBinomial(t, "day 1 (no privilege yet), group x", ax, nx, 0.25)
		} else if ax != nx {
			t.Errorf("day %d: group x acted %d times, want every one of %d (rate 0.25 x 4 = 1)", d+1, ax, nx)
		}
		checkBinomial(t, "group y", ay, ny, 0.25)
	}
	for i := 0; i < h.pop.N; i++ {
		want := int32(0)
		if h.pop.Group[i] == 0 {
			want = 6
		}
		if got := h.e.privDays[i]; got != want {
			t.Fatalf("agent %d: %d days privileged, want %d", i, got, want)
		}
	}
}

// A waived charge is booked to the rule and given back by the privilege:
// the score does not move, the ledger shows both.
func TestPrivilegeWaivesCharge(t *testing.T) {
	h := privHarness(t, world{},
		`  - {name: exempt, when: group == "x", context: finance, waives: [r_act]}`, 1000, 2)
	h.step(3) // day 1 charged for everyone; days 2 and 3 waived for x
	for i := 0; i < h.pop.N; i++ {
		want, rule, back := h.base(i)-15, -15.0, 0.0
		if h.pop.Group[i] == 0 {
			want, back = h.base(i)-5, 10
		}
		if got := h.score(i); got != want {
			t.Fatalf("agent %d: score %v, want %v", i, got, want)
		}
		if got := h.contribOf(i, "r_act"); got != rule {
			t.Fatalf("agent %d: r_act booked %v, want %v", i, got, rule)
		}
		if got := h.contribOf(i, "exempt"); got != back {
			t.Fatalf("agent %d: exempt gave back %v, want %v", i, got, back)
		}
	}
	h.checkAdditive()
	// the ledger of the last day: r_act -5 for everyone, exempt +5 for x
	_, ledger, err := h.e.Step()
	if err != nil {
		t.Fatal(err)
	}
	col := int16(slices.Index(h.e.ContribNames(), "exempt"))
	var back, charged int
	for _, l := range ledger {
		switch {
		case l.Rule == col && l.Delta == 5*rule.Scale:
			back++
		case l.Rule == 0 && l.Delta == -5*rule.Scale:
			charged++
		default:
			t.Fatalf("unexpected ledger entry %+v", l)
		}
	}
	nx := 0
	for i := 0; i < h.pop.N; i++ {
		nx += b2i(h.pop.Group[i] == 0)
	}
	if back != nx || charged != h.pop.N {
		t.Errorf("ledger: %d give-backs, %d charges; want %d and %d", back, charged, nx, h.pop.N)
	}
}

// A lifted sanction still holds (it is counted) but does not block.
func TestPrivilegeLiftsBlock(t *testing.T) {
	h := privHarness(t, world{
		behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}
  - {name: travel, channel: always, context: travel, rate: 1}`,
		sanctions: `
  - {name: ban, when: group == "y", context: travel, blocks: [travel]}`},
		`  - {name: pass, when: party_member, context: travel, lifts: [ban]}`, 2000, 2)
	h.step(3)
	var want, sanctioned int64
	for i := 0; i < h.pop.N; i++ {
		if h.pop.Group[i] == 1 {
			sanctioned++
			if h.pop.Traits[i]&1 == 0 {
				want++
			}
		}
	}
	var blocked, held int64
	for _, c := range h.days[2].Cells {
		blocked += c.Blocked[1]
		held += c.Sanction[0]
	}
	if blocked != want || held != sanctioned || want == 0 || want == sanctioned {
		t.Errorf("blocked %d trips, %d sanctioned; want %d blocked (y without party membership), %d sanctioned", blocked, held, want, sanctioned)
	}
}

// A periodic rule every 3 days comes round every day for the privileged,
// from the day after the privilege is first decided.
func TestPrivilegeSoonerPeriod(t *testing.T) {
	h := privHarness(t, world{behaviours: `  - {name: act, channel: always, context: commerce, rate: 0}`,
		rules: `    - {name: tick, every: 3, amount: 1}`},
		`  - {name: often, when: group == "x", context: commerce, sooner: [{rule: tick, every: 1}]}`, 200, 2)
	h.step(7) // days 0..6: due on 0, 3, 6; privileged from day 1
	for i := 0; i < h.pop.N; i++ {
		want := 3.0
		if h.pop.Group[i] == 0 {
			want = 7
		}
		if got := h.score(i) - h.base(i); got != want {
			t.Fatalf("agent %d (group %d): tick fired %v times, want %v", i, h.pop.Group[i], got, want)
		}
	}
}

// Household privileges go to the partner of whoever earns them; a
// condition on the partner's state makes a privilege that follows from
// someone else.
func TestPrivilegeTargets(t *testing.T) {
	w := world{population: `  regions: [{name: north, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: party_member, p: 0.3}]
  households: {partnered: 0.6}`}
	h := privHarness(t, w, `  - {name: family, when: party_member, target: household, context: finance, waives: [r_act]}
  - {name: spouse, when: partner.score >= 950, context: finance, boosts: [{behaviour: act, times: 0}]}`, 3000, 2)
	h.step(3)
	party := func(i int32) bool { return h.pop.Traits[i]&1 != 0 }
	var nFamily, nSpouse int64
	for i := 0; i < h.pop.N; i++ {
		p := h.pop.Partner[i]
		family := party(int32(i)) || (p >= 0 && party(p))
		// spouse: partner of group x (baseline 1000, at most 15 lost)
		spouse := p >= 0 && h.pop.Group[p] == 0
		if family {
			nFamily++
		}
		if spouse {
			nSpouse++
		}
		// Day 1: everyone acts and pays 5. Days 2, 3: spouses don't act
		// (rate x 0); the family has the charge waived.
		want := h.base(i) - 5
		if !spouse && !family {
			want -= 10
		}
		if got := h.score(i); got != want {
			t.Fatalf("agent %d (party %v, partner %d, family %v, spouse %v): score %v, want %v", i, party(int32(i)), p, family, spouse, got, want)
		} // through others: privileged, but not by one's own party card
		others := int32(0)
		if (family || spouse) && !party(int32(i)) {
			others = 3
		}
		if got := h.e.othersDays[i]; got != others {
			t.Fatalf("agent %d: %d days privileged through others, want %d", i, got, others)
		}
	}
	var gotFamily, gotSpouse int64
	for _, c := range h.days[2].Cells {
		gotFamily += c.Privilege[0]
		gotSpouse += c.Privilege[1]
	}
	if gotFamily != nFamily || gotSpouse != nSpouse {
		t.Errorf("privileged: family %d, spouse %d; want %d and %d", gotFamily, gotSpouse, nFamily, nSpouse)
	}
	h.checkAdditive()
}

// Outside the regime (a phase that has not started) no one is privileged.
func TestPrivilegesNeedTheRegime(t *testing.T) {
	h := privHarness(t, world{phases: `[{name: late, day: 2, regions: [north]}]`},
		`  - {name: exempt, when: "true", context: finance, waives: [r_act]}`, 1000, 2)
	h.step(4)
	for d, day := range h.days {
		for _, c := range day.Cells {
			on := d >= 2 && c.Region == 0 // decided at the end of day 3 (day value 2)
			if got := c.Privilege[0]; (got == c.Agents) != on || (!on && got != 0) {
				t.Errorf("day %d region %d: %d of %d privileged, regime on %v", d+1, c.Region, got, c.Agents, on)
			}
		}
	}
}

// Results do not depend on the number of workers, with every effect on.
func TestPrivilegesDeterministicAcrossWorkers(t *testing.T) {
	w := world{
		population: `  regions:
    - {name: north, share: 0.5, groups: {x: 0.5, y: 0.5}}
    - {name: south, share: 0.5, groups: {x: 0.3, y: 0.7}}
  traits: [{name: party_member, p: 0.3}]
  households: {partnered: 0.5}`,
		network:       `{model: watts-strogatz, degree: 6}`,
		relationships: `{form_rate: 0.05, break_rate: 0.01}`,
		behaviours: `  - {name: act, channel: cams, context: commerce, rate: 0.2, penalised: true, chill: {peers: 0.5}}
  - {name: travel, channel: always, context: travel, rate: "group == 'x' ? 0.3 : 0.1"}`,
		rules: `    - {name: r_act, on: act, amount: -20}
    - {name: tick, every: 5, amount: 3}
    - {name: drag, every: 1, when: partner.score < score, amount: -1}`,
		sanctions: `
  - {name: ban, when: score < 900, context: travel, blocks: [travel]}`,
	}
	privs := `  - {name: red_list, when: score >= 950, target: household, context: administration, boosts: [{behaviour: travel, times: 2}], lifts: [ban]}
  - {name: exempt, when: party_member || partner.score > 1000, context: finance, waives: [r_act, drag], sooner: [{rule: tick, every: 2}]}
`
	run := func(workers int) *harness {
		h := privHarness(t, w, privs, 3*ChunkSize+123, workers)
		h.step(30)
		return h
	}
	a, b := run(1), run(3)
	if !slices.Equal(a.e.score, b.e.score) || !slices.Equal(a.e.contrib, b.e.contrib) || !slices.Equal(a.e.privDays, b.e.privDays) {
		t.Fatal("scores, contributions or privilege days differ between 1 and 3 workers")
	}
	for d := range a.days {
		for c := range a.days[d].Cells {
			x, y := a.days[d].Cells[c], b.days[d].Cells[c]
			if !slices.Equal(x.Privilege, y.Privilege) || !slices.Equal(x.Attempted, y.Attempted) || !slices.Equal(x.Blocked, y.Blocked) {
				t.Fatalf("day %d cell %d differs between worker counts", d+1, c)
			}
		}
	}
	var held int64
	for _, c := range a.days[len(a.days)-1].Cells {
		held += c.Privilege[0] + c.Privilege[1]
	}
	if held == 0 {
		t.Fatal("no one privileged: the test checks nothing")
	}
	a.checkAdditive()
}

// A snapshot keeps the privileges: a run resumed halfway ends where an
// unbroken one does.
func TestPrivilegesSurviveSnapshot(t *testing.T) {
	w := world{rules: `    - {name: r_act, on: act, amount: -5}
    - {name: tick, every: 4, amount: 2}`}
	privs := `  - {name: exempt, when: score >= 990, context: finance, waives: [r_act], sooner: [{rule: tick, every: 2}]}
`
	whole := privHarness(t, w, privs, 2000, 2)
	whole.step(10)
	half := privHarness(t, w, privs, 2000, 2)
	half.step(5)
	var buf bytes.Buffer
	if err := half.e.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	resumed := privHarness(t, w, privs, 2000, 1)
	if err := resumed.e.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	resumed.step(5)
	if !slices.Equal(whole.e.score, resumed.e.score) || !slices.Equal(whole.e.privDays, resumed.e.privDays) ||
		!slices.Equal(whole.e.contrib, resumed.e.contrib) || !slices.Equal(whole.e.priv, resumed.e.priv) {
		t.Fatal("a resumed run differs from an unbroken one")
	}
	if slices.Max(whole.e.privDays) == 0 {
		t.Fatal("no one privileged: the test checks nothing")
	}
}

// PrivilegeBytesPerAgent, which the memory guard adds up, is what an
// engine with privileges allocates for them: its per-agent arrays and one
// contribution column per privilege that waives charges.
func TestPrivilegeBytesPerAgent(t *testing.T) {
	const n = 1000
	without := privHarness(t, world{}, `  - {name: fast, when: group == "x", context: admin, boosts: [{behaviour: act, times: 2}]}`, n, 1)
	h := privHarness(t, world{},
		`  - {name: exempt, when: group == "x", context: finance, waives: [r_act]}
  - {name: fast, when: group == "x", context: admin, boosts: [{behaviour: act, times: 2}]}`, n, 1)
	got := 4 * uint64(len(h.e.priv)+len(h.e.privDays)+len(h.e.othersDays))
	got += 4 * uint64(n*(h.e.nContrib-without.e.nContrib)) // exempt's column
	if want := PrivilegeBytesPerAgent(h.sc.Privileges) * n; got != want {
		t.Errorf("privileges allocate %d bytes for %d agents, PrivilegeBytesPerAgent says %d", got, n, want)
	}
	if PrivilegeBytesPerAgent(nil) != 0 {
		t.Error("bytes for no privileges")
	}
}
