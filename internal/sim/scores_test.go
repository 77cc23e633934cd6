package sim

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// scoresHarness is newHarness for a world with an extra score, sesame
// (0 to 100, starting at 60 for group x and 40 for y), and extra sections.
func scoresHarness(t *testing.T, w world, extra string, agents, workers int) *harness {
	t.Helper()
	src := w.yaml() + `scores:
  - name: sesame
    range: [0, 100]
    initial: [{group: x, score: 60}, {score: 40}]
` + extra
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

// checkScoresAdditive asserts, for each score apart, starting value +
// the contributions of the columns that move it = its value.
func (h *harness) checkScoresAdditive() {
	h.t.Helper()
	e := h.e
	names := e.ContribNames()
	of := make([]int, e.nContrib) // the score each column moves, -1 the main one
	for k := range of {
		of[k] = -1
		if r := slices.IndexFunc(h.sc.Scoring.Rules, func(r scenario.Rule) bool { return r.Name == names[k] }); r >= 0 {
			of[k] = h.sc.RuleScore(r)
		}
		for x := range h.sc.Scores {
			if names[k] == h.sc.ClampName(x) {
				of[k] = x
			}
		}
	}
	for i := 0; i < e.n; i++ {
		sum := make([]int64, 1+e.nx)
		sum[0] = int64(e.baseline[e.cellOf(i)])
		for x := range e.nx {
			sum[1+x] = int64(e.xBase[x][i])
		}
		for k := range e.nContrib {
			sum[1+of[k]] += int64(e.contrib[i*e.nContrib+k])
		}
		if sum[0] != int64(e.score[i]) {
			h.t.Fatalf("agent %d: baseline + main contributions = %d, score = %d", i, sum[0], e.score[i])
		}
		for x := range e.nx {
			if sum[1+x] != int64(e.xs[x][i]) {
				h.t.Fatalf("agent %d: %s's start + contributions = %d, value = %d", i, h.sc.Scores[x].Name, sum[1+x], e.xs[x][i])
			}
		}
	}
}

// Rules with score: move the extra score only, its clamp is its own, the
// main score's rules and conditions can read it, and the daily table's sums
// are the agents' values.
func TestExtraScoreRules(t *testing.T) {
	w := world{
		rules: `    - {name: r_act, on: act, amount: -5}
    - {name: s_act, on: act, amount: 5, score: sesame}
    - {name: s_tick, every: 2, amount: -1, score: sesame}
    - {name: reward, every: 1, when: sesame >= 70, amount: 7}`,
		sanctions: `
  - {name: refused, when: sesame < 45, context: commerce}`,
	}
	h := scoresHarness(t, w, "", 1000, 2)
	h.step(10)
	for i := 0; i < h.pop.N; i++ {
		if c := h.contribOf(i, "r_act"); c != -50 {
			t.Fatalf("agent %d: r_act %g, want -50", i, c)
		}
		if h.contribOf(i, "s_act") != 50 || h.contribOf(i, "s_tick") != -5 {
			t.Fatalf("agent %d: s_act %g, s_tick %g, want 50 and -5", i, h.contribOf(i, "s_act"), h.contribOf(i, "s_tick"))
		}
	}
	h.checkScoresAdditive()
	// sesame, day by day from the start (60 or 40): +5 each day (act has
	// rate 1), -1 on the even days (0, 2, ...), clamped at 100 once a
	// day; the main score's reward reads the start-of-day value.
	for i := 0; i < h.pop.N; i++ {
		s, want, clamp := 60, 0, 0
		if h.pop.Group[i] == 1 {
			s = 40
		}
		for d := 0; d < 10; d++ {
			if s >= 70 {
				want += 7
			}
			s += 5
			if d%2 == 0 {
				s--
			}
			if s > 100 {
				clamp += 100 - s
				s = 100
			}
		}
		if got := float64(h.e.xs[0][i]) / 1000; got != float64(s) {
			t.Fatalf("agent %d (group %d): sesame %g, want %d", i, h.pop.Group[i], got, s)
		}
		if got := h.contribOf(i, "reward"); got != float64(want) {
			t.Fatalf("agent %d: reward %g, want %d", i, got, want)
		}
		if got := h.contribOf(i, "clamp_sesame"); got != float64(clamp) || h.contribOf(i, "clamp") != 0 {
			t.Fatalf("agent %d: clamp_sesame %g (want %d), clamp %g (want 0)", i, got, clamp, h.contribOf(i, "clamp"))
		}
	}
	var sum, want int64
	for _, c := range h.days[len(h.days)-1].Cells {
		sum += c.Scores[0]
	}
	for i := range h.pop.N {
		want += int64(h.e.xs[0][i])
	}
	if sum != want {
		t.Fatalf("daily sums of sesame %d, agents' %d", sum, want)
	}
	// refused: sesame < 45 at the end of day 1 is group y's 40+3-1 = 42
	first := h.days[0]
	var refused, ys int64
	for _, c := range first.Cells {
		refused += c.Sanction[0]
		if c.Group == 1 {
			ys += c.Agents
		}
	}
	if refused != ys {
		t.Fatalf("day 1: %d refused, want every one of group y (%d)", refused, ys)
	}
}

// An extra score read of partners and acquaintances is double-buffered:
// results do not depend on the number of workers, and a snapshot keeps it.
func TestExtraScoreDeterministicAndSnapshot(t *testing.T) {
	w := world{
		population: `  regions:
    - {name: north, share: 0.5, groups: {x: 0.5, y: 0.5}}
    - {name: south, share: 0.5, groups: {x: 0.3, y: 0.7}}
  traits: [{name: party_member, p: 0.3}]
  households: {partnered: 0.5}`,
		network:       `{model: watts-strogatz, degree: 6}`,
		relationships: `{form_rate: 0.05, break_rate: 0.01}`,
		behaviours:    `  - {name: act, channel: cams, context: commerce, rate: 0.2, penalised: true}`,
		rules: `    - {name: r_act, on: act, amount: -20}
    - {name: s_act, on: act, amount: -4, score: sesame}
    - {name: friends, every: 3, amount: "10 * (acq.share(sesame >= 55) - acq.share(sesame < 45))", score: sesame}
    - {name: partner_pull, every: 1, when: partner.sesame > sesame, amount: 1, score: sesame}
    - {name: state_reward, every: 5, when: sesame >= 60, amount: 15}`,
		sanctions: `
  - {name: refused, when: sesame < 40 || tier == "low", context: commerce}`,
	}
	run := func(workers int) *harness {
		h := scoresHarness(t, w, "", 3*ChunkSize+123, workers)
		h.step(20)
		return h
	}
	a, b := run(1), run(3)
	if !slices.Equal(a.e.xs[0], b.e.xs[0]) || !slices.Equal(a.e.score, b.e.score) || !slices.Equal(a.e.contrib, b.e.contrib) {
		t.Fatal("scores or contributions differ between 1 and 3 workers")
	}
	for d := range a.days {
		for c := range a.days[d].Cells {
			if !slices.Equal(a.days[d].Cells[c].Scores, b.days[d].Cells[c].Scores) {
				t.Fatalf("day %d cell %d: sesame sums differ between worker counts", d+1, c)
			}
		}
	}
	if slices.Min(a.e.xs[0]) == slices.Max(a.e.xs[0]) {
		t.Fatal("sesame did not move: the test checks nothing")
	}
	a.checkScoresAdditive()

	half := scoresHarness(t, w, "", 3*ChunkSize+123, 2)
	half.step(10)
	var buf bytes.Buffer
	if err := half.e.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	resumed := scoresHarness(t, w, "", 3*ChunkSize+123, 1)
	if err := resumed.e.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	resumed.step(10)
	if !slices.Equal(a.e.xs[0], resumed.e.xs[0]) || !slices.Equal(a.e.contrib, resumed.e.contrib) {
		t.Fatal("a resumed run's sesame differs from an unbroken one")
	}
}

// A rule on an institution's event can move an extra score: the lender
// refuses every y agent on day 1 (see TestInstitutionMaxUtilityByHand),
// and turned_down, now on the platform score, costs them a platform
// point and no main point.
func TestExtraScoreOnInstitutionEvent(t *testing.T) {
	src := strings.Replace(lendYAML(4000, "    policy: max-utility\n    gain: 1\n    loss: 1\n"),
		`amount: -1}`, `amount: -1, score: platform}`, 1) + `scores:
  - {name: platform, range: [0, 100], initial: [{score: 50}]}
`
	sc, err := scenario.Load("lend.yaml", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, 4000, sc.Run.Seed)
	e := New(sc, prog, pop, sc.Run.Days, sc.Run.Seed, Options{Workers: 2})
	if _, _, err := e.Step(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pop.N; i++ {
		wantP, wantS := int32(50_000), e.score[i] // x: approved, so no turned_down
		if pop.Group[i] == 1 {
			wantP, wantS = 49_000, 900_000 // refused: a platform point, the main score untouched
		}
		if e.xs[0][i] != wantP || e.score[i] != wantS {
			t.Fatalf("agent %d (group %d): platform %d, score %d; want %d and %d", i, pop.Group[i], e.xs[0][i], e.score[i], wantP, wantS)
		}
	}
}

// A rule on: partnered with score: moves that score, not the main one,
// like every other rule (pass 1 books them all through Engine.book).
func TestPartneredRuleMovesItsScore(t *testing.T) {
	w := partneredWorld
	w.rules = `    - {name: welcome, on: partnered, amount: 1, score: sesame}`
	h := scoresHarness(t, w, "", 2000, 2)
	start := slices.Clone(h.e.score)
	h.step(12)
	welcomed := 0.0
	for i := 0; i < h.pop.N; i++ {
		welcomed += h.contribOf(i, "welcome")
		if h.e.score[i] != start[i] {
			t.Fatalf("agent %d: the main score moved from %d to %d", i, start[i], h.e.score[i])
		}
	}
	if welcomed == 0 {
		t.Fatal("no partnership formed in 12 days")
	}
	h.checkScoresAdditive()
}
