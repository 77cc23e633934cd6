package sim

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
)

// A snapshot restores into a fresh engine, which then goes on exactly as
// the original; a snapshot of another length is refused.
func TestSnapshotRestore(t *testing.T) {
	sc, prog := loadBuiltin(t, "xinjiang-pilot")
	newEngine := func() *Engine {
		return New(sc, prog, population.Generate(sc, 3_000, 5), 40, 5, Options{Workers: 2})
	}
	a := newEngine()
	for range 20 {
		if _, _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b := newEngine()
	if err := b.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	stepAlike(t, a, b, 20)
	if err := newEngine().Restore(bytes.NewReader(append(slices.Clone(buf.Bytes()), 0))); !errors.Is(err, ErrSnapshotMismatch) {
		t.Fatalf("a longer snapshot: %v, want ErrSnapshotMismatch", err)
	}
	if err := newEngine().Restore(bytes.NewReader(buf.Bytes()[:buf.Len()-1])); err == nil {
		t.Fatal("a truncated snapshot was accepted")
	}
}
