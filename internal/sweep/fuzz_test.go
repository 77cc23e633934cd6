package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// FuzzLoad: any input either loads or fails with positioned diagnostics
// (scenario.Errors), never a panic or another error type.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(head + "parameters:\n  - {path: tiers.caps.0.best, values: [average]}\ndesign: {type: list, points: [{tiers.caps.0.best: average}]}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Load("fuzz.yaml", src, "../../examples")
		var se scenario.Errors
		switch {
		case err == nil && (s == nil || len(s.Points) == 0 || s.Runs() > MaxRuns):
			t.Fatalf("loaded without points: %+v", s)
		case err != nil && !errors.As(err, &se):
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}
