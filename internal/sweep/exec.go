package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Names inside a sweep directory (docs/experiments.md).
const (
	ManifestFile = "sweep.json"
	RunsDir      = "runs"
	ResultsDir   = "results"
	FailuresFile = "failures.jsonl"
	AuditFile    = "audit.json"
	stagingDir   = ".staging"
)

// FormatVersion is the sweep directory format.
const FormatVersion = 1

// Run is one run of a sweep: a point, a replicate and its seed.
type Run struct {
	Point     int    `json:"point"`
	Replicate int    `json:"replicate"`
	Seed      uint64 `json:"seed"`
	ID        string `json:"id"`
}

// Run returns run k of the sweep, in point-major order
// (k = point x replicates + replicate).
func (s *Sweep) Run(k int) Run {
	p, r := k/s.Replicates, k%s.Replicates
	pw := max(4, len(fmt.Sprint(len(s.Points)-1)))
	rw := max(2, len(fmt.Sprint(s.Replicates-1)))
	return Run{Point: p, Replicate: r, Seed: s.SeedOf(p, r), ID: fmt.Sprintf("p%0*d-r%0*d", pw, p, rw, r)}
}

// SeedOf derives the seed of a run from the base seed and the replicate
// (and the point, only when common random numbers are off). With common
// random numbers, replicate r uses the same seed at every point, so the
// points' differences are not sampling noise.
func (s *Sweep) SeedOf(point, replicate int) uint64 {
	x := mix(s.Seed ^ mix(uint64(replicate)+1))
	if !s.CRN {
		x = mix(x ^ mix(uint64(point)+0x9e3779b97f4a7c15))
	}
	return x >> 1 // keep seeds within int64 for the tables
}

// mix is the splitmix64 finaliser.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Manifest is sweep.json: the sweep (its file and scenario text, design,
// points with their values), every run's seed, and the status last seen.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	PlanSHA256    string `json:"plan_sha256"`
	// Nosedive is the nosedive that created the sweep directory; every
	// process that adds runs to it must be the same version.
	Nosedive store.Build `json:"nosedive"`
	*Sweep
	Runs   []Run  `json:"runs"`
	Status Status `json:"status"`
}

// Status counts runs; it is refreshed when a sweep process ends and by
// `sweep summarize` (shards of one sweep write it in turn).
type Status struct {
	Runs    int    `json:"runs"`
	Done    int    `json:"done"`
	Failed  int    `json:"failed"` // runs not done with a recorded failure
	Updated string `json:"updated"`
}

// PlanHash identifies what a sweep computes: everything in it but the
// path it was read from, and the nosedive version.
func (s *Sweep) PlanHash() string {
	c := *s
	c.File = ""
	b, _ := json.Marshal(&c)
	h := sha256.New()
	h.Write(b)
	h.Write([]byte("\x00" + runner.Version))
	return hex.EncodeToString(h.Sum(nil))
}

// sameVersion refuses to add runs to a sweep made by another nosedive:
// its tables would mix the results of two engines.
func sameVersion(dir string, b store.Build) error {
	if b.Version == runner.Version {
		return nil
	}
	was := b.Version
	if was == "" {
		was = "a nosedive that did not record its version"
	}
	if b.Commit != "" {
		was += " (commit " + b.Commit + ")"
	}
	now := runner.Version
	if c := runner.Build().Commit; c != "" {
		now += " (commit " + c + ")"
	}
	return &ConflictError{Msg: fmt.Sprintf("%s was made by nosedive %s, this is nosedive %s: its results would mix two engines; continue it with the nosedive that started it, or use another --out", filepath.Join(dir, ManifestFile), was, now)}
}

// ConflictError says a sweep directory exists and cannot be used as asked.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// Options say how to execute a sweep.
type Options struct {
	Dir     string // the sweep directory, <out>/<name>
	Jobs    int    // runs at once (>= 1)
	Workers int    // engine workers per run (>= 1)
	// Shard I of Shards (0 <= I < Shards) runs the runs k with k mod Shards = I.
	Shard, Shards int
	// Resume continues a sweep directory that exists; shards always do.
	Resume   bool
	Progress func(Progress)
	Now      func() time.Time
}

// Progress is reported after every finished run.
type Progress struct {
	Total   int           // runs of this process (this shard, not yet done at start)
	Done    int           // finished here so far
	Failed  int           // failed here so far
	Skipped int           // already done when this process started
	Elapsed time.Duration // since the first run started
	ETA     time.Duration
	Last    Run
	Err     error // the last run's error, if it failed
}

