package duckdb

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ddb "github.com/duckdb/duckdb-go/v2"
)

// Formats lists the output formats of NewWriter.
var Formats = []string{"table", "csv", "json"}

// Writer receives a query result as Query produces it.
type Writer interface {
	Header(cols []Column) error
	Row(vals []any) error
	// Close finishes the output (the table is printed, the JSON array
	// closed) and reports the number of rows.
	Close() (rows int, err error)
}

// NewWriter returns a writer of format (one of Formats) to w.
func NewWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case "table":
		return &tableWriter{w: w}, nil
	case "csv":
		return &csvWriter{w: csv.NewWriter(w)}, nil
	case "json":
		return &jsonWriter{w: bufio.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// Write runs query and writes its result to w in format (one of
// Formats) through NewWriter, returning the number of rows written.
func (d *DB) Write(ctx context.Context, w io.Writer, query, format string) (int, error) {
	out, err := NewWriter(format, w)
	if err != nil {
		return 0, err
	}
	if err := d.Query(ctx, query, out.Header, out.Row); err != nil {
		return 0, err
	}
	return out.Close()
}

// Text renders a value for a table or CSV cell: NULL as "" (the table
// writer prints NULL), numbers in full precision, times in RFC 3339,
// lists, structs and JSON as JSON.
func Text(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if typ == "JSON" {
			b, _ := json.Marshal(x)
			return string(b)
		}
		return x
	case []byte:
		return fmt.Sprintf("\\x%x", x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		switch typ {
		case "DATE":
			return x.Format(time.DateOnly)
		case "TIME":
			return x.Format("15:04:05.999999")
		}
		return x.UTC().Format(time.RFC3339Nano)
	case *big.Int:
		return x.String()
	case ddb.Decimal:
		return x.String()
	case ddb.UUID:
		return x.String()
	case *ddb.UUID:
		return x.String()
	case ddb.Interval:
		return fmt.Sprintf("%d months %d days %d us", x.Months, x.Days, x.Micros)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(JSONValue(v, typ))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// JSONValue converts a value for encoding/json: NaN and infinities become
// null, big and decimal numbers stay exact, DuckDB maps become objects
// with string keys, lists and structs are converted element by element.
func JSONValue(v any, typ string) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return JSONValue(float64(x), typ)
	case *big.Int:
		return json.Number(x.String())
	case ddb.Decimal:
		return json.Number(x.String())
	case time.Time, ddb.UUID, *ddb.UUID, ddb.Interval, []byte:
		return Text(x, typ)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONValue(e, "")
		}
		return out
	case ddb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[Text(k, "")] = JSONValue(e, "")
		}
		return out
	}
	return v
}

// tableWriter buffers the cells to align columns: strings left, numbers
// right, NULL printed as NULL.
type tableWriter struct {
	w     io.Writer
	cols  []Column
	cells [][]string
	right []bool
}

func (t *tableWriter) Header(cols []Column) error {
	t.cols = cols
	t.right = make([]bool, len(cols))
	for i, c := range cols {
		t.right[i] = numericType(c.Type)
	}
	return nil
}

