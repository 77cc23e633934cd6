package sim

// The engine's fast paths (region stretches, kept counts, single buffers,
// the ring-form graph, integer rate tests, columns left out) give exactly
// what the general path gives.

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// The per-region stretches of the batch passes are an optimisation only:
// an engine made to test region by agent (as for a population whose
// regions are not contiguous) computes the same days.
// sameAsFallback runs a built-in twice, once with tweak applied to the
// second engine (switching a fast path off), and checks that every day's
// aggregates and the final state agree.
func sameAsFallback(t *testing.T, name string, n, days int, tweak func(*Engine)) {
	t.Helper()
	sc, prog := loadBuiltin(t, name)
	a := New(sc, prog, population.Generate(sc, n, 3), days, 3, Options{Workers: 2})
	b := New(sc, prog, population.Generate(sc, n, 3), days, 3, Options{Workers: 2})
	tweak(b)
	stepAlike(t, a, b, days)
	if !slices.Equal(a.score, b.score) || !slices.Equal(a.sanc, b.sanc) || !slices.Equal(a.contrib, b.contrib) {
		t.Fatal("final state differs")
	}
}

// stepAlike steps two engines for the given days and checks that every
// day's aggregates agree.
func stepAlike(t *testing.T, a, b *Engine, days int) {
	t.Helper()
	for range days {
		da, _, err := a.Step()
		if err != nil {
			t.Fatal(err)
		}
		db, _, err := b.Step()
		if err != nil {
			t.Fatal(err)
		}
		// (Formatted: quantiles of empty cells are NaN, which DeepEqual
		// never finds equal.)
		if fmt.Sprint(da) != fmt.Sprint(db) {
			t.Fatalf("day %d differs", a.Day())
		}
	}
}

func TestRegionStretchesChangeNothing(t *testing.T) {
	sameAsFallback(t, "nationwide-2020", 5_000, 400, func(e *Engine) { e.regionEnd = nil })
}

// The kept counts of visible acquaintances give the same chilling as
// counting the neighbours at each event, and stay equal to a recount.
func TestVisibleAcquaintanceCountsChangeNothing(t *testing.T) {
	for _, name := range []string{"benchmark", "xinjiang-pilot"} {
		t.Run(name, func(t *testing.T) {
			sameAsFallback(t, name, 5_000, 200, func(e *Engine) {
				if e.visibleAcq == nil {
					t.Fatal("the scenario chills by peers, but no counts are kept")
				}
				e.visibleAcq = nil
			})
		})
	}
	sc, prog := loadBuiltin(t, "benchmark")
	e := New(sc, prog, population.Generate(sc, 5_000, 3), 100, 3, Options{Workers: 2})
	changed := 0
	for range 100 {
		before := slices.Clone(e.visible)
		if _, _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, e.visible) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no one's visibility changed: the test exercises nothing")
	}
	kept := slices.Clone(e.visibleAcq)
	e.countVisibleAcq()
	if !slices.Equal(kept, e.visibleAcq) {
		t.Fatal("kept counts differ from a recount")
	}
}

// The widest score range a scenario may have runs (its width overflowed
// int32 arithmetic in the score histogram once).
func TestWidestScoreRange(t *testing.T) {
	sc, _ := loadBuiltin(t, "benchmark")
	sc.Scoring.Range = []float64{-2e6, 2e6}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	e := New(sc, prog, population.Generate(sc, 2_000, 1), 5, 1, Options{Workers: 2})
	for range 5 {
		d, _, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Cells {
			if med := c.ScoreQ[2]; med < 900 || med > 1010 {
				t.Fatalf("median score %v, want about 950-1000", med)
			}
		}
	}
}

// The integer test of a draw against a rate agrees with the floating-point
// one, at the boundary and for random draws.
func TestRateLimitEqualsFloatComparison(t *testing.T) {
	for _, rate := range []float64{1, 1.5, 0.5, 1.0 / 7, 1.0 / 3, 1.0 / 30, 1.0 / 400000, 1e-300, 0.999999999, 0x1p-53, 0x1.8p-53} {
		l := rateLimit(rate)
		for _, m := range []uint64{0, 1, l - 2, l - 1, l, l + 1, 1<<53 - 1} {
			if m >= 1<<53 {
				continue
			}
			if got, want := m < l, float64(m)*(1.0/(1<<53)) < rate; got != want {
				t.Fatalf("rate %v, m %d: integer test %v, float test %v", rate, m, got, want)
			}
		}
		k := rng.Key(1, "test")
		for i := range uint64(100_000) {
			m := rng.Uint64(k, i) >> 11
			if (m < l) != (rng.Float(k, i) < rate) {
				t.Fatalf("rate %v, draw %d disagrees", rate, i)
			}
		}
	}
}

