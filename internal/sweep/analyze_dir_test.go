package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runSweepFile runs a sweep file given as YAML into a temporary directory.
func runSweepFile(t *testing.T, yaml string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), s.Name)
	if out, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 1, Workers: 1}); err != nil || out.Failed > 0 {
		t.Fatalf("sweep: %+v %v", out, err)
	}
	return dir
}

// AnalyzeDir refuses a missing metric, a design without indices and a
// metric the results lack as *InputError (bad input), and analyses a
// Morris sweep, logging its two steps.
func TestAnalyzeDir(t *testing.T) {
	const head = "scenario: xinjiang-pilot\nagents: 300\ndays: 5\nparameters:\n  - path: scoring.recovery.rate\n"
	morris := runSweepFile(t, "name: m\n"+head+"    min: 0.01\n    max: 0.1\ndesign: {type: morris, trajectories: 2, levels: 4}\n")
	grid := runSweepFile(t, "name: g\n"+head+"    values: [0.01, 0.1]\n")
	for _, c := range []struct{ dir, metric, want string }{
		{morris, "", "--metric is required, e.g. --metric ever_sanctioned"},
		{grid, "mean_score", grid + " has a grid design; sensitivity indices need a morris or sobol design"},
		{morris, "bogus", "--metric: "},
	} {
		an, err := AnalyzeDir(c.dir, c.metric, 1, nil)
		var ie *InputError
		if an != nil || !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s --metric %q: got %v, want an InputError %q", filepath.Base(c.dir), c.metric, err, c.want)
		}
	}
	var log strings.Builder
	an, err := AnalyzeDir(morris, "mean_score", 1, &log)
	if err != nil {
		t.Fatal(err)
	}
	if an.Design != Morris || an.Metric != "mean_score" || len(an.Rows) != 1 || an.Rows[0].Parameter != "scoring.recovery.rate" {
		t.Errorf("analysis %+v", an)
	}
	if !strings.Contains(log.String(), "2/2 steps") {
		t.Errorf("log %q lacks the meter's last step", log.String())
	}
}
