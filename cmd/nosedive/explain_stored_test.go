package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// TestExplainFromStoredTrace: a citizen in the ledger sample is explained
// from the run's stored trace (no replay, nothing on stderr); anyone else
// is replayed after one line saying why and how to avoid it.
func TestExplainFromStoredTrace(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "benchmark", "--agents", "1500", "--days", "30", "--ledger", "sample:0.1", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	entries, _ := os.ReadDir(out)
	dir := filepath.Join(out, entries[0].Name())
	m, err := store.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	traced, err := store.TracedAgents(dir, m)
	if err != nil || len(traced) < 50 {
		t.Fatalf("%d traced agents: %v", len(traced), err)
	}
	a := traced[len(traced)/2]
	code, stdout, stderr := cli(t, "explain", dir, "--agent", strconv.Itoa(int(a)), "--json")
	if code != 0 || stderr != "" || !strings.Contains(stdout, `"sum_equals_score": true`) {
		t.Fatalf("explain a traced citizen: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	other := int32(0)
	for slices.Contains(traced, other) {
		other++
	}
	code, stdout, stderr = cli(t, "explain", dir, "--agent", strconv.Itoa(int(other)), "--json")
	want := "nosedive: agent " + strconv.Itoa(int(other)) + " has no stored trace: the run recorded a 10% sample (--ledger sample:0.1); replaying the run, about "
	if code != 0 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "no stored trace") != 1 ||
		!strings.Contains(stderr, "use --ledger all for instant explanations of everyone") || !strings.Contains(stderr, "nosedive: replaying ") {
		t.Fatalf("explain an untraced citizen: exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, `"matches_stored_run": true`) {
		t.Errorf("the replayed explanation does not match the run:\n%s", stdout)
	}
}
