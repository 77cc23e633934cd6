package sim

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// aggScenario lists the lowest-scoring 1% of each district, pulls scores
// toward their group's mean every other day and adds the share of low
// scorers in the district; starting scores are drawn from a table.
const aggScenario = `name: agg
run: {agents: 20000, days: 6, seed: 3, ledger: none}
population:
  regions:
    - {name: d1, share: 0.3, groups: {a: 0.5, b: 0.5}}
    - {name: d2, share: 0.3, groups: {a: 0.2, b: 0.8}}
    - {name: d3, share: 0.4, groups: {a: 0.9, b: 0.1}}
  households: {partnered: 0.5}
network: {model: none}
surveillance: {channels: [{name: always, detect: 1}]}
behaviours: [{name: act, channel: always, context: commerce, rate: 0.3, penalised: true}]
tables:
  - name: start
    points: [[0, 0], [20, 5], [60, 80], [100, 100]]
scoring:
  range: [0, 1000]
  initial: [{from: 'draw(start) * 5 + (group == "a" ? 100 : 0)'}]
  rules:
    - {name: act_pen, on: act, amount: -3}
    - {name: listed, every: 1, when: 'score <= pop.quantile(score, 0.01, region)', set_flags: [listed]}
    - {name: pull, every: 2, amount: '0.1 * (pop.mean(score, group) - score)'}
    - {name: low, every: 1, amount: 'pop.share(score < 300, region) * 10 - pop.quantile(score, 0.5) / 100'}
tiers:
  levels: [{name: high, min: 400}, {name: low}]
`

func aggEngine(t *testing.T, workers int) (*Engine, *scenario.Program) {
	t.Helper()
	sc, err := scenario.Load("agg.yaml", []byte(aggScenario), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, sc.Run.Agents, sc.Run.Seed)
	return New(sc, prog, pop, sc.Run.Days, sc.Run.Seed, Options{Workers: workers}), prog
}

// The aggregates the engine computes equal a direct computation from the
// start-of-day scores (quantiles by gonum), and the rank-based rule lists
// exactly the agents at or below their district's 1% quantile.
func TestAggregatesMatchDirect(t *testing.T) {
	e, prog := aggEngine(t, 2)
	if len(prog.Pop.List) != 4 {
		t.Fatalf("%d aggregates, want 4", len(prog.Pop.List))
	}
	listedBit := uint32(1) // the only flag
	listedSeen := 0
	for d := range 6 {
		start := make([]float64, e.n)
		for i, s := range e.score {
			start[i] = float64(s) / rule.Scale
		}
		flagsBefore := slices.Clone(e.flags)
		if _, _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
		by := func(col []uint8, m int) [][]float64 {
			out := make([][]float64, m)
			for i, x := range start {
				out[col[i]] = append(out[col[i]], x)
			}
			return out
		}
		for _, a := range prog.Pop.List {
			got := e.popVals[a.Slot : a.Slot+a.Len]
			if a.Src == "pop.mean(score, group)" && d%2 != 0 {
				continue // pull runs every other day: not computed today
			}
			var parts [][]float64
			switch a.By {
			case "":
				parts = [][]float64{start}
			case "group":
				parts = by(e.pop.Group, a.Len)
			case "region":
				parts = by(e.pop.Region, a.Len)
			}
			for c, xs := range parts {
				var want float64
				switch a.Kind {
				case rule.AggQuantile:
					s := slices.Clone(xs)
					slices.Sort(s)
					want = stat.Quantile(a.Q, stat.Empirical, s, nil)
				case rule.AggMean:
					want = stat.Mean(xs, nil)
				case rule.AggShare:
					k := 0
					for _, x := range xs {
						if x < 300 {
							k++
						}
					}
					want = float64(k) / float64(len(xs))
				}
				if math.Abs(got[c]-want) > 1e-9*math.Max(1, math.Abs(want)) || (a.Kind != rule.AggMean && got[c] != want) {
					t.Errorf("day %d: %s category %d = %v, direct %v", d, a.Src, c, got[c], want)
				}
			}
		}
		// The rank-based list: "the lowest-scoring 1% of each district".
		q := make([]float64, 3)
		for r, xs := range by(e.pop.Region, 3) {
			slices.Sort(xs)
			q[r] = xs[int(math.Ceil(0.01*float64(len(xs))))-1]
		}
		for i := range e.n {
			was, is := flagsBefore[i]&listedBit != 0, e.flags[i]&listedBit != 0
			want := was || start[i] <= q[e.pop.Region[i]]
			if is != want {
				t.Fatalf("day %d agent %d (score %v, district %d, quantile %v): listed %v, want %v", d, i, start[i], e.pop.Region[i], q[e.pop.Region[i]], is, want)
			}
			if is && !was {
				listedSeen++
			}
		}
	}
	if listedSeen < 200 {
		t.Errorf("only %d agents listed over 6 days", listedSeen)
	}
}

