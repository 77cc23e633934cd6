package sim

// The day step's workers: no allocation per day, shut down with the engine.

import (
	"runtime"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/population"
)

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
