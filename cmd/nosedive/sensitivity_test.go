package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSensitivitySobolMissingRun: a Sobol sweep with one run's results
// gone skips that run's base row in every index, says so on stdout (text
// and JSON) and in a warning, and gives no "does not vary" warning.
func TestSensitivitySobolMissingRun(t *testing.T) {
	const file = `name: s
scenario: xinjiang-pilot
agents: 300
days: 20
parameters:
  - path: population.regions.south.cameras_per_1000
    min: 10
    max: 400
  - path: scoring.recovery.rate
    min: 0.01
    max: 0.1
design: {type: sobol, samples: 8}
`
	out := t.TempDir()
	if code, _, stderr := cli(t, "sweep", writeSweep(t, file), "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(out, "s")
	// Point 9 is AB_1 of base row 2 (rows of k + 2 = 4 points).
	if err := os.Remove(filepath.Join(dir, "results", "audit-p0009-r00.parquet")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cli(t, "sensitivity", dir, "--metric", "mean_score")
	if code != 0 || !strings.Contains(stderr, "2/2 steps") {
		t.Fatalf("exit %d (and the progress meter's last line)\n%s", code, stderr)
	}
	for _, want := range []string{
		"N = 8, 7 rows used (1 skipped)",
		"skipped 1 of 8 base rows: 1 of 32 points have no output (1 of 32 runs failed, missing or without a value)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{
		"warning: 1 of 8 base rows skipped: 1 of 32 outputs missing (failed or missing runs, or the metric is undefined there); every index uses the other 7 rows",
		"warning: N = 7: Sobol indices need N",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "does not vary") || strings.Contains(stdout, "n/a") {
		t.Errorf("a missing run made the output look constant:\n%s\n%s", stdout, stderr)
	}

	code, stdout, stderr = cli(t, "sensitivity", dir, "--metric", "mean_score", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var doc struct {
		Samples  map[string]int
		Indices  []map[string]any
		Warnings []string
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	want := map[string]int{"rows": 8, "rows_used": 7, "rows_skipped": 1, "points_missing": 1, "runs": 32, "runs_missing": 1}
	if diff := cmp.Diff(doc.Samples, want); diff != "" {
		t.Errorf("samples (-got +want):\n%s", diff)
	}
	if len(doc.Indices) != 2 || !strings.HasPrefix(doc.Warnings[0], "1 of 8 base rows skipped") {
		t.Errorf("indices %v, warnings %q", doc.Indices, doc.Warnings)
	}
	for _, x := range doc.Indices {
		for _, key := range []string{"S1", "S1_conf", "ST", "ST_conf"} {
			if _, ok := x[key].(float64); !ok {
				t.Errorf("%s of %v is %v, want a number", key, x["parameter"], x[key])
			}
		}
	}
}
