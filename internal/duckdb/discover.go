package duckdb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File names this package looks for. They match internal/store and the
// sweep contract; they are repeated here so that this package needs no
// other part of nosedive.
const (
	manifestFile = "run.json"
	dailyFile    = "daily.parquet"
	agentsFile   = "agents.parquet"
	auditFile    = "audit.json"
	sweepFile    = "sweep.json"
	resultsDir   = "results"
)

// Catalog is what Discover found under a store root.
type Catalog struct {
	Root   string
	Runs   []RunDir
	Sweeps []SweepDir
}

// RunDir is one run directory: a directory holding run.json.
type RunDir struct {
	ID  string // the directory name
	Dir string // the path, Root joined with the directory's place under it
	// Which of the optional files are present.
	Daily, Agents, Audit bool
}

// SweepDir is one sweep directory: a directory holding sweep.json, whose
// runs are ordinary run directories below it and whose tidy tables are
// results/daily*.parquet and results/audit*.parquet.
type SweepDir struct {
	ID    string // the directory name
	Dir   string
	Daily []string // results/daily*.parquet, sorted
	Audit []string // results/audit*.parquet, sorted
}

// NotFoundError says the store root does not exist or is not a directory.
type NotFoundError struct {
	Root string
	Err  error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("store %s: %v (use --store to point at the directory `nosedive run --out` wrote to)", e.Root, e.Err)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// Discover walks root for run and sweep directories. A directory holding
// run.json is a run; its subdirectories (counterfactual twins in twins/)
// are not searched. A directory holding sweep.json is a sweep; it is
// searched further, so the runs under it are found as ordinary runs.
// Hidden directories, among them unfinished runs (.tmp-*), are skipped.
// Runs and sweeps are sorted by path.
func Discover(root string) (*Catalog, error) {
	st, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = errors.New("no such directory")
		}
		return nil, &NotFoundError{Root: root, Err: err}
	}
	if !st.IsDir() {
		return nil, &NotFoundError{Root: root, Err: errors.New("not a directory")}
	}
	c := &Catalog{Root: root}
	// The root may be a symbolic link (runs -> /data/runs); WalkDir would
	// not enter it, so walk its target and name paths under root.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, &NotFoundError{Root: root, Err: err}
	}
	err = filepath.WalkDir(real, func(walked string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(real, walked)
		if err != nil {
			return err
		}
		path := filepath.Join(root, rel)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		has := map[string]bool{}
		for _, e := range entries {
			if !e.IsDir() {
				has[e.Name()] = true
			}
		}
		if has[manifestFile] {
			c.Runs = append(c.Runs, RunDir{ID: filepath.Base(path), Dir: path,
				Daily: has[dailyFile], Agents: has[agentsFile], Audit: has[auditFile]})
			return filepath.SkipDir
		}
		if has[sweepFile] {
			s := SweepDir{ID: filepath.Base(path), Dir: path}
			res := filepath.Join(path, resultsDir)
			if rs, err := os.ReadDir(res); err == nil {
				for _, e := range rs {
					n := e.Name()
					if e.IsDir() || !strings.HasSuffix(n, ".parquet") {
						continue
					}
					switch {
					case strings.HasPrefix(n, "daily"):
						s.Daily = append(s.Daily, filepath.Join(res, n))
					case strings.HasPrefix(n, "audit"):
						s.Audit = append(s.Audit, filepath.Join(res, n))
					}
				}
			}
			sort.Strings(s.Daily)
			sort.Strings(s.Audit)
			c.Sweeps = append(c.Sweeps, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search store %s: %w", root, err)
	}
	sort.Slice(c.Runs, func(i, j int) bool { return c.Runs[i].Dir < c.Runs[j].Dir })
	sort.Slice(c.Sweeps, func(i, j int) bool { return c.Sweeps[i].Dir < c.Sweeps[j].Dir })
	return c, nil
}