// State no expression reads of another agent is kept in one array; every
// built-in gives the same days with two.
func TestSingleBuffersChangeNothing(t *testing.T) {
	same := func(a, b []uint8) bool { return len(a) > 0 && &a[0] == &b[0] }
	same32 := func(a, b []uint32) bool { return len(a) > 0 && &a[0] == &b[0] }
	sc, prog := loadBuiltin(t, "benchmark")
	e := New(sc, prog, population.Generate(sc, 100, 1), 1, 1, Options{Workers: 1})
	if !same(e.tier, e.tierNext) || !same32(e.flags, e.flagsNext) || !same32(e.sanc, e.sancNext) {
		t.Fatal("benchmark reads no one else's tier, flags or sanctions, yet keeps two copies")
	}
	if &e.detained[0] != &e.detainedNext[0] {
		t.Fatal("benchmark detains no one, yet keeps two detention arrays")
	}
	for _, b := range scenario.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			sameAsFallback(t, b.Name, 3_000, 120, func(e *Engine) {
				if same(e.tier, e.tierNext) {
					e.tierNext = slices.Clone(e.tier)
				}
				if same32(e.flags, e.flagsNext) {
					e.flagsNext = slices.Clone(e.flags)
				}
				if same32(e.sanc, e.sancNext) {
					e.sancNext = slices.Clone(e.sanc)
				}
				if &e.detained[0] == &e.detainedNext[0] {
					e.detainedNext, e.detains = slices.Clone(e.detained), true
				}
			})
		})
	}
}

// The acquaintance graph in ring form (netgraph.Graph.Compact) lists the
// same neighbours in the same order, so every built-in runs the same on it,
// acq.* reads, peer chilling and partner proposals included.
func TestCompactGraphChangesNothing(t *testing.T) {
	for _, b := range scenario.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			sameAsFallback(t, b.Name, 3_000, 120, func(e *Engine) {
				if e.pop.Graph = e.pop.Graph.Compact(); !e.pop.Graph.Compacted() {
					t.Fatal("the graph stayed plain")
				}
			})
		})
	}
}

// Visibility is the chilling.visible condition on the end-of-day state,
// also when it reads what pass 2 writes for other agents (a partner's
// detention): it once read some partners' detention before pass 2 had
// settled it, so the result depended on agent order and, with several
// workers, on timing.
func TestVisibleReadsSettledEndOfDay(t *testing.T) {
	src, err := scenario.BuiltinSource("xinjiang-pilot")
	if err != nil {
		t.Fatal(err)
	}
	const old = `visible: tier == "untrustworthy" || detained`
	if !bytes.Contains(src, []byte(old)) {
		t.Fatalf("xinjiang-pilot no longer has %q", old)
	}
	src = bytes.Replace(src, []byte(old), []byte(`visible: partner.detained || tier == "untrustworthy" || detained`), 1)
	sc, err := scenario.Load("visible.yaml", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	e := New(sc, prog, population.Generate(sc, 20_000, 2), 90, 2, Options{Workers: 1})
	want := make([]bool, e.n)
	detainedPartners := 0
	for d := range 90 {
		if _, _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
		e.computeVisible(e.view(false), want)
		for i := range want {
			if want[i] != e.visible[i] {
				t.Fatalf("day %d, agent %d: visible %v, but the condition on the day's end is %v", d+1, i, e.visible[i], want[i])
			}
			if p := e.partner[i]; p >= 0 && e.detained[p] {
				detainedPartners++
			}
		}
	}
	if detainedPartners == 0 {
		t.Fatal("no partner was ever detained: the test exercises nothing")
	}
}

// The release column is stored only when a release score can change a
// score; otherwise Final reports it as 0 without keeping n zeros.
func TestReleaseColumnOnlyWhenUsed(t *testing.T) {
	for name, stored := range map[string]bool{"benchmark": false, "us-credit": false, "xinjiang-pilot": true, "nationwide-2020": true} {
		sc, prog := loadBuiltin(t, name)
		e := New(sc, prog, population.Generate(sc, 500, 1), 30, 1, Options{Workers: 1})
		if want := e.nRule + 2 + b2i(stored); e.nContrib != want || len(e.contrib) != 500*want {
			t.Errorf("%s: %d columns stored, want %d", name, e.nContrib, want)
		}
		for range 30 {
			if _, _, err := e.Step(); err != nil {
				t.Fatal(err)
			}
		}
		f := e.Final()
		names := f.ContribNames
		if names[len(names)-1] != ContribRelease || len(names) != e.nRule+3 {
			t.Fatalf("%s: columns %v", name, names)
		}
		for a := range 500 {
			sum := int64(f.BaselineAt(a))
			for k := range names {
				sum += int64(f.ContribAt(a, k))
			}
			if sum != int64(f.Score[a]) {
				t.Fatalf("%s: agent %d: baseline + contributions %d, score %d", name, a, sum, f.Score[a])
			}
		}
	}
}
