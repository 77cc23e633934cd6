package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongCommandsReportProgress: explain and attribute report their
// replays on the progress meter (plain lines off a terminal, ending at
// 100%), and --quiet silences them; stdout is the same either way.
func TestLongCommandsReportProgress(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "benchmark", "--agents", "400", "--days", "20", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	entries, _ := os.ReadDir(out)
	dir := filepath.Join(out, entries[0].Name())
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"explain", dir, "--agent", "3"}, []string{"nosedive: replaying ", "nosedive: 20/20 days (100%), elapsed "}},
		{[]string{"attribute", dir, "--agents", "100"}, []string{"nosedive: attributing ", " twin runs (100%), elapsed ", "; last without "}},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			code, stdout, stderr := cli(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if lines := strings.Count(stderr, "\n"); lines > 13 {
				t.Errorf("%d lines of progress, want at most one a tenth:\n%s", lines, stderr)
			}
			code, quiet, stderr := cli(t, append(tc.args, "--quiet")...)
			if code != 0 || stderr != "" {
				t.Errorf("--quiet: exit %d, stderr %q", code, stderr)
			}
			if quiet != stdout {
				t.Errorf("--quiet changed stdout:\n%s\nvs\n%s", quiet, stdout)
			}
		})
	}
}
