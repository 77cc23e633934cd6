// Package crash kills real nosedive processes with SIGKILL at many points
// of a run (simulation and output writing) and checks the guarantee of
// docs/reliability.md: afterwards either `nosedive resume` completes with
// tables byte-identical to an uninterrupted run, or no run directory exists.
package crash

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nosedive-crash-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "nosedive")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/nosedive-lab/nosedive/cmd/nosedive").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var args = []string{"run", "benchmark", "--agents", "60000", "--days", "60", "--seed", "3", "--quiet", "--ledger", "sample:0.01"}

func runDirs(t *testing.T, out string) (final []string, unfinished []string) {
	t.Helper()
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			unfinished = append(unfinished, filepath.Join(out, e.Name()))
		} else {
			final = append(final, filepath.Join(out, e.Name()))
		}
	}
	return
}

func tables(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range []string{"daily.parquet", "agents.parquet", "ledger.parquet", "trace.parquet", "trace_events.parquet", "trace_changes.parquet"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		// The key-value metadata names the run (its id is its start time):
		// compare everything else.
		m[f] = bytes.ReplaceAll(b, []byte(filepath.Base(dir)), []byte("<run id>"))
	}
	return m
}

func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; skipped with -short")
	}
	// The reference: an uninterrupted run, timed.
	refOut := t.TempDir()
	start := time.Now()
	if out, err := exec.Command(bin, append(args, "--out", refOut)...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	total := time.Since(start)
	ref, _ := runDirs(t, refOut)
	want := tables(t, ref[0])
	// Time one checkpointed run too and spread the kills over the shorter
	// of the two: on a shared machine one run can take twice as long as
	// the next, and kill points past the end exercise nothing.
	start = time.Now()
	if out, err := exec.Command(bin, append(args, "--out", t.TempDir(), "--checkpoint-every", "7")...).CombinedOutput(); err != nil {
		t.Fatalf("checkpointed run: %v\n%s", err, out)
	}
	total = min(total, time.Since(start))

	const points = 24
	outcomes := map[string]int{}
	for k := 0; k < points; k++ {
		// Spread kill times over the whole run, output writing included.
		delay := time.Duration(float64(total) * (0.05 + 1.0*float64(k)/points))
		out := t.TempDir()
		cmd := exec.Command(bin, append(args, "--out", out, "--checkpoint-every", "7")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		final, unfinished := runDirs(t, out)
		switch {
		case len(final) == 1:
			outcomes["finished before the kill"]++
		case len(unfinished) == 1 && fileExists(filepath.Join(unfinished[0], "spec.json")):
			res, err := exec.Command(bin, "resume", out, "--quiet").CombinedOutput()
			if err != nil {
				t.Fatalf("kill point %d (%v): resume failed: %v\n%s", k, delay, err, res)
			}
			outcomes["resumed"]++
			if bytes.Contains(res, []byte("skipping checkpoint")) {
				outcomes["skipped a damaged checkpoint"]++
			}
		default:
			// Killed before the run had written anything resumable: there
			// must be no run directory.
			if len(final) != 0 {
				t.Fatalf("kill point %d: a run directory exists without a complete run", k)
			}
			outcomes["nothing to resume"]++
			continue
		}
		final, unfinished = runDirs(t, out)
		if len(final) != 1 || len(unfinished) != 0 {
			t.Fatalf("kill point %d: after resume %d run dirs and %d unfinished", k, len(final), len(unfinished))
		}
		got := tables(t, final[0])
		for f := range want {
			if !bytes.Equal(got[f], want[f]) {
				t.Fatalf("kill point %d (%v): %s differs from the uninterrupted run", k, delay, f)
			}
		}
	}
	t.Logf("%d kill points over %v: %v", points, total, outcomes)
	if outcomes["resumed"] < points/2 {
		t.Errorf("only %d of %d kill points exercised resume", outcomes["resumed"], points)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
