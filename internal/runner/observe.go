package runner

import (
	"context"
	"time"

	"github.com/nosedive-lab/nosedive/internal/metrics"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// ExecuteObserved is Execute for callers that show a run while it executes
// (the web lab's live charts): observe receives every day's aggregates, day
// 0 first, as the run makes them. It is called on the engine's goroutine
// between days, before spec.Progress; the days are the ones the run
// directory will hold and must not be modified. The run's outputs are
// exactly those of Execute.
func ExecuteObserved(ctx context.Context, spec Spec, observe func(*metrics.Day)) (*Result, error) {
	now := time.Now
	if spec.Now != nil {
		now = spec.Now
	}
	sc := spec.Scenario
	if _, err := scenario.ParseLedger(spec.Ledger); err != nil {
		return nil, err
	}
	if err := checkMemory(sc, spec); err != nil {
		return nil, err
	}
	softMemoryLimit()
	t0 := now()
	id := spec.ID
	if id == "" {
		id = store.NewID(spec.OutDir, sc.Name, spec.Seed, t0)
	}
	w, err := store.Create(spec.OutDir, id)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	ss := &store.Spec{ID: id, ScenarioFile: sc.File, ScenarioText: string(sc.Source), ScenarioSHA256: scenario.Hash(sc.Source, spec.Sets),
		Sets: spec.Sets, Agents: spec.Agents, Days: spec.Days, Seed: spec.Seed, Ledger: spec.Ledger,
		CheckpointEvery: spec.CheckpointEvery, Created: t0.UTC().Format(time.RFC3339)}
	if !spec.NoRegime && len(spec.Disabled) == 0 {
		if err := w.WriteSpec(ss); err != nil {
			return nil, err
		}
	}
	// The engine hands each day to the run writer and then reports
	// progress, on one goroutine: the writer's collected days are complete
	// up to the day reported.
	progress, seen := spec.Progress, 0
	spec.Progress = func(day, days int) {
		if observe != nil {
			all := w.CollectedDays()
			for ; seen < len(all); seen++ {
				observe(all[seen])
			}
		}
		if progress != nil {
			progress(day, days)
		}
	}
	return execute(ctx, spec, ss, w, nil, now)
}
