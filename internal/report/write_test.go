package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Write names each file as it writes it, and without a browser for the
// PDF it writes nothing at all.
func TestWrite(t *testing.T) {
	run, rep, _ := auditedRun(t, "benchmark", 300, 5, 1)
	in := Input{Run: run, Audit: rep, Version: "test"}
	dir := t.TempDir()
	html, png := filepath.Join(dir, "r.html"), filepath.Join(dir, "charts")

	t.Setenv("PATH", t.TempDir()) // no browser on it
	var out bytes.Buffer
	err := Write(context.Background(), &out, in, Files{HTML: html, PDF: PDFBeside, PNG: png})
	if !errors.As(err, new(NoBrowserError)) {
		t.Fatalf("--pdf without a browser: %v, want NoBrowserError", err)
	}
	if e, _ := os.ReadDir(dir); len(e) != 0 || out.Len() != 0 {
		t.Fatalf("a failed --pdf wrote %v and said %q", e, out.String())
	}

	if err := Write(context.Background(), &out, in, Files{HTML: html, PNG: png}); err != nil {
		t.Fatal(err)
	}
	charts, _ := os.ReadDir(png)
	var want []string
	for _, c := range charts {
		want = append(want, "chart: "+filepath.Join(png, c.Name()))
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	got := slices.Sorted(slices.Values(lines[1:]))
	if len(charts) == 0 || lines[0] != fmt.Sprintf("report: %s (%d charts)", html, len(charts)) || !slices.Equal(got, want) {
		t.Errorf("Write said\n%s\nwant the report and each chart it wrote: %q", out.String(), want)
	}
	if b, err := os.ReadFile(html); err != nil || !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("report file: %v %.40q", err, b)
	}
}
