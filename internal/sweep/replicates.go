package sweep

import (
	"fmt"
	"os"

	"github.com/nosedive-lab/nosedive/internal/audit"
)

// ReplicateDirs resolves `RUN RUN...` (point -1) or `SWEEP_DIR --point P`
// to the run directories of one design's replicates; warn receives each
// replicate of the point that is not done (it is left out).
func ReplicateDirs(args []string, point int, warn func(string)) ([]string, error) {
	if point < -1 {
		return nil, badInput("--point %d: points are numbered from 0", point)
	}
	if point == -1 && !(len(args) == 1 && IsDir(args[0])) {
		return args, nil
	}
	if len(args) != 1 {
		return nil, badInput("--point takes one sweep directory, got %d arguments", len(args))
	}
	dir := args[0]
	m, err := ReadManifest(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, badInput("%s is not a sweep directory (no %s); --point needs one", dir, ManifestFile)
		}
		return nil, badInput("%v", err)
	}
	last := len(m.Points) - 1
	if point == -1 {
		return nil, badInput("%s is a sweep directory: pick a design point with --point P (0 to %d); `nosedive sweep summarize %s` lists them", dir, last, dir)
	}
	if point > last {
		return nil, badInput("--point %d: sweep %s has points 0 to %d", point, m.Name, last)
	}
	dirs, notDone := m.PointRuns(dir, point)
	for _, r := range notDone {
		warn(fmt.Sprintf("point %d: replicate %d (%s) is not done; left out", point, r.Replicate, r.ID))
	}
	return dirs, nil
}

// Replicates resolves a replicate set as ReplicateDirs does, audits it
// (set.Dirs is filled in; see audit.ReplicateSet) and summarises it with
// the t-intervals of MeanCI. It returns the summary, each replicate's
// audit and the run directories.
func Replicates(args []string, point int, set audit.ReplicateSet, warn func(string)) (*audit.Replicates, []*audit.Report, []string, error) {
	dirs, err := ReplicateDirs(args, point, warn)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(dirs) < 2 {
		what := fmt.Sprintf("%d run", len(dirs))
		if point >= 0 {
			what = fmt.Sprintf("point %d has %d finished replicate(s)", point, len(dirs))
		}
		return nil, nil, nil, badInput("%s: a single run gives no interval; use `nosedive audit RUN` (or `report RUN`) for one run, or give two or more replicates", what)
	}
	set.Dirs = dirs
	reps, ms, err := set.Load()
	if err != nil {
		return nil, reps, dirs, err
	}
	s, err := audit.Summarize(reps, ms, meanCI)
	return s, reps, dirs, err
}

// meanCI is MeanCI, the t-interval of `sweep summarize`, in the shape
// audit.Summarize takes.
func meanCI(xs []float64) (mean, lo, hi float64, n int) {
	st := MeanCI(xs)
	return st.Mean, st.Lo, st.Hi, st.N
}
