package main

import (
	"strings"
	"testing"
)

// TestStrictWarnings: validate prints a trap as a warning and succeeds;
// --strict makes it an error (exit 2), and run --strict refuses the file
// before running it; run without --strict prints the warning once.
func TestStrictWarnings(t *testing.T) {
	file := "../../internal/scenario/testdata/warn/initial_not_covered.yaml"
	const says = "initial_not_covered.yaml:13:5: warning: scoring.initial: no entry matches 1 of the 3 region/group pairs"
	code, stdout, stderr := cli(t, "validate", file)
	if code != 0 || !strings.Contains(stdout, "ok") || !strings.Contains(stderr, says) {
		t.Errorf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = cli(t, "validate", "--strict", file)
	if code != 2 || !strings.Contains(stderr, "warning (an error with --strict): scoring.initial") {
		t.Errorf("validate --strict: exit %d\n%s", code, stderr)
	}
	out := t.TempDir()
	code, _, stderr = cli(t, "run", "--strict", file, "--out", out, "--quiet")
	if code != 2 || strings.Contains(stderr, "running") {
		t.Errorf("run --strict: exit %d\n%s", code, stderr)
	}
	code, _, stderr = cli(t, "run", file, "--out", out, "--quiet", "--agents", "200", "--days", "2")
	if code != 0 || strings.Count(stderr, "warning: scoring.initial") != 1 {
		t.Errorf("run: exit %d\n%s", code, stderr)
	}
}
