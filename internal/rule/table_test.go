package rule

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// tableSchema is the test schema with three tables: a single curve, one
// per group (han has a curve, uyghur too), and one per region that lacks
// south; cdf is cumulative (percent) per group.
func tableSchema() *Schema {
	s := *schema
	s.Tables = []*Table{
		{Name: "line", X: []float64{0, 10, 20}, Y: [][]float64{{0, 100, 50}}},
		{Name: "ext", X: []float64{0, 10, 20}, Y: [][]float64{{0, 100, 50}}, Extrapolate: true},
		{Name: "repay", By: "group", X: []float64{300, 600, 850}, Y: [][]float64{{0.1, 0.5, 0.9}, {0.2, 0.4, 0.8}}},
		{Name: "north_only", By: "region", X: []float64{0, 1}, Y: [][]float64{{1, 2}, nil}},
		{Name: "cdf", By: "group", X: []float64{0, 50, 100}, Y: [][]float64{{10, 60, 100}, {0, 90, 100}}, Total: 100},
	}
	for _, t := range s.Tables {
		t.Prepare()
	}
	s.Pop = &Aggregates{}
	return &s
}

// Interpolation and the outside behaviours, against values worked by hand.
func TestTableValues(t *testing.T) {
	s := tableSchema()
	v := testView() // agent 0: score 1000, group han, region north; agent 1: 800.5, uyghur
	cases := []struct {
		src   string
		agent int32
		want  float64
	}{
		{"line(0)", 0, 0},
		{"line(2.5)", 0, 25},                // 0 + 0.25 x 100
		{"line(10)", 0, 100},                // a point
		{"line(15)", 0, 75},                 // halfway from 100 to 50
		{"line(-5)", 0, 0},                  // clamp: the first value
		{"line(25)", 0, 50},                 // clamp: the last value
		{"ext(-5)", 0, -50},                 // the first segment continued: slope 10
		{"ext(25)", 0, 25},                  // the last segment continued: slope -5
		{"repay(group, 450)", 0, 0.3},       // han: 0.1 + 0.5 x 0.4
		{"repay(group, 450)", 1, 0.3},       // uyghur: 0.2 + 0.5 x 0.2
		{"repay(group, 725)", 1, 0.6},       // uyghur: 0.4 + 0.5 x 0.4
		{"repay(group, score)", 1, 0.7208},  // uyghur at 800.5: 0.4 + 200.5/250 x 0.4
		{"repay(partner.group, 300)", 2, 0}, // no partner: 0, as partner.score
		{"repay(\"uyghur\", 600)", 0, 0.4},
		{"repay(partner.group, 300)", 0, 0.2}, // agent 0's partner is 1 (uyghur)
		{"north_only(\"north\", 0.5)", 2, 1.5},
		{"1 - repay(group, 850) / 2", 0, 0.55},
	}
	for _, c := range cases {
		n, err := CompileNum(c.src, s)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := n.Fn(v, c.agent); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s for agent %d: got %v, want %v", c.src, c.agent, got, c.want)
		}
		out := make([]float64, 3)
		n.Batch(v, []int32{0, 1, 2}, out, &Arena{})
		for i := range out {
			if want := n.Fn(v, int32(i)); out[i] != want {
				t.Errorf("%s: batch gives %v for agent %d, closure %v", c.src, out[i], i, want)
			}
		}
	}
	if n, _ := CompileNum("line(5) + 1", s); !n.Const || n.Value != 51 {
		t.Errorf("line(5) + 1 should fold to 51, got const=%v %v", n.Const, n.Value)
	}
}

