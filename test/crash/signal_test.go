package crash

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A SIGTERM or SIGINT during the setup of a large run (population and
// graph) stops the process within a bound, with exit code 130 and no
// unfinished directory left. (Before, setup ran to its end: a run was still
// going 30 s after TERM and INT.)
func TestSignalDuringSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 12M-agent population; skipped with -short")
	}
	const bound = 2 * time.Second
	for _, tc := range []struct {
		sig   syscall.Signal
		delay time.Duration
	}{
		{syscall.SIGTERM, 300 * time.Millisecond}, // population
		{syscall.SIGINT, 300 * time.Millisecond},
		// Later in setup (about 10 s on the project's machine: the
		// graph, or the engine's state).
		{syscall.SIGTERM, 5 * time.Second},
	} {
		sig := tc.sig
		t.Run(fmt.Sprintf("%v-after-%v", sig, tc.delay), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(bin, "run", "benchmark", "--agents", "12000000", "--days", "3", "--ledger", "none", "--out", out)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// "running" is printed just before setup starts.
			sc := bufio.NewScanner(stderr)
			for sc.Scan() && !strings.Contains(sc.Text(), "nosedive: running") {
			}
			go func() {
				for sc.Scan() {
				}
			}()
			time.Sleep(tc.delay)
			sent := time.Now()
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("exit %v, want code 130", err)
			}
			if took > bound {
				t.Errorf("the process took %v after %v to stop, want under %v", took, sig, bound)
			}
			final, unfinished := runDirs(t, out)
			if len(final)+len(unfinished) != 0 {
				t.Errorf("left %v %v", final, unfinished)
			}
			t.Logf("%v: stopped %v after the signal", sig, took.Round(time.Millisecond))
		})
	}
}

// Separate processes started together into one --out (the same second)
// all finish, each with its own run directory. (Before, two of three
// failed with "move run into place: ... file exists".)
func TestConcurrentProcessesIntoOneOut(t *testing.T) {
	out := t.TempDir()
	const procs = 4
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	var wg sync.WaitGroup
	for k := range procs {
		wg.Go(func() {
			args := []string{"run", "benchmark", "--agents", "3000", "--days", "5", "--quiet", "--out", out}
			if k%2 == 1 {
				args = append(args, "--checkpoint-every", "2")
			}
			outs[k], errs[k] = exec.Command(bin, args...).CombinedOutput()
		})
	}
	wg.Wait()
	for k := range procs {
		if errs[k] != nil {
			t.Errorf("process %d: %v\n%s", k, errs[k], outs[k])
		}
	}
	final, unfinished := runDirs(t, out)
	if len(final) != procs || len(unfinished) != 0 {
		t.Errorf("%d run directories and %d unfinished, want %d and 0: %v", len(final), len(unfinished), procs, final)
	}
	for _, d := range final {
		if _, err := os.Stat(d + "/run.json"); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}
