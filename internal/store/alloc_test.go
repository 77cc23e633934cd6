package store

import (
	"io"
	"runtime"
	"testing"
)

// Writing a table makes little garbage: a run's heap may grow to twice its
// live state before a collection, so garbage made while the tables are
// written shows up in the run's peak memory (a buffer per column and row
// group made a 10M-agent run peak at 154 bytes per agent against 96).
func TestWriteTableGarbage(t *testing.T) {
	const rows = 2 << 20 // two row groups
	var cols []column
	for range 16 {
		cols = append(cols, column{name: "c" + string(rune('a'+len(cols))), typ: tDouble, f64: func(r int) float64 { return float64(r % 1000) }})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := writeTable(io.Discard, "t", cols, rows, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	perRow := float64(after.TotalAlloc-before.TotalAlloc) / rows
	t.Logf("%.1f bytes allocated per row of %d double columns", perRow, len(cols))
	if perRow > 20 {
		t.Errorf("writing allocates %.1f bytes per row of %d columns, want at most 20 (a fresh value buffer per column and row group adds about 1.5 per column: 35 here)", perRow, len(cols))
	}
}
