package sim

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// lendYAML is a lender over two groups and two regions. The lender ranks by
// score + 50 in the north and believes p = (that - 800) / 400: group x
// (score 1000) has p 0.625 in the north and 0.5 in the south, group y
// (score 900) 0.375 and 0.25. The policy and its parameters are spliced in.
func lendYAML(agents int, policy string) string {
	return `name: lend
run: {agents: ` + itoa(agents) + `, days: 10, seed: 5, ledger: all}
population:
  regions:
    - {name: north, share: 0.5, groups: {x: 0.5, y: 0.5}}
    - {name: south, share: 0.5, groups: {x: 0.5, y: 0.5}}
network: {model: none}
surveillance:
  channels: [{name: always, detect: 1}]
behaviours:
  - {name: act, channel: always, context: commerce, rate: 0}
scoring:
  range: [300, 2000]
  initial: [{group: x, score: 1000}, {group: y, score: 900}]
  rules:
    - {name: repaid, on: lender.success, amount: 75}
    - {name: defaulted, on: lender.failure, amount: -150}
    - {name: turned_down, on: lender.refused, when: 'group == "y"', amount: -1}
tiers:
  levels: [{name: high, min: 950}, {name: low}]
institutions:
  - name: lender
    every: 2
    score: 'score + (region == "north" ? 50 : 0)'
    believes: 'clamp((score + (region == "north" ? 50 : 0) - 800) / 400, 0, 1)'
` + policy
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

func newLender(t *testing.T, agents, workers int, policy string) (*Engine, *population.Population) {
	t.Helper()
	src := lendYAML(agents, policy)
	sc, err := scenario.Load("lend.yaml", []byte(src), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, agents, sc.Run.Seed)
	return New(sc, prog, pop, sc.Run.Days, sc.Run.Seed, Options{Workers: workers, Ledger: scenario.Ledger{All: true, Fraction: 1}}), pop
}

// counts of agents per (group, region) cell: [x north, x south, y north, y south]
func cellCounts(pop *population.Population) [4]int64 {
	var n [4]int64
	for i := 0; i < pop.N; i++ {
		n[2*int(pop.Group[i])+int(pop.Region[i])]++
	}
	return n
}

// TestInstitutionMaxUtilityByHand: with gain 1 and loss 1 a level is worth
// approving when 2p - 1 > 0. For x only the north (p 0.625) is: the south's
// 0.5 is worth exactly 0 and is left out; for y neither level is. So x's
// threshold is 1050 with boundary 1 and y approves nobody (threshold its
// top value 950, boundary 0). Every approved agent then gains 75 or loses
// 150, a refused y agent loses 1, and nobody else changes.
func TestInstitutionMaxUtilityByHand(t *testing.T) {
	e, pop := newLender(t, 4000, 2, "    policy: max-utility\n    gain: 1\n    loss: 1\n")
	n := cellCounts(pop)
	d, ledger, err := e.Step()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Decisions) != 2 {
		t.Fatalf("%d decisions on day 1, want 2", len(d.Decisions))
	}
	wantX := daily.Decision{Institution: 0, Category: 0, Threshold: 1050, Boundary: 1,
		SelectionRate: float64(n[0]) / float64(n[0]+n[1]), TPR: 0.625 * float64(n[0]) / (0.625*float64(n[0]) + 0.5*float64(n[1])),
		ExpectedSuccesses: 0.625 * float64(n[0]), ExpectedFailures: 0.375 * float64(n[0]), ExpectedUtility: 0.25 * float64(n[0]),
		Applicants: n[0] + n[1], Approved: n[0]}
	got := d.Decisions[0]
	wantX.Successes, wantX.Utility = got.Successes, float64(got.Successes)-float64(n[0]-got.Successes)
	if !decisionNear(got, wantX) {
		t.Errorf("group x: got %+v\nwant %+v", got, wantX)
	}
	wantY := daily.Decision{Institution: 0, Category: 1, Threshold: 950, Boundary: 0, Applicants: n[2] + n[3]}
	if !decisionNear(d.Decisions[1], wantY) {
		t.Errorf("group y: got %+v\nwant %+v", d.Decisions[1], wantY)
	}
	checkBinomial(t, "x north successes", got.Successes, n[0], 0.625)
	// Per agent: the outcome is in the score, and in the ledger.
	var succ, fail, refused int64
	for i := 0; i < pop.N; i++ {
		s := float64(e.score[i]) / 1000
		switch g, r := pop.Group[i], pop.Region[i]; {
		case g == 0 && r == 0 && s == 1075:
			succ++
		case g == 0 && r == 0 && s == 850:
			fail++
		case g == 0 && r == 1 && s == 1000:
		case g == 1 && s == 899:
			refused++
		default:
			t.Fatalf("agent %d (group %d region %d) has score %v", i, g, r, s)
		}
	}
	if succ != got.Successes || fail != n[0]-got.Successes || refused != n[2]+n[3] {
		t.Errorf("scores show %d successes, %d failures, %d refused y; decisions say %d, %d, %d", succ, fail, refused, got.Successes, n[0]-got.Successes, n[2]+n[3])
	}
	if int64(len(ledger)) != n[0]+n[2]+n[3] {
		t.Errorf("%d ledger entries, want one per approved x and refused y (%d)", len(ledger), n[0]+n[2]+n[3])
	}
	h := &harness{t: t, e: e}
	h.checkAdditive()
	// Day 2 is no decision day (every: 2); day 3 is.
	for day := 2; day <= 3; day++ {
		d, _, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 * (day % 2); len(d.Decisions) != want {
			t.Errorf("day %d: %d decisions, want %d", day, len(d.Decisions), want)
		}
	}
	for i := 0; i < pop.N; i++ {
		if pop.Group[i] == 0 && pop.Region[i] == 0 && e.instApproved[i] < 1 {
			t.Fatalf("agent %d in x north: %d approvals, want at least 1", i, e.instApproved[i])
		}
	}
}

