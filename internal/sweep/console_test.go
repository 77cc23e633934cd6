package sweep

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
)

// TestConsole: the plan goes to Err before the runs, a line per tenth of
// the runs while they run, the counts and the sweep directory to Out
// after; a resumed sweep counts what was done before, and an interrupted
// one says how to continue.
func TestConsole(t *testing.T) {
	s := load(t, head+"replicates: 2\nparameters:\n  - {path: tiers.caps.0.best, values: [average, trustworthy]}\n")
	dir := filepath.Join(t.TempDir(), s.Name)
	var out, errw bytes.Buffer
	c := Console{Out: &out, Err: &errw, ResumeHint: "nosedive sweep t.yaml --resume"}
	if _, err := c.Execute(context.Background(), s, Options{Dir: dir, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	plan := regexp.MustCompile(`^nosedive: sweep t: 2 points x 2 replicates = 4 runs \(grid design\), 300 agents x 10 days each, 2 at once \(about \d+ (KiB|MiB) of memory each\)\n`)
	if !plan.MatchString(errw.String()) || !strings.Contains(errw.String(), "4/4 runs done") {
		t.Errorf("stderr:\n%s", errw.String())
	}
	done := regexp.MustCompile(`^sweep t: 4 runs here \(0 already done, 4 run now, 0 failed\) in [0-9.]+m?s\nsweep directory: ` + regexp.QuoteMeta(dir) + "\n$")
	if !done.MatchString(out.String()) {
		t.Errorf("stdout:\n%s", out.String())
	}
	out.Reset()
	errw.Reset()
	c.Quiet = true
	if _, err := c.Execute(context.Background(), s, Options{Dir: dir, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "sweep t: 4 runs here (4 already done, 0 run now, 0 failed)") || strings.Contains(errw.String(), "runs done") {
		t.Errorf("resumed, quiet:\n%s\n%s", out.String(), errw.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errw.Reset()
	_, err := c.Execute(ctx, s, Options{Dir: filepath.Join(t.TempDir(), s.Name)})
	if !errors.Is(err, context.Canceled) || !strings.HasSuffix(errw.String(), "\nnosedive: sweep t stopped: 0 runs done; unfinished runs left nothing behind. Continue with: nosedive sweep t.yaml --resume\n") {
		t.Errorf("interrupted: %v\n%s", err, errw.String())
	}

	// The replicates of point 1 are its two runs, audited together.
	var warned []string
	sum, reps, dirs, err := Replicates([]string{dir}, 1, audit.ReplicateSet{Stored: true}, func(s string) { warned = append(warned, s) })
	if err != nil || sum == nil || len(reps) != 2 || len(warned) != 0 ||
		strings.Join(dirs, " ") != filepath.Join(dir, RunsDir, "p0001-r00")+" "+filepath.Join(dir, RunsDir, "p0001-r01") {
		t.Errorf("replicates of point 1: %v %v %v", dirs, warned, err)
	}
	os.Remove(filepath.Join(dir, RunsDir, "p0000-r01", "run.json"))
	for _, tc := range []struct {
		args  []string
		point int
		err   string
	}{
		{[]string{dir}, -1, dir + " is a sweep directory: pick a design point with --point P (0 to 1)"},
		{[]string{dir}, 2, "--point 2: sweep t has points 0 to 1"},
		{[]string{dir, dir}, 0, "--point takes one sweep directory, got 2 arguments"},
		{[]string{dir}, 0, "point 0 has 1 finished replicate(s): a single run gives no interval"},
	} {
		warned = nil
		_, _, _, err := Replicates(tc.args, tc.point, audit.ReplicateSet{Stored: true}, func(s string) { warned = append(warned, s) })
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%v --point %d: %v, want %q", tc.args, tc.point, err, tc.err)
		}
	}
	if len(warned) != 1 || warned[0] != "point 0: replicate 1 (p0000-r01) is not done; left out" {
		t.Errorf("warnings %q", warned)
	}
}
