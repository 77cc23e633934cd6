// Package audit measures the harm a simulated regime did: who is locked out,
// by group and intersection; sanctions without own misconduct; guilt by
// association and cascades along ties; children punished for parents;
// chilling against a regime-free twin; gaps at equal behaviour; inequality;
// the EU AI Act Art. 5(1)(c) lens; and the worst-treated subgroup.
// docs/metrics.md defines every figure. The simulator knows the ground truth
// (who actually did what), so rates a real audit can only estimate are exact
// here.
package audit

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Run is a run directory loaded for auditing.
type Run struct {
	Dir      string
	Manifest *store.Manifest
	Scenario *scenario.Scenario
	Agents   *store.Table
	Daily    *store.Table
	pop      *population.Population // regenerated lazily (deterministic)
}

// Load reads a run directory.
func Load(dir string) (*Run, error) {
	r, err := LoadAggregates(dir)
	if err != nil {
		return nil, err
	}
	if r.Agents, err = store.ReadTable(filepath.Join(dir, store.AgentsFile)); err != nil {
		return nil, err
	}
	return r, nil
}

// LoadDir is Load for a directory a person named: one that is no run
// directory, or whose files are not a run's, is a *RunDirError (bad
// input); a damaged table stays the *store.DamagedError it is (a
// failure).
func LoadDir(dir string) (*Run, error) { return LoadDirWith(dir, Load) }

// LoadDirWith is LoadDir with another loader (LoadForExplain reads fewer
// columns).
func LoadDirWith(dir string, load func(string) (*Run, error)) (*Run, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, &RunDirError{Msg: dir + ": not a run directory"}
	}
	r, err := load(dir)
	if err != nil && !errors.As(err, new(*store.DamagedError)) {
		return nil, &RunDirError{Msg: err.Error()}
	}
	return r, err
}

// Population regenerates the run's synthetic population (and graph), which
// is a pure function of the scenario, size and seed.
func (r *Run) Population() *population.Population {
	if r.pop == nil {
		r.pop = population.Generate(r.Scenario, r.Manifest.Agents, r.Manifest.Seed)
	}
	return r.pop
}

func (r *Run) ints(name string) []int64     { return r.Agents.Cols[name].Int }
func (r *Run) floats(name string) []float64 { return r.Agents.Cols[name].Float }
func (r *Run) bools(name string) []bool     { return r.Agents.Cols[name].Bool }
func (r *Run) strs(name string) []string    { return r.Agents.Cols[name].Str }