func decisionNear(a, b daily.Decision) bool {
	f := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*(1+math.Abs(y)) }
	return a.Institution == b.Institution && a.Category == b.Category && f(a.Threshold, b.Threshold) && f(a.Boundary, b.Boundary) &&
		f(a.SelectionRate, b.SelectionRate) && f(a.TPR, b.TPR) && f(a.ExpectedSuccesses, b.ExpectedSuccesses) &&
		f(a.ExpectedFailures, b.ExpectedFailures) && f(a.ExpectedUtility, b.ExpectedUtility) &&
		a.Applicants == b.Applicants && a.Approved == b.Approved && a.Successes == b.Successes && f(a.Utility, b.Utility)
}

// TestInstitutionBoundaryDraw: fixed-rate 0.25 takes a quarter of each
// group from the top. x's top level (north, about half of x) is then taken
// with boundary probability 0.25 (x) / (x north), and the number approved
// is a binomial draw with that probability.
func TestInstitutionBoundaryDraw(t *testing.T) {
	e, pop := newLender(t, 20000, 2, "    policy: fixed-rate\n    rate: 0.25\n    gain: 1\n    loss: 1\n")
	n := cellCounts(pop)
	d, _, err := e.Step()
	if err != nil {
		t.Fatal(err)
	}
	for k, c := range [][2]int64{{n[0], n[1]}, {n[2], n[3]}} {
		dc := d.Decisions[k]
		top, want := []float64{1050, 950}[k], 0.25*float64(c[0]+c[1])/float64(c[0])
		if dc.Threshold != top || math.Abs(dc.Boundary-want) > 1e-12 || math.Abs(dc.SelectionRate-0.25) > 1e-12 {
			t.Errorf("group %d: threshold %v boundary %v rate %v, want %v, %v, 0.25", k, dc.Threshold, dc.Boundary, dc.SelectionRate, top, want)
		}
		checkBinomial(t, "approved at the boundary", dc.Approved, c[0], want)
	}
}

// TestInstitutionDeterministicAcrossWorkers: three chunks of agents, a
// decision every day for five days, 1 and 4 workers: the same decisions,
// counts, scores and per-agent approvals.
func TestInstitutionDeterministicAcrossWorkers(t *testing.T) {
	run := func(workers int) ([]*daily.Day, []int32, []uint16) {
		e, _ := newLender(t, 3*ChunkSize-100, workers, "    policy: equal-opportunity\n    gain: 2\n    loss: 1\n")
		e.insts[0].every = 1
		var days []*daily.Day
		for range 5 {
			d, _, err := e.Step()
			if err != nil {
				t.Fatal(err)
			}
			days = append(days, d.Clone())
		}
		return days, append([]int32(nil), e.score...), append([]uint16(nil), e.instApproved...)
	}
	d1, s1, a1 := run(1)
	d4, s4, a4 := run(4)
	if !reflect.DeepEqual(d1, d4) || !reflect.DeepEqual(s1, s4) || !reflect.DeepEqual(a1, a4) {
		t.Fatal("1 and 4 workers differ")
	}
	if len(d1[4].Decisions) != 2 || d1[4].Decisions[0].Approved == 0 {
		t.Fatalf("day 5 decisions %+v: the test decides nothing", d1[4].Decisions)
	}
}

