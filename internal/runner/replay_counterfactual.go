package runner

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// ReplayCounterfactual is Replay under a counterfactual regime: with
// noRegime no scoring runs at all, otherwise the disabled rules are
// switched off (sim.Options.NoRegime and Disabled). Replaying a run's
// manifest this way reproduces its twin (Twin with NoRegime or
// "ablate-RULE") exactly, so the traces can be explained against the
// twin's stored tables. The web lab uses it for a citizen's year under a
// regime without a chosen rule.
func ReplayCounterfactual(ctx context.Context, m *store.Manifest, agents []int32, workers int, noRegime bool, disabled []string) (*sim.Final, []*sim.Trace, error) {
	return replayDays(ctx, m, sim.Options{Workers: workers, Trace: agents, NoRegime: noRegime, Disabled: disabled}, nil)
}
