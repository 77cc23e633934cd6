package duckdb

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestWriteSchema: the store's counts (alpha, beta and the sweep's two runs; the
// .tmp- run is not one), then each view of Schema with its
// description and its columns aligned on the longest name, in Schema's
// order; the text lists exactly the views and columns Schema returns.
func TestWriteSchema(t *testing.T) {
	db := open(t, fixture(t))
	var b bytes.Buffer
	if err := db.WriteSchema(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	vs, err := db.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if lines[0] != "store "+db.Catalog.Root+": 4 runs, 1 sweeps" {
		t.Errorf("first line %q", lines[0])
	}
	k := 1
	for _, v := range vs {
		if lines[k] != "" || lines[k+1] != v.Name+": "+v.Doc {
			t.Fatalf("view %s at line %d: %q %q", v.Name, k, lines[k], lines[k+1])
		}
		k += 2
		if v.Note != "" {
			if lines[k] != "  ("+v.Note+")" {
				t.Errorf("view %s note %q", v.Name, lines[k])
			}
			k++
		}
		width := 0
		for _, c := range v.Columns {
			width = max(width, len(c.Name))
		}
		for _, c := range v.Columns {
			if want := "  " + c.Name + strings.Repeat(" ", width-len(c.Name)) + "  " + c.Type; lines[k] != want {
				t.Errorf("view %s: %q, want %q", v.Name, lines[k], want)
			}
			k++
		}
	}
	if k != len(lines) {
		t.Errorf("%d lines, %d accounted for:\n%s", len(lines), k, b.String())
	}
}