// Outcome is what Execute did.
type Outcome struct {
	Runs, Skipped, Done, Failed int
	Elapsed                     time.Duration
}

// Failure is one line of failures.jsonl.
type Failure struct {
	Point     int    `json:"point"`
	Replicate int    `json:"replicate"`
	Seed      uint64 `json:"seed"`
	ID        string `json:"id"`
	Error     string `json:"error"`
	Time      string `json:"time"`
}

// Execute runs the sweep's runs (this shard's, not yet done) in parallel,
// writing each run directory and its result fragments as it finishes. A
// run that fails is recorded in failures.jsonl and the sweep continues.
// When ctx is cancelled, runs in flight are abandoned (leaving nothing
// half written) and ctx's error is returned; --resume continues.
func Execute(ctx context.Context, s *Sweep, opt Options) (*Outcome, error) {
	opt = withDefaults(opt)
	now := opt.Now
	if err := prepare(s, opt, now); err != nil {
		return nil, err
	}
	todo, out := pending(s, opt)
	// Leftovers of this shard's unfinished runs (a kill -9) go first.
	for _, r := range todo {
		cleanRun(opt.Dir, r.ID)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &tally{opt: opt, out: out, total: len(todo), start: now(), cancel: cancel}
	runPool(ctx, s, opt, todo, func(r Run, err error) { t.finish(ctx, r, err) })
	out.Elapsed = now().Sub(t.start)
	return conclude(ctx, opt, todo, out, t.firstErr)
}

// withDefaults fills opt's unset fields: the clock, and at least one
// shard, job and worker.
func withDefaults(opt Options) Options {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Shards < 1 {
		opt.Shards = 1
	}
	if opt.Jobs < 1 {
		opt.Jobs = 1
	}
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	return opt
}

// pending lists this shard's runs not yet complete, in order, and starts
// the Outcome with the complete ones counted as skipped.
func pending(s *Sweep, opt Options) ([]Run, *Outcome) {
	var todo []Run
	out := &Outcome{}
	for k := opt.Shard; k < s.Runs(); k += opt.Shards {
		r := s.Run(k)
		if complete(opt.Dir, r.ID) {
			out.Skipped++
			continue
		}
		todo = append(todo, r)
	}
	out.Runs = len(todo) + out.Skipped
	return todo, out
}

// tally is Execute's bookkeeping of finished runs: the counts, the
// failures recorded, the progress reported and the first error of its own.
type tally struct {
	mu       sync.Mutex
	opt      Options
	out      *Outcome
	total    int // the runs to do
	start    time.Time
	cancel   context.CancelFunc
	firstErr error // writing failures.jsonl failed; the sweep stops
}

// finish counts run r, which ended with err, records it in
// failures.jsonl if it failed and reports progress; a run interrupted by
// ctx's cancellation is not counted.
func (t *tally) finish(ctx context.Context, r Run, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, now := t.out, t.opt.Now
	if err != nil && ctx.Err() != nil {
		return // interrupted, not failed
	}
	if err != nil {
		out.Failed++
		if ferr := appendFailure(t.opt.Dir, r, err, now()); ferr != nil && t.firstErr == nil {
			t.firstErr = ferr
			t.cancel()
		}
	} else {
		out.Done++
	}
	if t.opt.Progress != nil {
		finished := out.Done + out.Failed
		el := now().Sub(t.start)
		eta := time.Duration(float64(el) / float64(finished) * float64(t.total-finished))
		t.opt.Progress(Progress{Total: t.total, Done: out.Done, Failed: out.Failed, Skipped: out.Skipped,
			Elapsed: el, ETA: eta, Last: r, Err: err})
	}
}

// runPool runs todo on opt.Jobs workers, handing each run's result to
// finish, until all have run or ctx is cancelled; it returns when the
// workers have stopped.
func runPool(ctx context.Context, s *Sweep, opt Options, todo []Run, finish func(Run, error)) {
	var (
		wg   sync.WaitGroup
		next = make(chan Run)
	)
	for range min(opt.Jobs, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				finish(r, runOne(ctx, s, opt, r))
			}
		}()
	}
