package duckdb

import (
	"context"
	"fmt"
	"io"
)

// WriteSchema writes what `nosedive sql --schema` prints: how many runs
// and sweeps the store holds, then every view with its description, why
// it is empty or left out, and its columns and their types.
func (db *DB) WriteSchema(ctx context.Context, w io.Writer) error {
	vs, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	c := db.Catalog
	fmt.Fprintf(w, "store %s: %d runs, %d sweeps\n", c.Root, len(c.Runs), len(c.Sweeps))
	for _, v := range vs {
		fmt.Fprintf(w, "\n%s: %s\n", v.Name, v.Doc)
		if v.Note != "" {
			fmt.Fprintf(w, "  (%s)\n", v.Note)
		}
		width := 0
		for _, col := range v.Columns {
			width = max(width, len(col.Name))
		}
		for _, col := range v.Columns {
			if _, err := fmt.Fprintf(w, "  %-*s  %s\n", width, col.Name, col.Type); err != nil {
				return err
			}
		}
	}
	return nil
}
