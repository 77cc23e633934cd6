package sweep

import (
	"fmt"
	"io"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// col is a column of a result fragment: its values are held in one slice
// of the matching type (fragments are small: days x groups rows).
type col struct {
	name string
	i32  []int32
	i64  []int64
	f64  []float64
	str  []string
}

func (c *col) kind() reflect.Type {
	switch {
	case c.i32 != nil:
		return reflect.TypeOf(int32(0))
	case c.i64 != nil:
		return reflect.TypeOf(int64(0))
	case c.str != nil:
		return reflect.TypeOf("")
	}
	return reflect.TypeOf(float64(0))
}

// writeParquet writes the columns (all of length n) as one Parquet file,
// keeping their order. The output depends only on the values, so equal
// inputs give byte-identical files.
func writeParquet(w io.Writer, name string, cols []*col, n int) error {
	fields := make([]reflect.StructField, len(cols))
	for k, c := range cols {
		tag := c.name
		if c.str != nil {
			tag += ",dict"
		}
		fields[k] = reflect.StructField{Name: fmt.Sprintf("F%d", k), Type: c.kind(), Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	model := reflect.New(reflect.StructOf(fields)).Elem().Interface()
	pw := parquet.NewWriter(w, parquet.NewSchema(name, parquet.SchemaOf(model)),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}), parquet.CreatedBy("nosedive", "", ""))
	buf := make([]parquet.Value, n)
	for k, c := range cols {
		for r := range n {
			var v parquet.Value
			switch {
			case c.i32 != nil:
				v = parquet.Int32Value(c.i32[r])
			case c.i64 != nil:
				v = parquet.Int64Value(c.i64[r])
			case c.str != nil:
				v = parquet.ByteArrayValue([]byte(c.str[r]))
			default:
				v = parquet.DoubleValue(c.f64[r])
			}
			buf[r] = v.Level(0, 0, k)
		}
		if _, err := pw.ColumnWriters()[k].WriteRowValues(buf); err != nil {
			return fmt.Errorf("write %s column %s: %w", name, c.name, err)
		}
	}
	if err := pw.Flush(); err != nil {
		return err
	}
	return pw.Close()
}