feed:
	for _, r := range todo {
		select {
		case next <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}

// conclude ends Execute after the pool: with the bookkeeping's error, or
// on interruption by removing the unfinished runs' leftovers, else by
// refreshing the sweep's status.
func conclude(ctx context.Context, opt Options, todo []Run, out *Outcome, firstErr error) (*Outcome, error) {
	if firstErr != nil {
		return out, firstErr
	}
	if err := ctx.Err(); err != nil {
		for _, r := range todo {
			if !complete(opt.Dir, r.ID) {
				cleanRun(opt.Dir, r.ID)
			}
		}
		os.Remove(filepath.Join(opt.Dir, stagingDir)) // only when empty
		return out, err
	}
	os.Remove(filepath.Join(opt.Dir, stagingDir)) // only when empty: other shards may be using it
	if _, err := RefreshStatus(opt.Dir, opt.Now()); err != nil {
		return out, err
	}
	return out, nil
}

// prepare creates the sweep directory and sweep.json, or checks that an
// existing one holds the same sweep.
func prepare(s *Sweep, opt Options, now func() time.Time) error {
	m, err := ReadManifest(opt.Dir)
	switch {
	case err == nil:
		if err := sameVersion(opt.Dir, m.Nosedive); err != nil {
			return err
		}
		if m.PlanSHA256 != s.PlanHash() {
			return &ConflictError{Msg: fmt.Sprintf("%s holds a different sweep (the sweep file, its scenario or the nosedive version changed); use another --out or remove it", opt.Dir)}
		}
		if !opt.Resume && opt.Shards <= 1 {
			return &ConflictError{Msg: fmt.Sprintf("%s exists; continue it with --resume, or use another --out", opt.Dir)}
		}
	case errors.Is(err, os.ErrNotExist):
		if opt.Resume && opt.Shards <= 1 {
			if _, serr := os.Stat(opt.Dir); serr != nil {
				return &ConflictError{Msg: fmt.Sprintf("--resume: there is no sweep to continue in %s", opt.Dir)}
			}
		}
	default:
		return err
	}
	for _, d := range []string{RunsDir, ResultsDir, stagingDir} {
		if err := os.MkdirAll(filepath.Join(opt.Dir, d), 0o755); err != nil {
			return fmt.Errorf("create sweep directory: %w", err)
		}
	}
	if m != nil {
		return nil
	}
	m = &Manifest{FormatVersion: FormatVersion, PlanSHA256: s.PlanHash(), Nosedive: runner.Build(), Sweep: s}
	for k := range s.Runs() {
		m.Runs = append(m.Runs, s.Run(k))
	}
	m.Status = Status{Runs: s.Runs(), Updated: now().UTC().Format(time.RFC3339)}
	return writeManifest(opt.Dir, m)
}

func writeManifest(dir string, m *Manifest) error {
	return store.WriteAtomic(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// ReadManifest reads a sweep directory's sweep.json. A missing file is
// reported with an error wrapping os.ErrNotExist.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.FormatVersion != FormatVersion || m.Sweep == nil {
		return nil, fmt.Errorf("%s: not a sweep manifest of format %d", filepath.Join(dir, ManifestFile), FormatVersion)
	}
	return m, nil
}

// RefreshStatus recounts done and failed runs and rewrites sweep.json.
func RefreshStatus(dir string, now time.Time) (*Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	failed := map[string]bool{}
	for _, f := range ReadFailures(dir) {
		failed[f.ID] = true
	}
	st := Status{Runs: len(m.Runs), Updated: now.UTC().Format(time.RFC3339)}
	for _, r := range m.Runs {
		switch {
		case complete(dir, r.ID):
			st.Done++
		case failed[r.ID]:
			st.Failed++
		}
	}
	m.Status = st
	return m, writeManifest(dir, m)
}

// ReadFailures reads failures.jsonl (skipping a torn last line).
func ReadFailures(dir string) []Failure {
	b, err := os.ReadFile(filepath.Join(dir, FailuresFile))
	if err != nil {
		return nil
	}
	var out []Failure
	for _, line := range strings.Split(string(b), "\n") {
		var f Failure
		if json.Unmarshal([]byte(line), &f) == nil && f.ID != "" {
			out = append(out, f)
		}
	}
	return out
}

func appendFailure(dir string, r Run, err error, now time.Time) error {
	line, _ := json.Marshal(Failure{Point: r.Point, Replicate: r.Replicate, Seed: r.Seed, ID: r.ID,
		Error: err.Error(), Time: now.UTC().Format(time.RFC3339)})
	f, ferr := os.OpenFile(filepath.Join(dir, FailuresFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if ferr != nil {
		return fmt.Errorf("record a failed run: %w", ferr)
	}
	// One write per line: appends from several shards do not interleave.
	if _, ferr = f.Write(append(line, '\n')); ferr != nil {
		f.Close()
		return fmt.Errorf("record a failed run: %w", ferr)
	}
	return f.Close()
}

// Fragment names of a run in results/.
func dailyFragment(id string) string { return "daily-" + id + ".parquet" }
func auditFragment(id string) string { return "audit-" + id + ".parquet" }
func institutionsFragment(id string) string {
	return "institutions-" + id + ".parquet"
}

// complete reports whether a run is done: its run directory and both
// result fragments exist (each appears atomically, the audit fragment last).
func complete(dir, id string) bool {
	for _, p := range []string{
		filepath.Join(dir, RunsDir, id, store.ManifestFile),
		filepath.Join(dir, ResultsDir, dailyFragment(id)),
		filepath.Join(dir, ResultsDir, auditFragment(id)),
	} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// cleanRun removes whatever an unfinished attempt at run id left.
func cleanRun(dir, id string) {
	os.Remove(filepath.Join(dir, ResultsDir, auditFragment(id)))
	os.Remove(filepath.Join(dir, ResultsDir, dailyFragment(id)))
	os.Remove(filepath.Join(dir, ResultsDir, institutionsFragment(id)))
	os.RemoveAll(filepath.Join(dir, RunsDir, id))
	os.RemoveAll(filepath.Join(dir, stagingDir, id))
	for _, pat := range []string{
		filepath.Join(dir, stagingDir, ".tmp-"+id+"-*"),
		filepath.Join(dir, ResultsDir, ".tmp-*-"+id+".parquet-*"),
	} {
		olds, _ := filepath.Glob(pat)
		for _, o := range olds {
			os.RemoveAll(o)
		}
	}
}

// execute runs one run; tests replace it to inject failures.
var execute = runner.Execute

// runOne executes one run into the staging area, audits it, trims it to
// the files the sweep keeps, moves it into runs/ and writes its fragments.
func runOne(ctx context.Context, s *Sweep, opt Options, r Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("run %s panicked: %v\n%s", r.ID, p, debug.Stack())
		}
		if err != nil {
			cleanRun(opt.Dir, r.ID)
		}
	}()
	sets := s.PointSets(r.Point)
	sc, err := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), sets)
	if err != nil {
		return err
	}
	ledger := "none"
	if slices.Contains(s.Keep, KeepLedger) {
		ledger = sc.Run.Ledger
	}
	info := &store.SweepInfo{ID: s.Name, Point: r.Point, Replicate: r.Replicate}
	for k, p := range s.Params {
		info.Params = append(info.Params, store.SweepParam{Path: p.Path, Value: s.Points[r.Point].Values[k]})
	}
	staging := filepath.Join(opt.Dir, stagingDir)
	res, err := execute(ctx, runner.Spec{Scenario: sc, Sets: sets, Agents: s.Agents, Days: s.Days,
		Seed: r.Seed, Workers: opt.Workers, Ledger: ledger, OutDir: staging, ID: r.ID, Sweep: info})
	if err != nil {
		return err
	}
	run, err := audit.Load(res.Dir)
	if err != nil {
		return err
	}
	rep, err := audit.Compute(run, audit.Options{})
	if err != nil {
		return err
	}
	if err := store.WriteAtomic(filepath.Join(res.Dir, AuditFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}); err != nil {
		return err
	}
	metrics := auditMetrics(rep, res.Manifest, s.Metrics)
	run = nil
	if !slices.Contains(s.Keep, KeepAgents) {
		if err := os.Remove(filepath.Join(res.Dir, store.AgentsFile)); err != nil {
			return err
		}
		m := res.Manifest
		m.Files = slices.DeleteFunc(m.Files, func(f string) bool { return f == store.AgentsFile })
		if err := store.WriteAtomic(filepath.Join(res.Dir, store.ManifestFile), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(m)
		}); err != nil {
			return err
		}
	}
	final := filepath.Join(opt.Dir, RunsDir, r.ID)
	if err := os.Rename(res.Dir, final); err != nil {
		return fmt.Errorf("move run into place: %w", err)
	}
	if err := store.SyncDir(filepath.Dir(final)); err != nil {
		return err
	}
	results := filepath.Join(opt.Dir, ResultsDir)
	if err := store.WriteAtomic(filepath.Join(results, dailyFragment(r.ID)), func(w io.Writer) error {
		return s.writeDailyFragment(w, r, final, res.Manifest)
	}); err != nil {
		return err
	}
	// Before the audit fragment, which says the run is complete.
	if len(res.Manifest.Institutions) > 0 {
		if err := store.WriteAtomic(filepath.Join(results, institutionsFragment(r.ID)), func(w io.Writer) error {
			return s.writeInstitutionsFragment(w, r, final, res.Manifest)
		}); err != nil {
			return err
		}
	}
	return store.WriteAtomic(filepath.Join(results, auditFragment(r.ID)), func(w io.Writer) error {
		return s.writeAuditFragment(w, r, res.Manifest, metrics)
	})
}
