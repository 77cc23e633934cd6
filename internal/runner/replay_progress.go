package runner

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// ReplayProgress is Replay reporting each replayed day to progress
// (`nosedive explain` shows it on a progress meter); a nil progress
// reports nothing.
func ReplayProgress(ctx context.Context, m *store.Manifest, agents []int32, workers int, progress func(day, days int)) (*sim.Final, []*sim.Trace, error) {
	return replayDays(ctx, m, sim.Options{Workers: workers, Trace: agents}, progress)
}

// replayDays re-simulates the run of m in memory with the engine options
// opt (traces, a counterfactual regime) and returns the final state and
// the traces, reporting each day to progress when it is not nil.
func replayDays(ctx context.Context, m *store.Manifest, opt sim.Options, progress func(day, days int)) (*sim.Final, []*sim.Trace, error) {
	sc, err := ScenarioOf(m)
	if err != nil {
		return nil, nil, err
	}
	prog, err := sc.Compile()
	if err != nil {
		return nil, nil, err
	}
	pop := population.Generate(sc, m.Agents, m.Seed)
	releaseSetupMemory()
	eng := sim.New(sc, prog, pop, m.Days, m.Seed, opt)
	for d := 0; d < m.Days; d++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if _, _, err := eng.Step(); err != nil {
			return nil, nil, err
		}
		if progress != nil {
			progress(d+1, m.Days)
		}
	}
	return eng.Final(), eng.Traces(), nil
}
