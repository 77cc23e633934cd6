package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --max-memory takes finite, positive sizes below 8 EiB and nothing else.
// (Before, NaNGiB, InfGiB, 1e30GiB and 12xGiB were accepted.)
func TestParseBytesClosesTheClass(t *testing.T) {
	good := map[string]uint64{"512MiB": 512 << 20, "8GiB": 8 << 30, "1.5GB": 1_500_000_000, "1B": 1, "2e3KB": 2_000_000, "1TiB": 1 << 40}
	for s, want := range good {
		if got, err := parseBytes(s); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"NaNGiB", "nanGiB", "InfGiB", "+InfGiB", "-InfGiB", "infinityGiB", "-1GiB", "0GiB", "0B",
		"0.1B", "1e30GiB", "9EiB", "8388608TiB", "1e400B", "12xGiB", "0x10GiB", "1_000MiB", "GiB", "", "8", "8 GiB", " 8GiB", "8GiB "} {
		if got, err := parseBytes(s); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", s, got)
		}
	}
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
