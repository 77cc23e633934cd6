package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// TwinsDir is the folder inside a run directory that holds its twins.
const TwinsDir = "twins"

// NoRegime is the name of the twin without any scoring.
const NoRegime = "no-regime"

// ScenarioOf rebuilds the validated scenario a run used, from the text and
// overrides stored in its manifest.
func ScenarioOf(m *store.Manifest) (*scenario.Scenario, error) {
	return scenario.Load(m.Scenario.File, []byte(m.Scenario.Text), m.Scenario.Sets)
}

// Twin returns the directory of a counterfactual twin of the run in dir:
// the same scenario, seed, size and random numbers, either with no regime
// (name "no-regime") or without one rule (name "ablate-RULE"). A twin is
// computed once and kept in dir/twins/NAME, with the run's ledger and so
// the trace of its ledger sample.
func Twin(ctx context.Context, dir, name string, workers int) (string, error) {
	return TwinProgress(ctx, dir, name, workers, nil)
}

// TwinProgress is Twin reporting each simulated day to progress (when
// not nil; nothing is reported when the twin is already kept).
func TwinProgress(ctx context.Context, dir, name string, workers int, progress func(day, days int)) (string, error) {
	m, err := store.ReadManifest(dir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, TwinsDir)
	path := filepath.Join(out, name)
	if TwinKept(m, path) {
		return path, nil
	}
	sc, err := ScenarioOf(m)
	if err != nil {
		return "", fmt.Errorf("rebuild scenario of %s: %w", dir, err)
	}
	spec := Spec{Scenario: sc, Sets: m.Scenario.Sets, Agents: m.Agents, Days: m.Days, Seed: m.Seed,
		Workers: workers, Ledger: m.Ledger, OutDir: out, ID: name, Progress: progress}
	switch {
	case name == NoRegime:
		spec.NoRegime = true
	case len(name) > len("ablate-") && name[:len("ablate-")] == "ablate-":
		ablated := name[len("ablate-"):]
		var names []string
		for _, r := range sc.Scoring.Rules {
			names = append(names, r.Name)
		}
		if !slices.Contains(names, ablated) {
			return "", &UnknownRuleError{Rule: ablated, Known: names}
		}
		spec.Disabled = []string{ablated}
	default:
		return "", fmt.Errorf("unknown twin %q", name)
	}
	os.RemoveAll(path)
	res, err := Execute(ctx, spec)
	if err != nil {
		return "", err
	}
	return res.Dir, nil
}

// TwinKept reports whether path holds a twin made for the run of manifest
// m, which Twin reuses: the same scenario and seed, and the same ledger,
// so that the twin stored the trace of the run's ledger sample (a
// citizen's counterfactual year is read from it, as their year is from
// the run's). A twin kept by an older nosedive, without a ledger, is made
// again.
func TwinKept(m *store.Manifest, path string) bool {
	tm, err := store.ReadManifest(path)
	return err == nil && tm.Scenario.SHA256 == m.Scenario.SHA256 && tm.Seed == m.Seed && tm.Ledger == m.Ledger
}

// UnknownRuleError says an ablation named a rule the scenario lacks.
type UnknownRuleError struct {
	Rule  string
	Known []string
}

func (e *UnknownRuleError) Error() string {
	return fmt.Sprintf("no rule %q in this run's scenario%s; rules: %v", e.Rule, rule.Suggest(e.Rule, e.Known), e.Known)
}

// Replay re-simulates the run in dir in memory, recording traces of the
// given agents, and returns the engine's final state and the traces. It
// writes nothing. Because runs are deterministic, the replay reproduces the
// stored run exactly; callers can check that against agents.parquet.
func Replay(ctx context.Context, m *store.Manifest, agents []int32, workers int) (*sim.Final, []*sim.Trace, error) {
	return ReplayCounterfactual(ctx, m, agents, workers, false, nil)
}

// TwinFunc is TwinProgress bound to the run in dir, as audit.TwinFunc
// wants it: it says on w which twin it runs (or finds already made) and
// shows the twin's days on the shared meter there.
func TwinFunc(dir string, workers int, w io.Writer) func(ctx context.Context, name string) (string, error) {
	return func(ctx context.Context, name string) (string, error) {
		if rule, ok := strings.CutPrefix(name, "ablate-"); ok {
			fmt.Fprintf(w, "nosedive: running the twin without rule %s\n", rule)
		} else {
			fmt.Fprintf(w, "nosedive: running the %s twin of %s\n", name, filepath.Base(dir))
		}
		m, err := store.ReadManifest(dir)
		if err != nil {
			return "", err
		}
		report, finish := progress.Days(w, m.Days)
		defer finish()
		return TwinProgress(ctx, dir, name, workers, report)
	}
}
