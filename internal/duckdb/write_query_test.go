package duckdb

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// On a store without runs, a refused query says how to write a run (and
// stays a *QueryError), and a query without rows says so through note.
func TestWriteQueryOnEmptyStore(t *testing.T) {
	root := t.TempDir()
	db, err := Open(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var notes []string
	note := func(s string) { notes = append(notes, s) }
	var out strings.Builder
	err = db.WriteQuery(context.Background(), &out, "SELECT * FROM nothing", "csv", root, note)
	var qe *QueryError
	if !errors.As(err, &qe) || !strings.HasSuffix(err.Error(), "\n(the store "+root+" holds no run directory yet: write one with `nosedive run SCENARIO --out "+root+"`)") {
		t.Errorf("refused query: got %v", err)
	}
	if err := db.WriteQuery(context.Background(), &out, "SELECT * FROM runs", "csv", root, note); err != nil {
		t.Fatal(err)
	}
	want := "the store " + root + " holds no run directory yet; write one with `nosedive run SCENARIO --out " + root + "`"
	if len(notes) != 1 || notes[0] != want {
		t.Errorf("notes %q, want %q", notes, want)
	}
}
