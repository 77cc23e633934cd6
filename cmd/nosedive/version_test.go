package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
)

// withVersion runs f as a nosedive of another version.
func withVersion(t *testing.T, v string, f func()) {
	t.Helper()
	was := runner.Version
	defer func() { runner.Version = was }()
	runner.Version = v
	f()
}

func TestVersionCommand(t *testing.T) {
	code, stdout, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "nosedive "+runner.Version+" (") ||
		!strings.Contains(stdout, "\ncommit:   ") || !strings.Contains(stdout, "\nmodified: ") {
		t.Errorf("version: exit %d\n%s", code, stdout)
	}
}

// TestOtherVersionIsRefused: continuing a sweep, or auditing replicates,
// made by another nosedive exits 2 and names both versions.
func TestOtherVersionIsRefused(t *testing.T) {
	out := t.TempDir()
	sw := writeSweep(t, strings.Replace(smallSweep, "replicates: 2", "replicates: 1", 1))
	if code, _, stderr := cli(t, "sweep", sw, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	orig := runner.Version
	withVersion(t, "v9.9.9", func() {
		code, _, stderr := cli(t, "sweep", sw, "--out", out, "--quiet", "--resume")
		if code != 2 || !strings.Contains(stderr, "made by nosedive "+orig) || !strings.Contains(stderr, "this is nosedive v9.9.9") {
			t.Errorf("sweep --resume by another version: exit %d, want 2 naming %s and v9.9.9\n%s", code, orig, stderr)
		}
	})

	runs := t.TempDir()
	if code, _, stderr := cli(t, "run", "benchmark", "--agents", "500", "--days", "5", "--seed", "1", "--quiet", "--out", filepath.Join(runs, "a")); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	withVersion(t, "v9.9.9", func() {
		if code, _, stderr := cli(t, "run", "benchmark", "--agents", "500", "--days", "5", "--seed", "2", "--quiet", "--out", filepath.Join(runs, "b")); code != 0 {
			t.Fatalf("run: exit %d\n%s", code, stderr)
		}
	})
	a, _ := filepath.Glob(filepath.Join(runs, "a", "*"))
	b, _ := filepath.Glob(filepath.Join(runs, "b", "*"))
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("runs %v %v", a, b)
	}
	code, _, stderr := cli(t, "audit", a[0], b[0])
	if code != 2 || !strings.Contains(stderr, "nosedive version ("+runner.Version) || !strings.Contains(stderr, "v9.9.9") {
		t.Errorf("audit of replicates of two versions: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(a[0], "audit.json")); err == nil {
		t.Error("the refused audit wrote audit.json")
	}
}
