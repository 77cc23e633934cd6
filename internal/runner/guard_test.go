package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// The memory limits are read from fixture trees laid out like a real
// machine's /proc and /sys/fs/cgroup (testdata/cgroup/*), and the smallest
// wins, naming where it came from.
func TestMemoryLimitsFromCgroupFixtures(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		root     string
		want     uint64 // tightest limit, bytes
		source   string // part of its source
		nLimits  int
		noCgroup bool
	}{
		// job: 2 GiB limit less 100 MiB in use, 50 MiB of it page cache;
		// the step's memory.high (3 GiB) is looser; MemAvailable 57 GiB.
		{root: "v2-slurm", want: 2048*mib - 50*mib, source: "cgroup v2 memory.max in /sys/fs/cgroup/system.slice/slurmstepd.scope/job_42", nLimits: 3},
		{root: "v2-docker", want: 1024 * mib, source: "cgroup v2 memory.max in /sys/fs/cgroup (", nLimits: 2},
		{root: "v2-unlimited", want: 8000000 << 10, source: "MemAvailable", nLimits: 1},
		// the host's path is printed; the container's limit is at the
		// mount's root: 512 MiB less 10 MiB in use.
		{root: "v1-kubepods", want: 502 * mib, source: "cgroup v1 memory.limit_in_bytes in /sys/fs/cgroup/memory (", nLimits: 2},
		{root: "v1-unlimited", want: 4000000 << 10, source: "MemAvailable", nLimits: 1},
		{root: "none", want: 0, nLimits: 0},
		// "/../../../etc" stays inside the mount: the file above it is
		// never read.
		{root: "v2-dotdot", want: 4096 * mib, source: "memory.max in /sys/fs/cgroup/etc (", nLimits: 2},
	} {
		t.Run(tc.root, func(t *testing.T) {
			limits := memoryLimits(filepath.Join("testdata", "cgroup", tc.root))
			got := tightest(limits)
			if got.Bytes != tc.want || !strings.Contains(got.Source, tc.source) || len(limits) != tc.nLimits {
				t.Errorf("tightest %d (%q) of %v, want %d (%q) of %d limits", got.Bytes, got.Source, limits, tc.want, tc.source, tc.nLimits)
			}
		})
	}
}

// resetMemoryLimit undoes the soft memory limit a run with a small limit
// set for the process, so later tests do not run under it.
func resetMemoryLimit() { debug.SetMemoryLimit(math.MaxInt64) }

func withSysRoot(t *testing.T, root string) {
	old := sysRoot
	sysRoot = root
	t.Cleanup(func() { sysRoot = old })
}

// A run that does not fit in the cgroup's limit is refused even when the
// host has plenty, the message names the limit, and nothing is created.
// (It failed before: only MemAvailable was read.)
func TestMemoryGuardUsesCgroupLimit(t *testing.T) {
	t.Cleanup(resetMemoryLimit)
	withSysRoot(t, filepath.Join("testdata", "cgroup", "v2-docker"))
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "runs")
	_, err = Execute(context.Background(), Spec{Scenario: sc, Agents: 10_000_000, Days: 1, Seed: 1, Ledger: "none", OutDir: out})
	var me *MemoryError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "memory.max in /sys/fs/cgroup") || me.Have != 1<<30 {
		t.Fatalf("got %v, want a MemoryError naming the cgroup's memory.max", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created its output directory (%v)", err)
	}
	// And --max-memory below the cgroup's limit wins.
	_, err = Execute(context.Background(), Spec{Scenario: sc, Agents: 1_000_000, Days: 1, Seed: 1, Ledger: "none", OutDir: out, MaxMemory: 100 << 20})
	if !errors.As(err, &me) || me.Limit != "--max-memory" {
		t.Fatalf("got %v, want the --max-memory limit", err)
	}
}

