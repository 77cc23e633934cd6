package sweep

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Spans cut a hand-made curve where it crosses zero and max-utility's
// score change.
func TestSpans(t *testing.T) {
	xs := []float64{0, 0.2, 0.4, 0.6, 0.8}
	ys := []float64{0, 4, 6, 2, -6}
	got := Spans(xs, ys, 5) // crosses 5 at 0.3 and 0.45, 0 at 0.65
	want := []Span{{0, 0.3, RelativeHarm}, {0.3, 0.45, RelativeImprovement}, {0.45, 0.65, RelativeHarm}, {0.65, 0.8, ActiveHarm}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	// Max-utility itself below zero: nothing is relative harm above zero.
	got = Spans(xs, ys, -1)
	want = []Span{{0, 0.65, RelativeImprovement}, {0.65, 0.8, ActiveHarm}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); diff != "" {
		t.Errorf("spans with max-utility below zero (-want +got):\n%s", diff)
	}
}

// The outcome curve of testdata/lending-curve.yaml (ten fixed rates and
// the three policies, three replicates each) against a direct computation
// from every run's own tables: the group's mean score on day 1 minus day 0
// from daily.parquet and the selection rate from institutions.parquet,
// averaged over replicates with a Student t interval computed here.
func TestOutcomeCurveOfASweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 39-run sweep")
	}
	s, err := ReadFile(filepath.Join("testdata", "lending-curve.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), s.Name)
	if out, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 2, Workers: 1}); err != nil || out.Failed > 0 {
		t.Fatalf("sweep: %+v %v", out, err)
	}
	c, err := OutcomeCurve(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Institution != "lender" || !slices.Equal(c.Groups, []string{"a", "b"}) || len(c.Points) != 10 || len(c.Marks) != 3 {
		t.Fatalf("curve of %s, groups %v, %d points, %d marks", c.Institution, c.Groups, len(c.Points), len(c.Marks))
	}
	// direct reads one run: per group its selection rate and score change.
	type fig struct{ sel, change [2]float64 }
	direct := func(run string) fig {
		var f fig
		d, err := store.ReadTable(filepath.Join(dir, RunsDir, run, store.DailyFile))
		if err != nil {
			t.Fatal(err)
		}
		for g, name := range c.Groups {
			var n, s [2]float64
			for i := range d.Rows {
				if d.Cols["group"].Str[i] != name {
					continue
				}
				day, a := d.Cols["day"].Int[i], float64(d.Cols["agents"].Int[i])
				n[day] += a
				s[day] += a * d.Cols["score_mean"].Float[i]
			}
			f.change[g] = s[1]/n[1] - s[0]/n[0]
		}
		in, err := store.ReadTable(filepath.Join(dir, RunsDir, run, store.InstitutionsFile))
		if err != nil {
			t.Fatal(err)
		}
		for i := range in.Rows {
			f.sel[slices.Index(c.Groups, in.Cols["category"].Str[i])] = in.Cols["selection_rate"].Float[i]
		}
		return f
	}
	t975 := 4.302652729911275 // Student t, 2 degrees of freedom
	check := func(what string, got Stat, xs []float64) {
		m := (xs[0] + xs[1] + xs[2]) / 3
		sd := math.Sqrt(((xs[0]-m)*(xs[0]-m) + (xs[1]-m)*(xs[1]-m) + (xs[2]-m)*(xs[2]-m)) / 2)
		h := t975 * sd / math.Sqrt(3)
		if got.N != 3 || math.Abs(got.Mean-m) > 1e-9 || math.Abs(got.Lo-(m-h)) > 1e-9 || math.Abs(got.Hi-(m+h)) > 1e-9 {
			t.Errorf("%s: %+v, want mean %v [%v, %v] of %v", what, got, m, m-h, m+h, xs)
		}
	}
	all := append(slices.Clone(c.Points), c.Marks...)
	for _, p := range all {
		var figs []fig
		for r := range 3 {
			figs = append(figs, direct(s.Run(p.Point*3+r).ID))
		}
		for g, name := range c.Groups {
			check(p.Policy+" "+name+" selection", p.Selection[g], []float64{figs[0].sel[g], figs[1].sel[g], figs[2].sel[g]})
			check(p.Policy+" "+name+" change", p.Change[g], []float64{figs[0].change[g], figs[1].change[g], figs[2].change[g]})
			if p.Policy == "fixed-rate" && math.Abs(p.Selection[g].Mean-p.Rate) > 1e-12 {
				t.Errorf("fixed rate %v: group %s selected %v", p.Rate, name, p.Selection[g].Mean)
			}
		}
	}
	for k := 1; k < len(c.Points); k++ {
		if c.Points[k].Rate <= c.Points[k-1].Rate {
			t.Errorf("curve points not by rate: %v after %v", c.Points[k].Rate, c.Points[k-1].Rate)
		}
	}
	var policies []string
	for _, m := range c.Marks {
		policies = append(policies, m.Policy)
	}
	if !slices.Equal(policies, []string{"max-utility", "demographic-parity", "equal-opportunity"}) {
		t.Errorf("marks %v", policies)
	}
	// Max-utility lends where (score - 300) / 550 > 1/2, score > 575:
	// group a's regions r2-r4 and group b's r3-r4, whose shares of the
	// group the day-0 table gives exactly.
	mu := c.Marks[0]
	d, err := store.ReadTable(filepath.Join(dir, RunsDir, s.Run(mu.Point*3).ID, store.DailyFile))
	if err != nil {
		t.Fatal(err)
	}
	for g, lends := range [][]string{{"r2", "r3", "r4"}, {"r3", "r4"}} {
		var n, in float64
		for i := range d.Rows {
			if d.Cols["day"].Int[i] == 0 && d.Cols["group"].Str[i] == c.Groups[g] {
				a := float64(d.Cols["agents"].Int[i])
				n += a
				if slices.Contains(lends, d.Cols["region"].Str[i]) {
					in += a
				}
			}
		}
		if got := direct(s.Run(mu.Point * 3).ID).sel[g]; math.Abs(got-in/n) > 1e-12 {
			t.Errorf("max-utility selects %v of group %s, want %v (regions %v)", got, c.Groups[g], in/n, lends)
		}
	}
	// Regions: against max-utility's score change, tiling the curve, each
	// curve point in the region its score change says, each boundary where
	// the curve crosses zero or max-utility's change.
	if len(c.Regions) != 2 {
		t.Fatalf("%d regions, want one per group", len(c.Regions))
	}
	for g, rg := range c.Regions {
		xs, ys := c.Line(g)
		if rg.MaxUtility != mu.Change[g].Mean {
			t.Errorf("group %s: max-utility change %v, want %v", rg.Group, rg.MaxUtility, mu.Change[g].Mean)
		}
		sp := rg.Spans
		if len(sp) == 0 || sp[0].From != xs[0] || sp[len(sp)-1].To != xs[len(xs)-1] {
			t.Fatalf("group %s: spans %+v do not cover [%v, %v]", rg.Group, sp, xs[0], xs[len(xs)-1])
		}
		at := func(x float64) float64 { // the curve, linearly between points
			k := max(1, upper(xs, x))
			k = min(k, len(xs)-1)
			return ys[k-1] + (x-xs[k-1])*(ys[k]-ys[k-1])/(xs[k]-xs[k-1])
		}
		for k := range sp {
			if k > 0 {
				if sp[k].From != sp[k-1].To {
					t.Errorf("group %s: gap between spans %+v and %+v", rg.Group, sp[k-1], sp[k])
				}
				y := at(sp[k].From)
				if math.Min(math.Abs(y), math.Abs(y-rg.MaxUtility)) > 1e-9 {
					t.Errorf("group %s: span boundary %v where the curve is %v, neither 0 nor %v", rg.Group, sp[k].From, y, rg.MaxUtility)
				}
			}
		}
		for i, x := range xs {
			for _, s := range sp {
				if s.From < x && x < s.To && s.Region != Region(ys[i], rg.MaxUtility) {
					t.Errorf("group %s: point %v (change %v) in span %+v", rg.Group, x, ys[i], s)
				}
			}
		}
		// The curve this scenario draws: top lending helps, lending to
		// everyone harms (repayment below 2/3 loses points on average).
		if ys[0] <= 0 || ys[len(ys)-1] >= 0 || sp[len(sp)-1].Region != ActiveHarm {
			t.Errorf("group %s: curve %v, spans %+v: want gains at 5%% and active harm at 95%%", rg.Group, ys, sp)
		}
	}
	// The sweep's institutions fragments hold every run's decisions.
	in, err := store.ReadTable(filepath.Join(dir, ResultsDir, institutionsFragment(s.Run(0).ID)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Rows != 2 || in.Cols["point"].Int[0] != 0 || in.Cols["institutions.lender.rate"].Float[0] != 0.05 || in.Cols["policy"].Str[0] != "fixed-rate" {
		t.Errorf("institutions fragment: %d rows, %v", in.Rows, in.Names)
	}
	mf, err := store.ReadTable(filepath.Join(dir, ResultsDir, institutionsFragment(s.Run(30).ID)))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(mf.Cols["institutions.lender.rate"].Float[0]) || mf.Cols["policy"].Str[0] != "max-utility" {
		t.Errorf("max-utility's fragment: rate %v (want NULL: the scenario's own, unset), policy %s", mf.Cols["institutions.lender.rate"].Float[0], mf.Cols["policy"].Str[0])
	}
}

// upper is the index of the first of xs (increasing) not below x.
func upper(xs []float64, x float64) int {
	i, _ := slices.BinarySearch(xs, x)
	return i
}

// A list point's ~ leaves the path as the scenario has it: no override,
// and the column stays numeric (NULL there).
func TestListPointLeavesAPathUnset(t *testing.T) {
	s, err := ReadFile(filepath.Join("testdata", "lending-curve.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.PointSets(10); !slices.Equal(got, []string{"institutions.lender.policy=max-utility"}) {
		t.Errorf("max-utility point sets %v", got)
	}
	if got := s.PointSets(0); !slices.Equal(got, []string{"institutions.lender.policy=fixed-rate", "institutions.lender.rate=0.05"}) {
		t.Errorf("first point sets %v", got)
	}
	if !s.Params[1].Numeric || s.Points[10].Values[1] != "" {
		t.Errorf("rate parameter numeric %v, max-utility's value %q", s.Params[1].Numeric, s.Points[10].Values[1])
	}
	_, err = Load("t.yaml", []byte("name: t\nscenario: testdata/lending.yaml\nparameters:\n  - path: institutions.lender.policy\n  - path: institutions.lender.rate\n"+
		"design:\n  type: list\n  points:\n    - {institutions.lender.policy: max-utility}\n    - {institutions.lender.policy: max-utility, institutions.lender.rate: 0.5}\n"), ".")
	want := "t.yaml:9:7: point gives no value for institutions.lender.rate (write institutions.lender.rate: ~ to leave it as the scenario has it)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s...", err, want)
	}
}
