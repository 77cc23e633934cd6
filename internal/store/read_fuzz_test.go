package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// FuzzReadTable feeds arbitrary bytes to ReadTable as each of a run's
// tables, beside a real run.json: the answer is a table whose columns all
// have Rows values, or an error naming the file; never a panic, a hang or
// an allocation the file's size does not justify. Seeded with a real
// run's tables.
func FuzzReadTable(f *testing.F) {
	src := smallRunF(f)
	files := []string{store.DailyFile, store.AgentsFile, store.LedgerFile}
	for k, name := range files {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(k), b)
	}
	dir := f.TempDir()
	m, err := os.ReadFile(filepath.Join(src, store.ManifestFile))
	if err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.ManifestFile), m, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		path := filepath.Join(dir, files[int(which)%len(files)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tab, err := store.ReadTable(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		for n, c := range tab.Cols {
			if l := len(c.Int) + len(c.Float) + len(c.Bool) + len(c.Str); l != tab.Rows {
				t.Fatalf("column %s has %d values for %d rows", n, l, tab.Rows)
			}
		}
	})
}