// hostile returns a scenario with one behaviour that happens every day to
// everyone, is always detected, and has nRules rules on it (amounts +1
// and -1, so the score never reaches the range's ends). With rate "1" the
// rate is a constant; with "1 + 0 * score" an expression (which the
// typical estimate takes for 0.1).
func hostile(t *testing.T, rate string, nRules int) *scenario.Scenario {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `name: hostile
run: {agents: 2000, days: 10, seed: 1, ledger: all}
population:
  regions:
    - {name: all, share: 1, groups: {a: 1}}
network: {model: none}
surveillance:
  channels:
    - {name: payments, detect: 1.0}
behaviours:
  - {name: always, channel: payments, context: commerce, rate: %q, penalised: true}
scoring:
  range: [0, 100000]
  initial:
    - {group: a, score: 50000}
  rules:
`, rate)
	for k := range nRules {
		fmt.Fprintf(&b, "    - {name: r%d, on: always, amount: %d}\n", k, 1-2*(k%2))
	}
	b.WriteString("tiers:\n  levels:\n    - {name: all}\n")
	sc, err := scenario.Load("hostile.yaml", []byte(b.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// peakSampler records the Go runtime's peak memory (mapped and not
// returned to the OS) while a test runs.
type peakSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func samplePeak() *peakSampler {
	runtime.GC()
	p := &peakSampler{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	p.done.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			p.peak = max(p.peak, s[0].Value.Uint64()-s[1].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	})
	return p
}

func (p *peakSampler) Stop() uint64 { close(p.stop); p.done.Wait(); return p.peak }

// On a hostile scenario (an always-on behaviour with 20 rules, --ledger
// all) the ledger's bound holds the rows recorded, and the guard's
// estimate holds the measured peak. (The old estimate was below both: it
// counted no release or clamp entries, 12 bytes a row and no day buffers.)
func TestLedgerBoundHoldsOnHostileScenario(t *testing.T) {
	sc := hostile(t, "1", 20)
	const agents, days = 4000, 12
	spec := Spec{Scenario: sc, Agents: agents, Days: days, Seed: 1, Ledger: "all", OutDir: t.TempDir()}
	bound, dayBound := ledgerBounds(sc, agents, days, "all")
	need := EstimateMemory(sc, agents) + 80*dayBound + bound*ledgerRowBytes(false)
	p := samplePeak()
	res, err := Execute(context.Background(), spec)
	peak := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	tab, err := store.ReadTable(filepath.Join(res.Dir, store.LedgerFile), "agent")
	if err != nil {
		t.Fatal(err)
	}
	rows := uint64(tab.Rows)
	t.Logf("ledger rows %d, bound %d; peak %.1f MiB, estimate %.1f MiB", rows, bound, float64(peak)/(1<<20), float64(need)/(1<<20))
	if rows > bound || rows < agents*days*20 {
		t.Errorf("recorded %d rows, bound %d (want rows <= bound, rows >= %d)", rows, bound, agents*days*20)
	}
	if peak > need {
		t.Errorf("peak %d bytes above the guard's estimate %d", peak, need)
	}
	// For the sample, the bound is above the sampled rows too.
	res, err = Execute(context.Background(), Spec{Scenario: sc, Agents: agents, Days: days, Seed: 1, Ledger: "sample:0.05", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tab, _ = store.ReadTable(filepath.Join(res.Dir, store.LedgerFile), "agent")
	if b := LedgerBound(sc, agents, days, "sample:0.05"); uint64(tab.Rows) > b {
		t.Errorf("sample: recorded %d rows, bound %d", tab.Rows, b)
	}
}

// A scenario whose ledger would not fit is refused before it starts (a
// constant rate: the expected ledger is known), or, when the rate is an
// expression that the typical estimate underrates, stopped with a clear
// error when the ledger reaches the rows that fit, the peak staying under
// the limit and nothing left behind. (Before, the first was accepted under
// --max-memory 300MiB at 198 MiB and peaked at 2.78 GB.)
func TestLedgerCannotOutgrowTheLimit(t *testing.T) {
	t.Cleanup(resetMemoryLimit)
	const agents, days = 20000, 20
	out := t.TempDir()
	_, err := Execute(context.Background(), Spec{Scenario: hostile(t, "1", 20), Agents: agents, Days: days, Seed: 1,
		Ledger: "all", OutDir: out, MaxMemory: 200 << 20})
	var me *MemoryError
	if !errors.As(err, &me) || me.Rows != 0 {
		t.Fatalf("got %v, want a MemoryError before the run", err)
	}
	sc := hostile(t, "1 + 0 * score", 20)
	for _, every := range []int{0, 2} {
		limit := uint64(250 << 20)
		p := samplePeak()
		_, err = Execute(context.Background(), Spec{Scenario: sc, Agents: agents, Days: days, Seed: 1,
			Ledger: "all", OutDir: out, MaxMemory: limit, CheckpointEvery: every})
		peak := p.Stop()
		if !errors.As(err, &me) || me.Rows == 0 || !strings.Contains(err.Error(), "stopped: the ledger reached") {
			t.Fatalf("checkpoint-every %d: got %v, want the ledger stopped at its row limit", every, err)
		}
		t.Logf("checkpoint-every %d: stopped at %d rows, peak %.1f MiB under %.1f MiB", every, me.Rows, float64(peak)/(1<<20), float64(limit)/(1<<20))
		if peak > limit {
			t.Errorf("checkpoint-every %d: peak %d above the limit %d", every, peak, limit)
		}
		entries, _ := os.ReadDir(out)
		if every == 0 && len(entries) != 0 {
			t.Errorf("a stopped run left %v", entries[0].Name())
		}
		if every > 0 && (me.Kept == "" || len(entries) != 1) {
			t.Errorf("a stopped checkpointed run kept %q (%d entries), want its checkpoints kept", me.Kept, len(entries))
		}
	}
}

// Runs started together into one --out, in the same second (the same Now),
// all finish, each in its own directory; with checkpoints too. (Before,
// all but one failed with "move run into place: file exists" and lost
// their checkpoints.)
func TestConcurrentRunsIntoOneOut(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const runs = 6
	dirs := make([]string, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for k := range runs {
		wg.Go(func() {
			res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 2000, Days: 6, Seed: 1, Ledger: "none",
				OutDir: out, Workers: 1, CheckpointEvery: k % 2 * 2, Now: func() time.Time { return at }})
			if err == nil {
				dirs[k] = filepath.Base(res.Dir)
			}
			errs[k] = err
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for k := range runs {
		if errs[k] != nil {
			t.Errorf("run %d: %v", k, errs[k])
		}
		seen[dirs[k]] = true
	}
	entries, _ := os.ReadDir(out)
	if len(seen) != runs || len(entries) != runs {
		t.Errorf("%d distinct run ids, %d entries in --out, want %d: %v", len(seen), len(entries), runs, seen)
	}
	if !seen["benchmark-s1-20260102-030405"] || !seen[fmt.Sprintf("benchmark-s1-20260102-030405-%d", runs)] {
		t.Errorf("ids %v, want the base id and -2 ... -%d", seen, runs)
	}
}

// A run whose name is taken by someone else's directory when it commits
// (an explicit id) fails without touching that directory and keeps its own
// checkpointed work for resume.
func TestCommitNeverReplacesAnotherDirectory(t *testing.T) {
	sc, _ := scenario.Resolve("benchmark", nil)
	out := t.TempDir()
	theirs := filepath.Join(out, "taken")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 2000, Days: 4, Seed: 1, Ledger: "none", OutDir: out,
		ID: "taken", CheckpointEvery: 2})
	if err == nil || !errors.Is(err, os.ErrExist) {
		t.Fatalf("got %v, want the name reported taken", err)
	}
	if fi, err := os.Stat(theirs); err != nil || !fi.IsDir() {
		t.Fatalf("the other directory is gone: %v", err)
	}
	if e, _ := os.ReadDir(theirs); len(e) != 0 {
		t.Errorf("the other directory was written into: %v", e)
	}
	kept, _ := filepath.Glob(filepath.Join(out, ".tmp-taken-*", store.CheckpointsDir, "ckpt-*.bin"))
	if len(kept) == 0 {
		t.Error("the run's checkpoints were deleted")
	}
}

// A cancellation during population and graph setup stops the run within a
// chunk of work and leaves nothing behind. (Before, setup ran to the end:
// the context was first read by the day loop.)
func TestCancelDuringSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large population")
	}
	sc, _ := scenario.Resolve("benchmark", nil)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	// Time the whole setup first, at this machine's speed.
	t0 := time.Now()
	prog, _ := sc.Compile()
	if _, err := generate(context.Background(), sc, prog, 3_000_000, 1); err != nil {
		t.Fatal(err)
	}
	setup := time.Since(t0)
	releaseSetupMemory()
	delay := setup / 4
	time.AfterFunc(delay, cancel)
	t1 := time.Now()
	_, err := Execute(ctx, Spec{Scenario: sc, Agents: 3_000_000, Days: 2, Seed: 1, Ledger: "none", OutDir: out})
	took := time.Since(t1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	t.Logf("setup %v; cancelled after %v, returned after %v", setup, delay, took)
	if took > delay+setup/2 {
		t.Errorf("returned %v after a cancel at %v (setup takes %v)", took, delay, setup)
	}
	if e, _ := os.ReadDir(out); len(e) != 0 {
		t.Errorf("a cancelled run left %v", e[0].Name())
	}
}

// A cancellation after the last day, while the outputs are about to be
// written, leaves nothing without checkpoints, and keeps the run (its
// final checkpoint holds all of it) with them.
func TestCancelBeforeWriting(t *testing.T) {
	sc, _ := scenario.Resolve("benchmark", nil)
	for _, every := range []int{0, 3} {
		out := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Execute(ctx, Spec{Scenario: sc, Agents: 3000, Days: 6, Seed: 1, Ledger: "all", OutDir: out, CheckpointEvery: every,
			Progress: func(day, days int) {
				if day == days {
					cancel()
				}
			}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("checkpoint-every %d: got %v, want context.Canceled", every, err)
		}
		final, _ := filepath.Glob(filepath.Join(out, "benchmark-*"))
		kept, _ := filepath.Glob(filepath.Join(out, ".tmp-*", store.CheckpointsDir, "ckpt-00000006.bin"))
		if len(final) != 0 || (every == 0) != (len(kept) == 0) {
			t.Errorf("checkpoint-every %d: finished %v, kept %v", every, final, kept)
		}
		if every > 0 {
			var ie *InterruptedError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InterruptedError", err)
			}
			res, err := Resume(context.Background(), ie.Dir, 1, nil, nil)
			if err != nil || res.Manifest.Days != 6 {
				t.Fatalf("resume after a cancel before writing: %v", err)
			}
		}
	}
}
