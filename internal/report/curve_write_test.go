package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/sweep"
)

// WriteCurve writes a sweep's outcome curve to dir/curve.html and its
// charts as PNGs, naming each file; a sweep whose scenario has no such
// institution is a *sweep.CurveError after the directory's name (bad
// input for cmd/nosedive), and nothing is written.
func TestWriteCurve(t *testing.T) {
	tmp := t.TempDir()
	scen, err := os.ReadFile(filepath.Join("..", "sweep", "testdata", "lending.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "lending.yaml"), scen, 0o644); err != nil {
		t.Fatal(err)
	}
	p := "institutions.lender."
	file := filepath.Join(tmp, "c.yaml")
	if err := os.WriteFile(file, []byte("name: c\nscenario: lending.yaml\nagents: 400\nparameters:\n  - path: "+p+"policy\n  - path: "+p+"rate\n"+
		"design:\n  type: list\n  points:\n"+
		"    - {"+p+"policy: fixed-rate, "+p+"rate: 0.2}\n    - {"+p+"policy: fixed-rate, "+p+"rate: 0.8}\n"+
		"    - {"+p+"policy: max-utility, "+p+"rate: ~}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sweep.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "runs", s.Name)
	if out, err := sweep.Execute(context.Background(), s, sweep.Options{Dir: dir, Jobs: 1, Workers: 1}); err != nil || out.Failed > 0 {
		t.Fatalf("sweep: %+v %v", out, err)
	}

	var w strings.Builder
	err = WriteCurve(&w, dir, "bank", Files{}, "test")
	var ce *sweep.CurveError
	if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), dir+": the scenario has no institution \"bank\"") {
		t.Errorf("institution bank: got %v, want a CurveError after %s", err, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "curve.html")); err == nil || w.Len() > 0 {
		t.Errorf("a failed curve wrote %q", w.String())
	}

	png := filepath.Join(tmp, "charts")
	if err := WriteCurve(&w, dir, "", Files{PNG: png}, "test"); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "curve.html")
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "curve: "+html+" (2 groups, 2 fixed-rate points, 1 other policies)" {
		t.Fatalf("output %q", w.String())
	}
	for _, l := range lines[1:] {
		path, ok := strings.CutPrefix(l, "chart: "+png+string(filepath.Separator))
		if !ok || !strings.HasSuffix(path, ".png") {
			t.Errorf("chart line %q", l)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "Outcome curve of group b") {
		t.Errorf("curve.html: %v", err)
	}
}