func TestTableErrors(t *testing.T) {
	s := tableSchema()
	cases := []struct{ src, want string }{
		{"lnie(3)", `unknown function "lnie" (did you mean "line"?)`},
		{"line(1, 2)", "table line takes one number: line(x)"},
		{"repay(500)", "table repay is per group and takes two arguments: repay(group, x)"},
		{"repay(region, 500)", "its first argument must be a group name (e.g. group), got a region name"},
		{"repay(\"kazakh\", 500)", `unknown group "kazakh"`},
		{"north_only(region, 1)", "table north_only has no column for region south"},
		{"north_only(\"south\", 1)", `table north_only has no column for region "south"`},
		{"repay(group, tier)", "table repay takes a number, got a tier name"},
		{"draw(line)", "table line cannot be drawn from"},
		{"draw(cdf)", "table cdf is per group: draw(cdf, group)"},
		{"draw(nope, group)", `unknown table "nope"`},
		{"pop.mean(tier)", "pop.mean needs a number about an agent"},
		{"pop.share(score)", "pop.share needs a condition"},
		{"pop.quantile(score, 1.5)", "level must be in [0, 1]"},
		{"pop.quantile(score, score)", "level must be a constant number"},
		{"pop.mean(score, \"han\")", "last argument is the category"},
		{"pop.mean(score, partner.group)", "last argument is the category"},
		{"pop.mean(pop.mean(score))", "cannot be nested"},
		{"acq.mean(pop.mean(score))", "cannot be nested"},
		{"pop.median(score)", `unknown function pop.median`},
		{"pop.quantile(score)", "pop.quantile takes a number, a level"},
	}
	for _, c := range cases {
		_, err := CompileNum(c.src, s)
		if err == nil {
			t.Errorf("%q: no error, want %q", c.src, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %q, want it to contain %q", c.src, err.Error(), c.want)
		}
	}
	// Before day 0 there is no state to read, nor aggregates.
	s.NoState, s.Pop = true, nil
	for _, src := range []string{"score", "pop.mean(children)", "partner.score", "acq.count", "acq.mean(children)", "tier == \"average\" ? 1 : 0"} {
		if _, err := CompileNum(src, s); err == nil {
			t.Errorf("%q compiles before day 0", src)
		}
	}
	if _, err := CompileNum("draw(cdf, group) + children", s); err != nil {
		t.Errorf("a starting-score draw: %v", err)
	}
}

// Inverse-CDF draws: the piecewise-linear inverse and the levels.
func TestTableInverse(t *testing.T) {
	tab := tableSchema().Tables[4] // han: 10% at 0, 60% at 50, 100% at 100
	for _, c := range []struct {
		u, want, level float64
	}{
		{0, 0, 0}, {0.05, 0, 0}, {0.1, 0, 0}, {0.35, 25, 50}, {0.6, 50, 50}, {0.8, 75, 100}, {0.999999, 99.999875, 100},
	} {
		if got := tab.Inverse(0, c.u, false); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Inverse(%v) = %v, want %v", c.u, got, c.want)
		}
		if got := tab.Inverse(0, c.u, true); got != c.level {
			t.Errorf("Inverse(%v, levels) = %v, want %v", c.u, got, c.level)
		}
	}
	// Flat stretches are skipped: uyghur has no mass above 50 but 10%.
	if got := tab.Inverse(1, 0.9, false); got != 50 {
		t.Errorf("uyghur Inverse(0.9) = %v, want 50", got)
	}
}

// draw() gives each agent its own number, fixed by (key, day, site, agent).
func TestDrawIsPerAgentAndSite(t *testing.T) {
	s := tableSchema()
	v := randomView(20000, 1)
	v.Rand = rng.Key(1, "rule/draw")
	a, _ := CompileNum("draw(cdf, group)", s)
	b, _ := CompileNum("draw(cdf, group)", s) // a second call site
	same := 0
	for i := range int32(20000) {
		x := a.Fn(v, i)
		if x != a.Fn(v, i) {
			t.Fatal("draw is not a function of the agent")
		}
		if x == b.Fn(v, i) && x > 0 { // (both may fall on the mass at 0)
			same++
		}
	}
	if same > 0 {
		t.Errorf("two call sites agree for %d of 20000 agents", same)
	}
}

// Quantile is gonum's empirical quantile.
func TestQuantileMatchesGonum(t *testing.T) {
	s := rng.NewStream(9)
	for _, n := range []int{1, 2, 3, 10, 99, 100, 1001} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(s.Float()*50) / 5 // ties
		}
		slices.Sort(xs)
		for _, q := range []float64{0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.8, 0.99, 1, 1.0 / 3} {
			if got, want := Quantile(q, xs), stat.Quantile(q, stat.Empirical, xs, nil); got != want {
				t.Errorf("n=%d q=%v: got %v, gonum %v", n, q, got, want)
			}
		}
	}
}

