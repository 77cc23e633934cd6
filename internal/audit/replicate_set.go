package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// ReportFile is the audit's output inside a run directory.
const ReportFile = "audit.json"

// ReadOrCompute returns the audit.json of the run r, or, when it has
// none it can read, a basic audit of it (Compute with default Options).
func ReadOrCompute(r *Run) (*Report, error) {
	if rep, err := ReadReport(r.Dir); err == nil {
		return rep, nil
	}
	return Compute(r, Options{})
}

// ReadReport reads the audit.json of a run directory.
func ReadReport(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, ReportFile), err)
	}
	return &rep, nil
}

// WriteReport writes rep as the audit.json of a run directory,
// atomically. An attribution that an earlier audit.json holds (from
// `nosedive attribute`) is kept when rep has none.
func WriteReport(dir string, rep *Report) error {
	if rep.Attribution == nil {
		if old, err := ReadReport(dir); err == nil && old.Attribution != nil {
			rep.Attribution = old.Attribution
		}
	}
	return store.WriteJSONAtomic(filepath.Join(dir, ReportFile), rep)
}

// RunDirError says a directory given as a run cannot be audited (it is no
// run directory, or keeps neither the tables nor an audit that would do).
type RunDirError struct{ Msg string }

func (e *RunDirError) Error() string { return e.Msg }

// ReplicateSet is a set of replicate runs to audit together.
type ReplicateSet struct {
	Dirs    []string
	Options Options
	// Stored reads each audit.json that exists instead of computing it,
	// and writes none (the report); otherwise each run that keeps its
	// agents table is audited and its audit.json written.
	Stored bool
}

// defaults reports whether the options are those every stored audit.json
// of a sweep run was computed with.
func (o Options) defaults() bool {
	return o.Reference == "" && (len(o.By) == 0 || slices.Equal(o.By, []string{"group", "region"})) &&
		(o.MinGroup == 0 || o.MinGroup == DefaultMinGroup)
}

// Load audits each replicate as a single-run audit does when the run
// keeps its agents table, and reads its audit.json otherwise (sweep runs
// keep only aggregates by default), after CheckReplicates on their
// manifests. With no Reference, every replicate is compared against the
// group the first one picks, so that the disparities compare like with
// like.
func (rs ReplicateSet) Load() ([]*Report, []*store.Manifest, error) {
	var ms []*store.Manifest
	for _, d := range rs.Dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, nil, &RunDirError{fmt.Sprintf("%s: not a run directory", d)}
		}
		m, err := store.ReadManifest(d)
		if err != nil {
			return nil, nil, &RunDirError{fmt.Sprintf("%s: not a run directory: %v", d, err)}
		}
		ms = append(ms, m)
	}
	if err := CheckReplicates(ms); err != nil {
		return nil, nil, err
	}
	opts := rs.Options
	var reps []*Report
	for _, d := range rs.Dirs {
		if rs.Stored {
			if rep, err := ReadReport(d); err == nil {
				reps = append(reps, rep)
				continue
			}
		}
		if _, err := os.Stat(filepath.Join(d, store.AgentsFile)); err != nil {
			rep, err := ReadReport(d)
			if err != nil {
				return nil, nil, &RunDirError{fmt.Sprintf("%s keeps neither its agents table nor an audit.json, so it cannot be audited", d)}
			}
			if !rs.Options.defaults() {
				return nil, nil, &RunDirError{fmt.Sprintf("%s keeps no agents table (a sweep run without keep: [agents]); its stored audit.json has the default --by, --reference and --min-group, so those flags cannot apply", d)}
			}
			reps = append(reps, rep)
			continue
		}
		run, err := Load(d)
		if err != nil {
			return nil, nil, &RunDirError{err.Error()}
		}
		rep, err := Compute(run, opts)
		if err != nil {
			return nil, nil, err
		}
		if !rs.Stored {
			if err := WriteReport(d, rep); err != nil {
				return nil, nil, err
			}
		}
		if opts.Reference == "" {
			opts.Reference = rep.Reference
		}
		reps = append(reps, rep)
	}
	return reps, ms, nil
}
