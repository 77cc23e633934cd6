package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A damaged table makes `nosedive report` fail with exit 1 and a message
// naming the file, not a stack trace; every damage kind, daily and agents.
func TestReportDamagedRun(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "xinjiang-pilot", "--agents", "400", "--days", "10", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	ents, _ := os.ReadDir(out)
	dir := filepath.Join(out, ents[0].Name())
	daily, _ := os.ReadFile(filepath.Join(dir, "daily.parquet"))
	agents, _ := os.ReadFile(filepath.Join(dir, "agents.parquet"))
	for _, c := range []struct {
		file, kind string
		data       []byte
	}{
		{"daily.parquet", "wrong schema", agents},
		{"daily.parquet", "truncated", daily[:len(daily)/2]},
		{"daily.parquet", "zeroed", make([]byte, len(daily))},
		{"agents.parquet", "wrong schema", daily},
		{"agents.parquet", "truncated", agents[:len(agents)/3]},
	} {
		if err := os.WriteFile(filepath.Join(dir, c.file), c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Every command that reads the run fails the same way: exit 1,
		// naming the file, no stack trace.
		for _, args := range [][]string{{"report", dir}, {"audit", dir}, {"explain", dir, "--agent", "3"}} {
			if args[0] == "explain" && c.file != "agents.parquet" {
				continue
			}
			code, _, stderr := cli(t, args...)
			if code != exitFailure || !strings.Contains(stderr, c.file) || strings.Contains(stderr, "goroutine") {
				t.Errorf("%s: %s %s: exit %d, %q; want 1 naming the file", args[0], c.file, c.kind, code, stderr)
			}
		}
		os.WriteFile(filepath.Join(dir, "daily.parquet"), daily, 0o644)
		os.WriteFile(filepath.Join(dir, "agents.parquet"), agents, 0o644)
	}
	if code, _, stderr := cli(t, "report", dir); code != 0 {
		t.Errorf("the repaired run: exit %d %s", code, stderr)
	}
}
