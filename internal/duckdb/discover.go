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
	ledgerFile   = "ledger.parquet"
	instFile     = "institutions.parquet"
	traceFile    = "trace.parquet"
	eventsFile   = "trace_events.parquet"
	auditFile    = "audit.json"
	sweepFile    = "sweep.json"
	resultsDir   = "results"
)

// Catalog is what Discover found under a store root.
type Catalog struct {
	Root   string
	Runs   []RunDir
	Sweeps []SweepDir
	// Damaged lists the files left out because they failed the cheap
	// checks of checkJSON and checkParquet, in path order.
	Damaged []Damage
}

// RunDir is one run directory: a directory holding run.json.
type RunDir struct {
	ID  string // the directory name
	Dir string // the path, Root joined with the directory's place under it
	// Which of the optional files are present; the Parquet files pass
	// checkParquet.
	Daily, Agents, Ledger, Audit bool
	// Institutions: the run has institutions.parquet (a scenario with
	// institutions).
	Institutions bool
	// Trace and TraceEvents: the record of the ledger sample
	// (trace.parquet, trace_events.parquet).
	Trace, TraceEvents bool
}

// SweepDir is one sweep directory: a directory holding sweep.json, whose
// runs are ordinary run directories below it and whose tidy tables are
// results/daily*.parquet and results/audit*.parquet.
type SweepDir struct {
	ID    string // the directory name
	Dir   string
	Daily []string // results/daily*.parquet, sorted
	Audit []string // results/audit*.parquet, sorted
	// Institutions are results/institutions*.parquet, sorted (runs of a
	// scenario with institutions).
	Institutions []string
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
// Runs and sweeps are sorted by path. A run whose run.json fails
// checkJSON is left out, a run file or sweep file that fails its check
// is marked absent; both are listed in Damaged. A directory that cannot
// be read is listed there too and not searched.
func Discover(root string) (*Catalog, error) {
	real, err := storeDir(root)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Root: root}
	if err := c.walk(root, real); err != nil {
		return nil, fmt.Errorf("search store %s: %w", root, err)
	}
	c.sortByPath()
	return c, nil
}

// storeDir checks that root is a directory and returns the directory it
// names after symbolic links.
func storeDir(root string) (string, error) {
	st, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = errors.New("no such directory")
		}
		return "", &NotFoundError{Root: root, Err: err}
	}
	if !st.IsDir() {
		return "", &NotFoundError{Root: root, Err: errors.New("not a directory")}
	}
	// The root may be a symbolic link (runs -> /data/runs); WalkDir would
	// not enter it, so walk its target and name paths under root.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", &NotFoundError{Root: root, Err: err}
	}
	return real, nil
}

// walk visits the directories under real, naming them under root, and
// adds each run and sweep directory it finds; it does not enter runs or
// hidden directories, nor directories it cannot read (listed in Damaged).
func (c *Catalog) walk(root, real string) error {
	return filepath.WalkDir(real, func(walked string, d fs.DirEntry, err error) error {
		if err != nil {
			if walked == real {
				return err
			}
			// A directory that cannot be read (permissions) hides its
			// runs, not the store's.
			c.Damaged = append(c.Damaged, Damage{Run: walked, File: walked, Skipped: skippedDir, Err: err})
			return filepath.SkipDir
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
		has, err := regularFiles(path)
		if err != nil {
			if rel == "." {
				return err
			}
			c.Damaged = append(c.Damaged, Damage{Run: path, File: path, Skipped: skippedDir, Err: err})
			return filepath.SkipDir
		}
		if has[manifestFile] {
			c.addRun(path, has)
			return filepath.SkipDir
		}
		if has[sweepFile] {
			c.addSweep(path)
		}
		return nil
	})
}

// regularFiles lists the names of the files (not subdirectories) in dir.
func regularFiles(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			has[e.Name()] = true
		}
	}
	return has, nil
}

// addRun checks the run directory at path, whose files are has, and adds
// it with the optional files that pass their checks; a run.json that
// fails leaves the run out.
func (c *Catalog) addRun(path string, has map[string]bool) {
	if err := checkJSON(filepath.Join(path, manifestFile)); err != nil {
		c.Damaged = append(c.Damaged, Damage{Run: path, File: filepath.Join(path, manifestFile), Skipped: skippedRun, Err: err})
		return
	}
	present := func(name, view string, check func(string) error) bool {
		if !has[name] {
			return false
		}
		p := filepath.Join(path, name)
		if err := check(p); err != nil {
			c.Damaged = append(c.Damaged, Damage{Run: path, File: p, Skipped: view, Err: err})
			return false
		}
		return true
	}
	c.Runs = append(c.Runs, RunDir{ID: filepath.Base(path), Dir: path,
		Daily:        present(dailyFile, "daily", checkParquet),
		Agents:       present(agentsFile, "agents", checkParquet),
		Ledger:       present(ledgerFile, "ledger", checkParquet),
		Institutions: present(instFile, "institutions", checkParquet),
		Trace:        present(traceFile, "trace", checkParquet),
		TraceEvents:  present(eventsFile, "trace_events", checkParquet),
		// audit.json is read whole to check it, which waits
		// until a query uses the audit view (DB.screen).
		Audit: has[auditFile]})
}

// addSweep checks the sweep directory at path and adds it with its tidy
// tables; a sweep.json that fails leaves the sweep out (its runs are
// still found as runs).
func (c *Catalog) addSweep(path string) {
	if err := checkJSON(filepath.Join(path, sweepFile)); err != nil {
		// The sweep's runs are still runs; only the sweep's own
		// files are left out.
		c.Damaged = append(c.Damaged, Damage{Run: path, File: filepath.Join(path, sweepFile), Skipped: skippedSweep, Err: err})
		return
	}
	s := SweepDir{ID: filepath.Base(path), Dir: path}
	c.addResults(&s)
	sort.Strings(s.Daily)
	sort.Strings(s.Audit)
	sort.Strings(s.Institutions)
	c.Sweeps = append(c.Sweeps, s)
}

// addResults lists the sweep's results/daily*, audit* and
// institutions*.parquet that pass checkParquet (in directory order).
func (c *Catalog) addResults(s *SweepDir) {
	path := s.Dir
	res := filepath.Join(path, resultsDir)
	if rs, err := os.ReadDir(res); err == nil {
		for _, e := range rs {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".parquet") {
				continue
			}
			p := filepath.Join(res, n)
			var list *[]string
			switch {
			case strings.HasPrefix(n, "daily"):
				list = &s.Daily
			case strings.HasPrefix(n, "audit"):
				list = &s.Audit
			case strings.HasPrefix(n, "institutions"):
				list = &s.Institutions
			default:
				continue
			}
			if err := checkParquet(p); err != nil {
				view := "sweep_daily"
				switch list {
				case &s.Audit:
					view = "sweep_audit"
				case &s.Institutions:
					view = "sweep_institutions"
				}
				c.Damaged = append(c.Damaged, Damage{Run: path, File: p, Skipped: view, Err: err})
				continue
			}
			*list = append(*list, p)
		}
	}
}

// sortByPath orders runs and sweeps by path and damaged files by file.
func (c *Catalog) sortByPath() {
	sort.Slice(c.Runs, func(i, j int) bool { return c.Runs[i].Dir < c.Runs[j].Dir })
	sort.Slice(c.Sweeps, func(i, j int) bool { return c.Sweeps[i].Dir < c.Sweeps[j].Dir })
	sort.SliceStable(c.Damaged, func(i, j int) bool { return c.Damaged[i].File < c.Damaged[j].File })
}
