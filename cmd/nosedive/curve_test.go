package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report SWEEP_DIR --curve writes the outcome curve of a sweep over a
// fixed rate with the three policies as further list points; misuse is
// bad input (exit 2).
func TestReportCurve(t *testing.T) {
	dir := t.TempDir()
	sw := filepath.Join(dir, "curve.yaml")
	scen, err := os.ReadFile(filepath.Join("..", "..", "internal", "sweep", "testdata", "lending.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lending.yaml"), scen, 0o644); err != nil {
		t.Fatal(err)
	}
	p := "institutions.lender."
	os.WriteFile(sw, []byte("name: c\nscenario: lending.yaml\nagents: 400\nparameters:\n  - path: "+p+"policy\n  - path: "+p+"rate\n"+
		"design:\n  type: list\n  points:\n"+
		"    - {"+p+"policy: fixed-rate, "+p+"rate: 0.2}\n    - {"+p+"policy: fixed-rate, "+p+"rate: 0.5}\n    - {"+p+"policy: fixed-rate, "+p+"rate: 0.9}\n"+
		"    - {"+p+"policy: max-utility, "+p+"rate: ~}\n    - {"+p+"policy: equal-opportunity, "+p+"rate: ~}\n"), 0o644)
	out := filepath.Join(dir, "runs")
	if code, _, stderr := cli(t, "sweep", sw, "--out", out, "--quiet", "--jobs", "1"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	sdir := filepath.Join(out, "c")
	code, stdout, stderr := cli(t, "report", sdir, "--curve")
	if code != 0 || !strings.Contains(stdout, "(2 groups, 3 fixed-rate points, 2 other policies)") {
		t.Fatalf("report --curve: exit %d\n%s%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(filepath.Join(sdir, "curve.html"))
	if err != nil || !strings.Contains(string(page), "Outcome curve of group b") || !strings.Contains(string(page), "Policy equal-opportunity selects") {
		t.Errorf("curve.html: %v", err)
	}
	for _, args := range [][]string{
		{"report", sdir, "--curve", "--point", "0"},
		{"report", sdir, "--institution", "lender"},
		{"report", sdir, "--curve", "--institution", "bank"},
		{"report", filepath.Join(sdir, "runs", "p0000-r00"), "--curve"},
	} {
		if code, _, stderr := cli(t, args...); code != exitBadInput {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
}