func numericType(typ string) bool {
	switch {
	case strings.HasSuffix(typ, "[]"), strings.HasPrefix(typ, "STRUCT"), strings.HasPrefix(typ, "MAP"):
		return false
	case strings.HasPrefix(typ, "DECIMAL"):
		return true
	}
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
		"UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

// maxCell caps a table cell; longer text (a whole manifest, say) is cut
// with an ellipsis. CSV and JSON are never cut.
const maxCell = 60

func (t *tableWriter) Row(vals []any) error {
	r := make([]string, len(vals))
	for i, v := range vals {
		switch f := v.(type) {
		case nil:
			r[i] = "NULL"
			continue
		case float64:
			r[i] = tableFloat(f)
			continue
		}
		s := strings.ReplaceAll(Text(v, t.cols[i].Type), "\n", `\n`)
		if utf8.RuneCountInString(s) > maxCell {
			s = string([]rune(s)[:maxCell-1]) + "…"
		}
		r[i] = s
	}
	t.cells = append(t.cells, r)
	return nil
}

// tableFloat prints a double with 6 significant digits, without an
// exponent for everyday magnitudes.
func tableFloat(f float64) string {
	a := math.Abs(f)
	switch {
	case a == 0:
		return "0"
	case math.IsNaN(f) || math.IsInf(f, 0) || a < 1e-4 || a >= 1e15:
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	digits := max(5-int(math.Floor(math.Log10(a))), 0)
	s := strconv.FormatFloat(f, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func (t *tableWriter) Close() (int, error) {
	if len(t.cols) == 0 {
		return 0, nil
	}
	width := make([]int, len(t.cols))
	for i, c := range t.cols {
		width[i] = utf8.RuneCountInString(c.Name)
	}
	for _, r := range t.cells {
		for i, s := range r {
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	bw := bufio.NewWriter(t.w)
	line := func(cells []string, right []bool) {
		var b strings.Builder
		for i, s := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
			if right != nil && right[i] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " "))
		bw.WriteString("\n")
	}
	names := make([]string, len(t.cols))
	rules := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.Name
		rules[i] = strings.Repeat("-", width[i])
	}
	line(names, t.right)
	line(rules, nil)
	for _, r := range t.cells {
		line(r, t.right)
	}
	noun := "rows"
	if len(t.cells) == 1 {
		noun = "row"
	}
	fmt.Fprintf(bw, "(%d %s)\n", len(t.cells), noun)
	return len(t.cells), bw.Flush()
}

type csvWriter struct {
	w    *csv.Writer
	cols []Column
	rec  []string
	n    int
}

func (c *csvWriter) Header(cols []Column) error {
	c.cols = cols
	c.rec = make([]string, len(cols))
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	return c.w.Write(names)
}

func (c *csvWriter) Row(vals []any) error {
	for i, v := range vals {
		c.rec[i] = Text(v, c.cols[i].Type)
	}
	c.n++
	return c.w.Write(c.rec)
}

func (c *csvWriter) Close() (int, error) {
	c.w.Flush()
	return c.n, c.w.Error()
}

// jsonWriter streams an array of objects whose keys keep the column
// order (encoding/json would sort a map's keys).
type jsonWriter struct {
	w    *bufio.Writer
	cols []Column
	keys [][]byte
	n    int
}

func (j *jsonWriter) Header(cols []Column) error {
	j.cols = cols
	seen := map[string]int{}
	for _, c := range cols {
		name := c.Name
		// Duplicate names (SELECT a.x, b.x) get a suffix, as objects
		// cannot hold a key twice.
		if k := seen[c.Name]; k > 0 {
			name = c.Name + "_" + strconv.Itoa(k)
		}
		seen[c.Name]++
		b, _ := json.Marshal(name)
		j.keys = append(j.keys, b)
	}
	_, err := j.w.WriteString("[")
	return err
}

func (j *jsonWriter) Row(vals []any) error {
	if j.n > 0 {
		j.w.WriteString(",")
	}
	j.w.WriteString("\n  {")
	for i, v := range vals {
		if i > 0 {
			j.w.WriteString(", ")
		}
		j.w.Write(j.keys[i])
		j.w.WriteString(": ")
		b, err := json.Marshal(JSONValue(v, j.cols[i].Type))
		if err != nil {
			return fmt.Errorf("column %s: %w", j.cols[i].Name, err)
		}
		j.w.Write(b)
	}
	j.w.WriteString("}")
	j.n++
	return nil
}

func (j *jsonWriter) Close() (int, error) {
	if j.n > 0 {
		j.w.WriteString("\n")
	}
	j.w.WriteString("]\n")
	return j.n, j.w.Flush()
}

// WriteQuery is Write as `nosedive sql` runs it over the store at root:
// a refused query is the *QueryError itself (bad input), which on a store
// without runs also says how to write one; a query that gives no rows on
// such a store says so through note.
func (d *DB) WriteQuery(ctx context.Context, w io.Writer, query, format, root string, note func(string)) error {
	empty := len(d.Catalog.Runs) == 0
	hint := fmt.Sprintf("the store %s holds no run directory yet", root)
	n, err := d.Write(ctx, w, query, format)
	if qe := (*QueryError)(nil); errors.As(err, &qe) && empty {
		return &QueryError{Err: fmt.Errorf("%w\n(%s: write one with `nosedive run SCENARIO --out %s`)", qe.Err, hint, root)}
	} else if qe != nil {
		return qe
	}
	if err == nil && n == 0 && empty {
		note(fmt.Sprintf("%s; write one with `nosedive run SCENARIO --out %s`", hint, root))
	}
	return err
}
