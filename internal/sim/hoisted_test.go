package sim

import (
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
)

// Engines sharing one set of hoisted columns (as runner.Twins' do) go
// exactly as one that computes its own; columns of another population are
// refused.
func TestSharedStaticColumns(t *testing.T) {
	sc, prog := loadBuiltin(t, "xinjiang-pilot")
	pop := population.Generate(sc, 3_000, 5)
	st := NewStatic(prog, pop)
	if len(st.cols.Num) != 4 || HoistedBytesPerAgent(prog) != 32 {
		t.Fatalf("%d hoisted columns (%d bytes per agent), want 4 (32)", len(st.cols.Num), HoistedBytesPerAgent(prog))
	}
	own := New(sc, prog, pop, 30, 5, Options{Workers: 2})
	shared := New(sc, prog, pop, 30, 5, Options{Workers: 1, Static: st})
	if &shared.hoisted.cols.Num[0][0] != &st.cols.Num[0][0] {
		t.Fatal("the engine copied the shared columns")
	}
	stepAlike(t, own, shared, 30)
	defer func() {
		if recover() == nil {
			t.Error("columns of another population were accepted")
		}
	}()
	New(sc, prog, population.Generate(sc, 3_000, 6), 30, 5, Options{Static: st})
}

// Skipping a periodic rule whose condition is false for everyone today
// (xinjiang's profile, day == 0) changes nothing against evaluating it for
// every agent.
func TestUniformSkipChangesNothing(t *testing.T) {
	sc, prog := loadBuiltin(t, "xinjiang-pilot")
	if prog.RuleWhen[0].Skip == nil {
		t.Fatal("the profile rule has no Skip")
	}
	slow := *prog
	slow.RuleWhen = slices.Clone(prog.RuleWhen)
	for r := range slow.RuleWhen {
		slow.RuleWhen[r].Skip = nil
	}
	pop := population.Generate(sc, 3_000, 5)
	stepAlike(t, New(sc, prog, pop, 20, 5, Options{Workers: 2}), New(sc, &slow, pop, 20, 5, Options{Workers: 2}), 20)
}
