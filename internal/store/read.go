package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// Column is one column read from a table, in the Go type that fits it:
// integers as Int, doubles as Float, booleans as Bool, strings as Str. A
// NULL double (an empty cell's mean, say) reads as NaN.
type Column struct {
	Int   []int64
	Float []float64
	Bool  []bool
	Str   []string
}

// Table is a set of columns of equal length.
type Table struct {
	Rows int
	Cols map[string]*Column
	// Names lists every column of the file, in order.
	Names []string
}

// Has reports whether the table has a column.
func (t *Table) Has(name string) bool { _, ok := t.Cols[name]; return ok }

// ReadManifest reads a run directory's run.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a run directory (no %s)", dir, ManifestFile)
		}
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s: format_version %d, this nosedive reads %d", dir, m.FormatVersion, FormatVersion)
	}
	return &m, nil
}

// ReadTable reads the named columns of a Parquet file (all columns when
// names is empty).
func ReadTable(path string, names ...string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t := &Table{Rows: int(pf.NumRows()), Cols: map[string]*Column{}}
	fields := pf.Schema().Fields()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, fl := range fields {
		t.Names = append(t.Names, fl.Name())
	}
	for _, n := range names {
		found := false
		for _, fl := range fields {
			found = found || fl.Name() == n
		}
		if !found {
			return nil, fmt.Errorf("%s: no column %q", path, n)
		}
	}
	for ci, fl := range fields {
		if len(want) > 0 && !want[fl.Name()] {
			continue
		}
		col := &Column{}
		for _, rg := range pf.RowGroups() {
			if err := readChunk(rg.ColumnChunks()[ci], col); err != nil {
				return nil, fmt.Errorf("%s: column %s: %w", path, fl.Name(), err)
			}
		}
		t.Cols[fl.Name()] = col
	}
	return t, nil
}

func readChunk(cc parquet.ColumnChunk, col *Column) error {
	pages := cc.Pages()
	defer pages.Close()
	var buf []parquet.Value
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		n := int(p.NumValues())
		if cap(buf) < n {
			buf = make([]parquet.Value, n)
		}
		buf = buf[:n]
		k, err := p.Values().ReadValues(buf)
		if err != nil && err != io.EOF {
			return err
		}
		for _, v := range buf[:k] {
			if v.IsNull() {
				// Only doubles are ever NULL (docs/store-format.md); they
				// read as NaN.
				if kind := cc.Type().Kind(); kind != parquet.Double && kind != parquet.Float {
					return fmt.Errorf("NULL in a %v column", kind)
				}
				col.Float = append(col.Float, math.NaN())
				continue
			}
			switch v.Kind() {
			case parquet.Int32, parquet.Int64:
				col.Int = append(col.Int, v.Int64())
			case parquet.Double, parquet.Float:
				col.Float = append(col.Float, v.Double())
			case parquet.Boolean:
				col.Bool = append(col.Bool, v.Boolean())
			case parquet.ByteArray:
				col.Str = append(col.Str, string(v.ByteArray()))
			default:
				return fmt.Errorf("unsupported value kind %v", v.Kind())
			}
		}
		parquet.Release(p)
	}
}
