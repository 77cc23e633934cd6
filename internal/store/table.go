package store

import (
	"fmt"
	"io"
	"reflect"
	"strings"

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
		fields[k] = reflect.StructField{
			Name: fmt.Sprintf("F%d", k),
			Type: t,
			Tag:  reflect.StructTag(`parquet:"` + tag + `"`),
		}
	}
	model := reflect.New(reflect.StructOf(fields)).Elem().Interface()
	return parquet.NewSchema(name, parquet.SchemaOf(model))
}

// rowGroupRows is the number of rows per Parquet row group.
const rowGroupRows = 1 << 20

// writeTable writes rows [0, n) of the columns as one Parquet file. The
// columns of a row group are encoded on all cores (each column writer
// buffers its own pages; the row group is then written in column order), so
// the file's bytes do not depend on the number of cores.
func writeTable(w io.Writer, name string, cols []column, n int, meta map[string]string) error {
	opts := []parquet.WriterOption{
		schemaOf(name, cols),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.CreatedBy("nosedive", "", ""),
	}
	for k, v := range meta {
		opts = append(opts, parquet.KeyValueMetadata(k, v))
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

// writeColumn writes rows [lo, hi) of one column. The values carry no
// levels: every column is required and flat, so column index and levels
// are implied by the writer they go to.
func writeColumn(cw *parquet.ColumnWriter, c *column, lo, hi int) error {
	buf := make([]parquet.Value, min(hi-lo, 64<<10))
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
		if _, err := cw.WriteRowValues(vals); err != nil {
			return err
		}
	}
	return nil
}

// columnName makes a scenario name safe as a column name suffix.
func columnName(prefix, name string) string {
	return prefix + strings.ReplaceAll(name, "-", "_")
}