func TestPopAggregatesRegistered(t *testing.T) {
	s := tableSchema()
	a, err := CompileBool("score <= pop.quantile(score, 0.01, region)", s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CompileNum("pop.quantile(score, 0.01, region) + pop.mean(score) + pop.share(score < 600, group)", s)
	if len(s.Pop.List) != 3 || s.Pop.Size != 2+1+2 {
		t.Fatalf("registered %d aggregates of size %d, want 3 of 5", len(s.Pop.List), s.Pop.Size)
	}
	if a.Refs.Pop != 1 || b.Refs.Pop != 7 {
		t.Errorf("Refs.Pop = %b and %b, want 1 and 111", a.Refs.Pop, b.Refs.Pop)
	}
	v := testView()
	v.Pop = []float64{950, 950, 850, 0.25, 0.75}  // quantile per region, mean, share per group
	if !a.Fn(v, 2) || a.Fn(v, 0) || !a.Fn(v, 1) { // 950 <= 950, 1000 > 950, 800.5 <= 950
		t.Error("score <= pop.quantile(score, 0.01, region) reads the wrong slot")
	}
	if got := b.Fn(v, 1); got != 950+850+0.75 {
		t.Errorf("agent 1 reads %v, want %v", got, 950+850+0.75)
	}
	out := make([]bool, 3)
	a.Batch(v, []int32{0, 1, 2}, out, &Arena{})
	if !slices.Equal(out, []bool{false, true, true}) {
		t.Errorf("batch %v", out)
	}
}

// A table call costs about what a built-in function does, per agent.
func BenchmarkTableCall(b *testing.B) {
	s := tableSchema()
	x := make([]float64, 198)
	y := [][]float64{make([]float64, 198), make([]float64, 198)}
	for k := range x {
		x[k] = float64(k) * 1300 / 197
		y[0][k], y[1][k] = float64(k)/197, float64(k*k)/(197*197)
	}
	big := &Table{Name: "big", By: "group", X: x, Y: y}
	slow := &Table{Name: "bisect", By: "group", X: x, Y: y}
	big.Prepare()
	s.Tables = append(s.Tables, big, slow)
	v := randomView(1<<16, 5)
	idx := make([]int32, 8192)
	for i := range idx {
		idx[i] = int32(i)
	}
	a := &Arena{}
	for _, src := range []string{"clamp(score, 300, 850)", "floor(score / 3)", "big(group, score)", "bisect(group, score)", "repay(group, score)", "line(score)"} {
		n, err := CompileNum(src, s)
		if err != nil {
			b.Fatal(err)
		}
		benchKind(b, src, v, idx, a, n.Fn, n.Batch)
	}
}

// The bucket index finds the same segment as bisection, for points spread
// evenly or not, at the points themselves and between them.
func TestTableGridAgreesWithBisection(t *testing.T) {
	s := rng.NewStream(4)
	for _, spread := range []func(k int) float64{
		func(k int) float64 { return float64(k) * 0.5 },
		func(k int) float64 { return float64(k*k) / 7 },
		func(k int) float64 { return math.Exp(float64(k) / 20) },
	} {
		x := make([]float64, 198)
		y := make([]float64, 198)
		for k := range x {
			x[k], y[k] = spread(k), s.Float()
		}
		fast := &Table{X: x, Y: [][]float64{y}}
		fast.Prepare()
		slow := &Table{X: x, Y: [][]float64{y}}
		probe := append([]float64{}, x...)
		for range 20000 {
			probe = append(probe, x[0]-1+s.Float()*(x[len(x)-1]-x[0]+2))
		}
		for _, p := range probe {
			if a, b := fast.At(0, p), slow.At(0, p); a != b {
				t.Fatalf("At(%v): grid %v, bisection %v", p, a, b)
			}
		}
	}
}
