package sweep

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// A sweep file is user YAML like a scenario and gets the scenario loader's
// budgets, checked before the parser runs: hostile shapes are refused with
// the budget's positioned diagnostic while allocating little.
func TestSweepFileBudgets(t *testing.T) {
	var keys strings.Builder
	keys.WriteString(head + "extra:\n")
	for i := 0; i < 20_000; i++ {
		keys.WriteString("  k" + strconv.Itoa(i) + ": 1\n")
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"deep flow nesting", head + "extra: " + strings.Repeat("[", 40_000) + strings.Repeat("]", 40_000) + "\n", "(the loader's depth budget)"},
		{"deep block nesting", head + "extra:\n" + strings.Repeat("- ", 40_000) + "x\n", "(the loader's depth budget)"},
		{"many keys", keys.String(), "(the loader's key budget)"},
		{"many nodes", head + "extra:\n" + strings.Repeat("- 1\n", 200_000), "(the loader's node budget)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Load("sweep.yaml", []byte(tc.src), ".")
			runtime.ReadMemStats(&after)
			var es scenario.Errors
			if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Msg, tc.want) || es[0].Line < 1 {
				t.Fatalf("Load: %v, want one positioned diagnostic containing %q", err, tc.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Errorf("Load of %d bytes allocated %d MiB, want at most 16 MiB", len(tc.src), got>>20)
			}
		})
	}
}

// A UTF-8 byte order mark at the start of a sweep file is dropped.
func TestSweepFileByteOrderMark(t *testing.T) {
	src := "\ufeff" + head + "parameters:\n  - {path: tiers.caps.0.best, values: [average, trustworthy]}\n"
	s, err := Load("sweep.yaml", []byte(src), ".")
	if err != nil {
		t.Fatalf("Load with a BOM: %v", err)
	}
	if s.Name != "t" || strings.HasPrefix(s.Text, "\ufeff") {
		t.Errorf("name %q, text starts %q", s.Name, s.Text[:8])
	}
}
