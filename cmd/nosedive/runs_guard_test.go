package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --max-memory refuses what runner.ParseBytes refuses (its own test,
// TestParseBytesClosesTheClass, holds the sizes) as bad input.
func TestMaxMemoryBadSizeExitsTwo(t *testing.T) {
	code, _, stderr := cli(t, "run", "benchmark", "--max-memory", "NaNGiB", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "--max-memory") {
		t.Errorf("--max-memory NaNGiB: exit %d, want 2\n%s", code, stderr)
	}
}

// resume of an unfinished run whose spec.json was tampered with exits 2,
// naming the file and field, without a stack trace.
func TestResumeTamperedSpecExitsTwo(t *testing.T) {
	out := t.TempDir()
	tmp := filepath.Join(out, ".tmp-x")
	os.Mkdir(tmp, 0o755)
	spec, _ := json.Marshal(map[string]any{"id": "../../escaped", "agents": -5, "days": 3, "ledger": "none", "spec_sha256": "00"})
	os.WriteFile(filepath.Join(tmp, "spec.json"), spec, 0o644)
	code, _, stderr := cli(t, "resume", out, "--quiet")
	if code != 2 || !strings.Contains(stderr, "spec.json: field id") || strings.Contains(stderr, "goroutine") {
		t.Errorf("exit %d, want 2 naming spec.json's id\n%s", code, stderr)
	}
	code, _, stderr = cli(t, "resume", out, "--workers", "-3")
	if code != 2 || !strings.Contains(stderr, "--workers") {
		t.Errorf("resume --workers -3: exit %d, want 2\n%s", code, stderr)
	}
}
