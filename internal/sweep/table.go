package sweep

import (
	"fmt"
	"io"
	"math"
	"reflect"

	"github.com/nosedive-lab/nosedive/internal/store"

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
// keeping their order, with the key-value metadata meta. The output
// depends only on the values, so equal inputs give byte-identical files.
// Double columns are optional: a NaN (a figure that is undefined, such as
// the mean score of a day and group without agents) is written as NULL.
func writeParquet(w io.Writer, name string, cols []*col, n int, meta []store.KeyValue) error {
	fields := make([]reflect.StructField, len(cols))
	for k, c := range cols {
		tag := c.name
		switch {
		case c.str != nil:
			tag += ",dict"
		case c.f64 != nil:
			tag += ",optional" // NaN, an undefined figure, is written as NULL
		}
		fields[k] = reflect.StructField{Name: fmt.Sprintf("F%d", k), Type: c.kind(), Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	model := reflect.New(reflect.StructOf(fields)).Elem().Interface()
	opts := []parquet.WriterOption{parquet.NewSchema(name, parquet.SchemaOf(model)),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}), parquet.CreatedBy("nosedive", "", "")}
	for _, kv := range meta {
		opts = append(opts, parquet.KeyValueMetadata(kv.Key, kv.Value))
	}
	pw := parquet.NewWriter(w, opts...)
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
			case math.IsNaN(c.f64[r]):
				v = parquet.NullValue().Level(0, 0, k)
			default:
				v = parquet.DoubleValue(c.f64[r]).Level(0, 1, k)
			}
			if c.f64 == nil {
				v = v.Level(0, 0, k)
			}
			buf[r] = v
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
