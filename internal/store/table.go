package store

import (
	"fmt"
	"io"
	"reflect"
	"strings"

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

// writeTable writes rows [0, n) of the columns as one Parquet file.
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
	buf := make([]parquet.Value, 0, min(n, 64<<10))
	for lo := 0; lo < n; lo += rowGroupRows {
		hi := min(lo+rowGroupRows, n)
		for k, c := range cols {
			cw := pw.ColumnWriters()[k]
			for blo := lo; blo < hi; blo += cap(buf) {
				bhi := min(blo+cap(buf), hi)
				buf = buf[:0]
				for r := blo; r < bhi; r++ {
					var v parquet.Value
					switch c.typ {
					case tInt32:
						v = parquet.Int32Value(c.i32(r))
					case tInt64:
						v = parquet.Int64Value(c.i64(r))
					case tDouble:
						v = parquet.DoubleValue(c.f64(r))
					case tBool:
						v = parquet.BooleanValue(c.b(r))
					case tString:
						v = parquet.ByteArrayValue(c.s(r))
					}
					buf = append(buf, v.Level(0, 0, k))
				}
				if _, err := cw.WriteRowValues(buf); err != nil {
					return fmt.Errorf("write %s column %s: %w", name, c.name, err)
				}
			}
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return pw.Close()
}

// columnName makes a scenario name safe as a column name suffix.
func columnName(prefix, name string) string {
	return prefix + strings.ReplaceAll(name, "-", "_")
}
