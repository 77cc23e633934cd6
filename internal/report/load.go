package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// LoadRun loads the run in dir for a report: every table, or, when
// aggregates is set and the run keeps no agents table (a sweep run), the
// manifest, scenario and daily aggregates (audit.LoadAggregates). A
// directory that is no run is an *audit.RunDirError (bad input); a
// damaged table in it is an error naming the file (a failure).
func LoadRun(dir string, aggregates bool) (*audit.Run, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, &audit.RunDirError{Msg: dir + ": not a run directory"}
	}
	var run *audit.Run
	if _, serr := os.Stat(filepath.Join(dir, store.AgentsFile)); aggregates && serr != nil {
		run, err = audit.LoadAggregates(dir)
	} else {
		run, err = audit.Load(dir)
	}
	var de *store.DamagedError
	switch {
	case errors.As(err, &de):
		return nil, fmt.Errorf("report %s: %w (run it again, or remove it)", dir, err)
	case err != nil:
		return nil, &audit.RunDirError{Msg: fmt.Sprintf("%s: %v", dir, err)}
	}
	return run, nil
}
