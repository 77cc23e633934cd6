package sim

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

func loadBuiltin(tb testing.TB, name string, sets ...string) (*scenario.Scenario, *scenario.Program) {
	tb.Helper()
	sc, err := scenario.Resolve(name, sets)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	return sc, prog
}

// cpuTime is the process's user plus system CPU time. Benchmarks report
// CPU nanoseconds per agent-day next to wall-clock throughput: on a shared,
// noisy machine CPU time moves far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchStep measures days of a built-in scenario on n agents.
func benchStep(b *testing.B, name string, n int) {
	sc, prog := loadBuiltin(b, name)
	pop := population.Generate(sc, n, 1)
	e := New(sc, prog, pop, 1<<30, 1, Options{})
	e.Step() // the first day sizes the reusable buffers
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		if _, _, err := e.Step(); err != nil {
			b.Fatal(err)
		}
	}
	ad := float64(n) * float64(b.N)
	b.ReportMetric(ad/b.Elapsed().Seconds(), "agent-days/s")
	b.ReportMetric(float64(cpuTime()-c0)/ad, "cpu-ns/agent-day")
}

// BenchmarkStep measures one day of the benchmark scenario on 100,000 agents.
func BenchmarkStep(b *testing.B) { benchStep(b, "benchmark", 100_000) }

// BenchmarkStep1M measures one day of the benchmark scenario at the size
// of the throughput target, 1,000,000 agents, where the state no longer
// fits in the caches.
func BenchmarkStep1M(b *testing.B) { benchStep(b, "benchmark", 1_000_000) }

// BenchmarkStepBuiltins measures a day of every other built-in.
func BenchmarkStepBuiltins(b *testing.B) {
	for _, name := range []string{"xinjiang-pilot", "chongqing-pilot", "court-blacklist", "us-credit", "nosedive", "nationwide-2020"} {
		b.Run(name, func(b *testing.B) { benchStep(b, name, 100_000) })
	}
}

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

// A snapshot restores into a fresh engine, which then goes on exactly as
// the original; a snapshot of another length is refused.
func TestSnapshotRestore(t *testing.T) {
	sc, prog := loadBuiltin(t, "xinjiang-pilot")
	newEngine := func() *Engine {
		return New(sc, prog, population.Generate(sc, 3_000, 5), 40, 5, Options{Workers: 2})
	}
	a := newEngine()
	for range 20 {
		if _, _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b := newEngine()
	if err := b.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	stepAlike(t, a, b, 20)
	if err := newEngine().Restore(bytes.NewReader(append(slices.Clone(buf.Bytes()), 0))); !errors.Is(err, ErrSnapshotMismatch) {
		t.Fatalf("a longer snapshot: %v, want ErrSnapshotMismatch", err)
	}
	if err := newEngine().Restore(bytes.NewReader(buf.Bytes()[:buf.Len()-1])); err == nil {
		t.Fatal("a truncated snapshot was accepted")
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

// After its first days the step allocates nothing: no buffers, closures or
// goroutines per day. (The Go runtime itself allocates now and then, a
// handful of objects when a wait needs a new semaphore record, for
// example; averaged over 50 days that rounds to 0, a buffer or closure per
// day would not.)
func TestStepDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"benchmark", "xinjiang-pilot", "nationwide-2020"} {
		sc, prog := loadBuiltin(t, name)
		e := New(sc, prog, population.Generate(sc, 20_000, 1), 1<<20, 1, Options{Workers: 2})
		for range 20 {
			if _, _, err := e.Step(); err != nil {
				t.Fatal(err)
			}
		}
		if n := testing.AllocsPerRun(50, func() {
			if _, _, err := e.Step(); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per day, want 0", name, n)
		}
	}
}

// An engine's workers stop once the engine is no longer used: its pool's
// channels are closed, which ends the workers' loops.
func TestWorkersStopWithEngine(t *testing.T) {
	p := func() *pool {
		sc, prog := loadBuiltin(t, "benchmark")
		e := New(sc, prog, population.Generate(sc, 1_000, 1), 3, 1, Options{Workers: 4})
		if _, _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
		return e.pool
	}()
	if p == nil || len(p.wake) != 3 {
		t.Fatal("the engine has no pool of 4 workers (the caller and 3 goroutines)")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case _, open := <-p.wake[0]:
			if !open {
				return
			}
			t.Fatal("a worker's wake-up channel delivered a value with no job")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the workers of an unused engine were not stopped")
		}
		time.Sleep(10 * time.Millisecond)
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
			sum := int64(f.Baseline[a])
			for k := range names {
				sum += int64(f.ContribAt(a, k))
			}
			if sum != int64(f.Score[a]) {
				t.Fatalf("%s: agent %d: baseline + contributions %d, score %d", name, a, sum, f.Score[a])
			}
		}
	}
}