// Starting scores drawn per agent are what the from expression gives, and
// the audit's baseline is that score.
func TestStartingScoresFromExpression(t *testing.T) {
	e, prog := aggEngine(t, 1)
	v := e.view(false)
	distinct := map[int32]bool{}
	for i := range e.n {
		x := prog.Initial[0].Fn(v, int32(i))
		want := toFixed(min(max(x, 0), 1000))
		if e.score[i] != want || e.Final().BaselineAt(i) != want {
			t.Fatalf("agent %d starts at %d (baseline %d), want %d", i, e.score[i], e.Final().BaselineAt(i), want)
		}
		distinct[want] = true
	}
	if len(distinct) < e.n/2 {
		t.Errorf("%d distinct starting scores among %d agents", len(distinct), e.n)
	}
}

// One worker or four: the same days, scores and flags, byte for byte.
func TestAggregatesDeterministicAcrossWorkers(t *testing.T) {
	run := func(workers int) []byte {
		e, _ := aggEngine(t, workers)
		var out []byte
		for range 6 {
			day, _, err := e.Step()
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(day)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		b, _ := json.Marshal([]any{e.score, e.flags, e.popVals})
		return append(out, b...)
	}
	one, four := run(1), run(4)
	if string(one) != string(four) {
		t.Fatal("1 and 4 workers differ")
	}
}

// BenchmarkAggregates measures one day's computation of each aggregate of
// aggScenario, per agent.
func BenchmarkAggregates(b *testing.B) {
	t := &testing.T{}
	e, prog := aggEngine(t, 1)
	e.popX, e.popB, e.popIdx = make([]float64, e.n), make([]bool, e.n), make([]int32, ChunkSize)
	v := e.viewIn(&e.views[0], false)
	for _, a := range prog.Pop.List {
		b.Run(a.Src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.aggregate(v, a, e.popVals[a.Slot:a.Slot+a.Len])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(e.n), "ns/agent")
		})
	}
}

// selectK finds the order statistic a sort finds, on data with and
// without ties, at every rank of small slices and at random ranks of
// large ones.
func TestSelectK(t *testing.T) {
	s := rng.NewStream(3)
	for _, n := range []int{1, 2, 5, 17, 100, 1000, 50000} {
		for _, distinct := range []uint64{2, 10, 1 << 40} {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(s.Below(distinct))
			}
			sorted := slices.Clone(xs)
			slices.Sort(sorted)
			ranks := []int{0, n - 1, n / 2}
			if n <= 100 {
				ranks = ranks[:0]
				for k := range n {
					ranks = append(ranks, k)
				}
			}
			for range 20 {
				ranks = append(ranks, int(s.Below(uint64(n))))
			}
			for _, k := range ranks {
				if got := selectK(slices.Clone(xs), k); got != sorted[k] {
					t.Fatalf("n=%d distinct=%d k=%d: got %v, want %v", n, distinct, k, got, sorted[k])
				}
			}
		}
	}
}
