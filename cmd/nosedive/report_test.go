package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/report"
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

// smallRun makes one small xinjiang-pilot run and returns its directory.
func smallRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "xinjiang-pilot", "--agents", "600", "--days", "20", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	ents, _ := os.ReadDir(out)
	return filepath.Join(out, ents[0].Name())
}

// report --pdf writes a complete PDF of A4 pages next to the HTML file, or
// where --pdf=FILE says. It needs Chromium: the test skips without one
// unless NOSEDIVE_REQUIRE_BROWSER is set.
func TestReportPDF(t *testing.T) {
	if _, err := report.FindBrowser(); err != nil {
		if os.Getenv("NOSEDIVE_REQUIRE_BROWSER") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := smallRun(t)
	code, stdout, stderr := cli(t, "report", dir, "--pdf")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	pdf := filepath.Join(dir, "report.pdf")
	if !strings.Contains(stdout, "pdf: "+pdf) {
		t.Errorf("output does not name the PDF:\n%s", stdout)
	}
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		t.Fatalf("not a complete PDF: %q ... %q", b[:min(16, len(b))], b[max(0, len(b)-16):])
	}
	// A4 is 595 x 842 points: portrait pages for the text, landscape
	// ones for the wide audit tables.
	portrait := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]`)
	landscape := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 84[12](\.\d+)? 59[45](\.\d+)?\s*\]`)
	if !portrait.Match(b) || !landscape.Match(b) {
		t.Errorf("want A4 portrait and landscape pages; media boxes: %q", regexp.MustCompile(`/MediaBox\s*\[[^\]]*\]`).FindAll(b, 5))
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, ".tmp-pdf-*")); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	other := filepath.Join(t.TempDir(), "x.pdf")
	if code, _, stderr := cli(t, "report", dir, "--out", filepath.Join(t.TempDir(), "r.html"), "--pdf="+other); code != 0 {
		t.Fatalf("--pdf=FILE: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(other); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("--pdf=FILE wrote no PDF: %v", err)
	}
}

// Without a browser, report --pdf says what to install and exits 1
// before writing anything.
func TestReportPDFWithoutBrowser(t *testing.T) {
	dir := smallRun(t)
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := cli(t, "report", dir, "--pdf")
	if code != exitFailure || !strings.Contains(stderr, "apt install chromium") {
		t.Errorf("exit %d, want 1 naming what to install:\n%s", code, stderr)
	}
	for _, f := range []string{"report.html", "report.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written", f)
		}
	}
}
