package store

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/nosedive-lab/nosedive/internal/par"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// colType is a Parquet physical type we write.
type colType uint8

const (
	tInt32 colType = iota
	tInt64
	tDouble
	tBool
	tString // dictionary-encoded UTF-8
)

// column is one column of a table being written: a name, a type, and a
// function giving row r's value.
type column struct {
	name string
	typ  colType
	i32  func(r int) int32
	i64  func(r int) int64
	f64  func(r int) float64
	b    func(r int) bool
	s    func(r int) []byte
	// null, when set, makes the column optional: row r is NULL where it
	// returns true (docs/store-format.md says which columns and when).
	null func(r int) bool
}

// schemaOf builds a Parquet schema that keeps the columns in the given order
// (parquet.Group would sort them by name).
func schemaOf(name string, cols []column) *parquet.Schema {
	fields := make([]reflect.StructField, len(cols))
	for k, c := range cols {
		var t reflect.Type
		tag := c.name
		switch c.typ {
		case tInt32:
			t = reflect.TypeOf(int32(0))
		case tInt64:
			t = reflect.TypeOf(int64(0))
		case tDouble:
			t = reflect.TypeOf(float64(0))
		case tBool:
			t = reflect.TypeOf(false)
		case tString:
			t = reflect.TypeOf("")
			tag += ",dict"
		}
		if c.null != nil {
			tag += ",optional"
		}
		fields[k] = reflect.StructField{
			Name: fmt.Sprintf("F%d", k),
			Type: t,
			Tag:  reflect.StructTag(`parquet:"` + tag + `"`),
		}
	}
	model := reflect.New(reflect.StructOf(fields)).Elem().Interface()
	return parquet.NewSchema(name, parquet.SchemaOf(model))
}

// KeyValue is one entry of a Parquet file's key-value metadata.
type KeyValue struct{ Key, Value string }

// Metadata is the key-value metadata of every Parquet file of a run
// (docs/store-format.md; the file holds it sorted by key): which run the
// file belongs to and which nosedive wrote it, so that a copied file still
// says.
func Metadata(m *Manifest) []KeyValue {
	return []KeyValue{
		{"nosedive.run_id", m.ID},
		{"nosedive.scenario", m.Scenario.Name},
		{"nosedive.scenario_sha256", m.Scenario.SHA256},
		{"nosedive.seed", strconv.FormatUint(m.Seed, 10)},
		{"nosedive.version", m.Version},
		{"nosedive.commit", m.Commit},
		{"nosedive.modified", strconv.FormatBool(m.Modified)},
	}
}

// rowGroupRows is the number of rows per Parquet row group.
const rowGroupRows = 1 << 20

// writeTable writes rows [0, n) of the columns as one Parquet file. The
// columns of a row group are encoded on all cores (each column writer
// buffers its own pages; the row group is then written in column order), so
// the file's bytes do not depend on the number of cores.
func writeTable(w io.Writer, name string, cols []column, n int, meta []KeyValue) error {
	opts := []parquet.WriterOption{
		schemaOf(name, cols),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.CreatedBy("nosedive", "", ""),
	}
	for _, kv := range meta {
		opts = append(opts, parquet.KeyValueMetadata(kv.Key, kv.Value))
	}
	pw := parquet.NewWriter(w, opts...)
	writers := pw.ColumnWriters()
	errs := make([]error, len(cols))
	for lo := 0; lo < n; lo += rowGroupRows {
		hi := min(lo+rowGroupRows, n)
		par.For(len(cols), 1, func(a, b int) {
			for k := a; k < b; k++ {
				errs[k] = writeColumn(writers[k], &cols[k], lo, hi)
			}
		})
		for k, err := range errs {
			if err != nil {
				return fmt.Errorf("write %s column %s: %w", name, cols[k].name, err)
			}
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return pw.Close()
}

// writeColumn writes rows [lo, hi) of one column. Columns are flat, so a
// value's only level is the definition level of an optional column (0 for
// NULL, 1 for a value); the column index is implied by the writer.
func writeColumn(cw *parquet.ColumnWriter, c *column, lo, hi int) error {
	bp := valueBufs.Get().(*[]parquet.Value)
	defer valueBufs.Put(bp)
	buf := (*bp)[:min(hi-lo, len(*bp))]
	for blo := lo; blo < hi; blo += len(buf) {
		vals := buf[:min(len(buf), hi-blo)]
		switch c.typ {
		case tInt32:
			for k := range vals {
				vals[k] = parquet.Int32Value(c.i32(blo + k))
			}
		case tInt64:
			for k := range vals {
				vals[k] = parquet.Int64Value(c.i64(blo + k))
			}
		case tDouble:
			for k := range vals {
				vals[k] = parquet.DoubleValue(c.f64(blo + k))
			}
		case tBool:
			for k := range vals {
				vals[k] = parquet.BooleanValue(c.b(blo + k))
			}
		case tString:
			for k := range vals {
				vals[k] = parquet.ByteArrayValue(c.s(blo + k))
			}
		}
		if c.null != nil {
			for k := range vals {
				if c.null(blo + k) {
					vals[k] = parquet.NullValue().Level(0, 0, 0)
				} else {
					vals[k] = vals[k].Level(0, 1, 0)
				}
			}
		}
		if _, err := cw.WriteRowValues(vals); err != nil {
			return err
		}
	}
	return nil
}

// valueBufs holds the buffers columns are written through, one per worker
// at a time: a buffer per column and row group would be garbage the size of
// the table, which a run's heap (twice its live state before a collection)
// would hold on to while the tables are written.
var valueBufs = sync.Pool{New: func() any { b := make([]parquet.Value, 64<<10); return &b }}

// columnName makes a scenario name safe as a column name suffix.
func columnName(prefix, name string) string {
	return prefix + strings.ReplaceAll(name, "-", "_")
}