// TestInstitutionRuntimeError: a believed probability outside [0, 1] stops
// the run, naming the day, the agent and the institution.
func TestInstitutionRuntimeError(t *testing.T) {
	src := strings.Replace(lendYAML(100, "    policy: max-utility\n    gain: 1\n    loss: 1\n"),
		"believes: 'clamp(", "believes: 'score / 900 + 0 * clamp(", 1)
	sc, err := scenario.Load("lend.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := sc.Compile()
	e := New(sc, prog, population.Generate(sc, 100, 1), 10, 1, Options{Workers: 2})
	_, _, err = e.Step()
	var re *RuntimeError
	if !errors.As(err, &re) || re.Day != 0 || re.Rule != "institution lender" || !strings.Contains(re.Msg, "believes is") {
		t.Fatalf("err = %v, want a RuntimeError naming institution lender's believes", err)
	}
}

// TestInstitutionSnapshot: the per-agent approvals travel in a snapshot,
// and a restored engine decides as the original does.
func TestInstitutionSnapshot(t *testing.T) {
	policy := "    policy: demographic-parity\n    gain: 2\n    loss: 1\n"
	a, _ := newLender(t, 3000, 2, policy)
	for range 3 {
		if _, _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b, _ := newLender(t, 3000, 2, policy)
	if err := b.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.instApproved, b.instApproved) || !slices.Equal(a.instSucceeded, b.instSucceeded) {
		t.Fatal("approvals differ after Restore")
	}
	stepAlike(t, a, b, 4)
	if !slices.Equal(a.instApproved, b.instApproved) {
		t.Fatal("approvals differ after four more days")
	}
}

// BenchmarkInstitutionDay is one day of 100,000 agents with a decision
// (decide) and without one (quiet): the decision's cost is the difference.
func BenchmarkInstitutionDay(b *testing.B) {
	for _, c := range []struct{ name, every string }{{"decide", "1"}, {"quiet", "0\n    first: 99999"}} {
		b.Run(c.name, func(b *testing.B) {
			src := strings.Replace(lendYAML(100_000, "    policy: equal-opportunity\n    gain: 2\n    loss: 1\n"), "every: 2", "every: "+c.every, 1)
			src = strings.Replace(src, "days: 10", "days: 100000", 1)
			sc, err := scenario.Load("lend.yaml", []byte(src), nil)
			if err != nil {
				b.Fatal(err)
			}
			prog, _ := sc.Compile()
			e := New(sc, prog, population.Generate(sc, 100_000, 1), 100_000, 1, Options{Workers: 2})
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.Step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A privilege that waives an institution's outcome rule gives the charge
// back, as it does for a behaviour's (both book through Engine.bookEvent):
// group x's defaults cost it nothing, group y's cost 150.
func TestInstitutionChargeWaived(t *testing.T) {
	e, pop := newLender(t, 2000, 2, `    first: 2
    policy: fixed-threshold
    threshold: 0
    gain: 1
    loss: 1
privileges:
  - {name: grace, when: 'group == "x"', context: credit, waives: [defaulted]}
`)
	for range 6 {
		if _, _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, e: e, pop: pop}
	var defaultsX, defaultsY float64
	for i := 0; i < pop.N; i++ {
		d, g := h.contribOf(i, "defaulted"), h.contribOf(i, "grace")
		if pop.Group[i] == 0 {
			defaultsX += d
			if g != -d {
				t.Fatalf("agent %d (x): defaulted %g, given back %g", i, d, g)
			}
		} else {
			defaultsY += d
			if g != 0 {
				t.Fatalf("agent %d (y): given back %g without the privilege", i, g)
			}
		}
	}
	if defaultsX == 0 || defaultsY == 0 {
		t.Fatalf("no defaults to waive: x %g, y %g", defaultsX, defaultsY)
	}
}
