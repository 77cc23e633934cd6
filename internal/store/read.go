package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Column is one column read from a table, in the Go type that fits it:
// integers as Int, doubles as Float, booleans as Bool, strings as Str. A
// NULL double (an empty cell's mean, say) reads as NaN, a NULL integer as
// NullInt.
type Column struct {
	Int   []int64
	Float []float64
	Bool  []bool
	Str   []string
}

// NullInt is what a NULL integer reads as. Only ids and days are ever
// NULL among a run's integers (`partner`: no partner; `first_sanction_day`:
// never sanctioned), and they are never negative, so code that tests
// `< 0` or `>= 0` reads the NULLs right; the reader refuses a negative
// value stored in those columns, and a NULL in any other integer column.
const NullInt = -1

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
	if err := m.check(); err != nil {
		return nil, damaged(filepath.Join(dir, ManifestFile), "%v", err)
	}
	return &m, nil
}

// check tells whether a manifest read from disk can describe a run: the
// sizes and category names that readers index by are in range.
func (m *Manifest) check() error {
	if m.Agents < 1 || m.Agents > math.MaxInt32 {
		return fmt.Errorf("agents %d is outside 1..%d", m.Agents, math.MaxInt32)
	}
	if m.Days < 0 || m.Days > 1<<20 {
		return fmt.Errorf("days %d is outside 0..%d", m.Days, 1<<20)
	}
	if err := ValidName(m.Name); err != nil {
		return fmt.Errorf("name: %v", err)
	}
	nm := m.Names
	for _, l := range []struct {
		what        string
		names       []string
		least, most int
	}{
		{"names.regions", nm.Regions, 1, math.MaxInt32}, {"names.groups", nm.Groups, 1, math.MaxInt32},
		{"names.ages", nm.Ages, 1, math.MaxInt32}, {"names.tiers", nm.Tiers, 1, math.MaxInt32},
		{"names.traits", nm.Traits, 0, 32}, {"names.sanctions", nm.Sanctions, 0, 32}, {"names.flags", nm.Flags, 0, 32},
		{"names.privileges", nm.Privileges, 0, 32}, {"names.scores", nm.Scores, 0, 8},
		{"names.behaviours", nm.Behaviours, 0, math.MaxInt32}, {"names.contributions", nm.Contributions, 0, math.MaxInt32},
	} {
		if len(l.names) < l.least || len(l.names) > l.most {
			return fmt.Errorf("%s has %d names, want %d to %d", l.what, len(l.names), l.least, l.most)
		}
		seen := map[string]bool{}
		for _, n := range l.names {
			if n == "" || seen[n] {
				return fmt.Errorf("%s: name %q is empty or repeated", l.what, n)
			}
			seen[n] = true
		}
	}
	if len(m.Privileges) != len(nm.Privileges) {
		return fmt.Errorf("%d privileges described for %d named", len(m.Privileges), len(nm.Privileges))
	}
	if len(m.Sanctions) != len(nm.Sanctions) {
		return fmt.Errorf("%d sanctions described for %d named", len(m.Sanctions), len(nm.Sanctions))
	}
	return nil
}

// DamagedError says a stored table cannot be read as what it should be:
// not Parquet, cut short, overwritten, or with columns of the wrong name,
// type or length, or values outside the run's ranges. Path names the file.
type DamagedError struct {
	Path   string
	Detail string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s is damaged: %s", e.Path, e.Detail)
}

func damaged(path, format string, args ...any) error {
	return &DamagedError{Path: path, Detail: fmt.Sprintf(format, args...)}
}

// ReadTable reads the named columns of a Parquet file (all columns when
// names is empty).
//
// Whatever the file holds, the answer is a table whose columns all have
// Rows values, or an error naming the file (a *DamagedError when the file
// is there but unreadable): the Parquet decoder's panics on corrupt input
// are turned into errors here. A run directory's own tables (daily.parquet,
// agents.parquet, ledger.parquet) are also checked against the schema of
// docs/store-format.md, and, when the directory's run.json is readable,
// against the run's names and sizes (every column the run's categories
// call for, categories and ids in range), so that code indexing by them
// cannot go out of bounds.
func ReadTable(path string, names ...string) (t *Table, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, damaged(path, "the Parquet decoder failed: %v", p)
		}
	}()
	var m *Manifest
	if _, ok := runSchemas[filepath.Base(path)]; ok {
		m, _ = ReadManifest(filepath.Dir(path)) // nil: not in a run directory
	}
	t, err = readTable(path, names, maxRows(path, m))
	if err != nil {
		return nil, err
	}
	if err := checkRunTable(path, t, len(names) == 0, m); err != nil {
		return nil, err
	}
	return t, nil
}

// maxRows is how many rows a run's table can have (-1: no bound known):
// agents.parquet one per agent, daily.parquet one per day and cell.
func maxRows(path string, m *Manifest) int64 {
	if m == nil {
		return -1
	}
	switch filepath.Base(path) {
	case AgentsFile:
		return int64(m.Agents)
	case DailyFile:
		return int64(m.Days+1) * int64(len(m.Names.Regions)) * int64(len(m.Names.Groups))
	}
	return -1
}

func readTable(path string, names []string, most int64) (*Table, error) {
	return readTableGroups(path, names, most, nil)
}

// readTableGroups is readTable reading only the row groups keep accepts
// (all when keep is nil); Rows counts the rows read.
func readTableGroups(path string, names []string, most int64, keep func(parquet.RowGroup) bool) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	// The decoder allocates what the file's footer and page headers claim
	// before it reads them (up to 4 GiB for a footer, 2 GiB a page): their
	// sizes are checked against the file first.
	if err := checkFooter(f, st.Size()); err != nil {
		return nil, damaged(path, "%v", err)
	}
	if err := checkFooterLists(f, st.Size()); err != nil {
		return nil, damaged(path, "%v", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, damaged(path, "%v", err)
	}
	if err := checkPages(f, pf); err != nil {
		return nil, damaged(path, "%v", err)
	}
	rows := pf.NumRows()
	if rows < 0 || rows > math.MaxInt32*8 || (most >= 0 && rows > most) {
		return nil, damaged(path, "it claims %d rows, more than the run can have", rows)
	}
	t := &Table{Rows: int(rows), Cols: map[string]*Column{}}
	fields := pf.Schema().Fields()
	seen := map[string]bool{}
	for _, fl := range fields {
		if !fl.Leaf() || fl.Repeated() {
			return nil, damaged(path, "column %q is nested or repeated; nosedive writes flat columns", fl.Name())
		}
		if seen[fl.Name()] {
			return nil, damaged(path, "column %q appears twice", fl.Name())
		}
		seen[fl.Name()] = true
		t.Names = append(t.Names, fl.Name())
	}
	for _, n := range names {
		if !seen[n] {
			return nil, fmt.Errorf("%s: no column %q", path, n)
		}
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	nullInts := runSchemas[filepath.Base(path)].nullInts
	groups := pf.RowGroups()
	var sum int64
	for _, rg := range groups {
		if len(rg.ColumnChunks()) != len(fields) {
			return nil, damaged(path, "a row group has %d columns, the schema %d", len(rg.ColumnChunks()), len(fields))
		}
		if rg.NumRows() < 0 {
			return nil, damaged(path, "a row group claims %d rows", rg.NumRows())
		}
		sum += rg.NumRows()
	}
	if sum != rows {
		return nil, damaged(path, "its row groups hold %d rows, its footer says %d", sum, rows)
	}
	if keep != nil {
		var kept []parquet.RowGroup
		t.Rows = 0
		for _, rg := range groups {
			if keep(rg) {
				kept = append(kept, rg)
				t.Rows += int(rg.NumRows())
			}
		}
		groups = kept
	}
	for ci, fl := range fields {
		if len(want) > 0 && !want[fl.Name()] {
			continue
		}
		col := &Column{}
		for _, rg := range groups {
			if err := readChunk(rg.ColumnChunks()[ci], col, t.Rows, nullInts[fl.Name()]); err != nil {
				return nil, damaged(path, "column %s: %v", fl.Name(), err)
			}
		}
		if n := col.len(); n != t.Rows {
			return nil, damaged(path, "column %s has %d values for %d rows", fl.Name(), n, t.Rows)
		}
		t.Cols[fl.Name()] = col
	}
	return t, nil
}

// maxPageBytes bounds one page, compressed or not; nosedive's pages are
// about 256 KiB.
const maxPageBytes = 256 << 20

// checkFooter checks the file's end: the magic bytes, and a footer length
// that fits in the file.
func checkFooter(f *os.File, size int64) error {
	if size < 12 {
		return fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("no Parquet magic bytes at its end (cut short or overwritten?)")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("its footer claims %d bytes, more than the file's %d", n, size)
	}
	return nil
}

// checkFooterLists reads the footer (its length checked by checkFooter)
// and checks its structure before the decoder sees it: the decoder
// allocates every list at the length the file claims, so one damaged
// length would take all the memory there is (a fatal error, not a panic).
func checkFooterLists(f *os.File, size int64) error {
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	b := make([]byte, binary.LittleEndian.Uint32(tail[:]))
	if _, err := f.ReadAt(b, size-8-int64(len(b))); err != nil {
		return err
	}
	n, err := thriftStruct(b, 0)
	if err != nil {
		return fmt.Errorf("its footer: %v", err)
	}
	if n != len(b) {
		return fmt.Errorf("its footer ends at byte %d of %d", n, len(b))
	}
	return nil
}

// thriftStruct walks one struct in Thrift's compact encoding (what
// Parquet's footer and page headers are) and returns its length in bytes.
// It checks what a decoder would trust: every length and element count
// fits in the bytes that remain (each element takes at least one), and
// nesting is at most 32 deep.
func thriftStruct(b []byte, depth int) (int, error) {
	if depth > 32 {
		return 0, fmt.Errorf("structures nested more than 32 deep")
	}
	p := 0
	for {
		if p >= len(b) {
			return 0, fmt.Errorf("cut short at byte %d", p)
		}
		h := b[p]
		p++
		if h == 0 { // stop
			return p, nil
		}
		if h>>4 == 0 { // a full field id follows
			_, n, err := uvarint(b[p:])
			if err != nil {
				return 0, err
			}
			p += n
		}
		n, err := thriftValue(b[p:], h&0x0f, depth, true)
		if err != nil && depth == 0 {
			return 0, fmt.Errorf("in the field at byte %d: %v", p, err)
		}
		if err != nil {
			return 0, err
		}
		p += n
	}
}

// thriftValue returns the length of one value of compact type t; a field's
// booleans are in its header, a list's take a byte each.
func thriftValue(b []byte, t byte, depth int, field bool) (int, error) {
	switch t {
	case 1, 2: // boolean
		if field {
			return 0, nil
		}
		if len(b) < 1 {
			return 0, fmt.Errorf("cut short")
		}
		return 1, nil
	case 3: // byte
		if len(b) < 1 {
			return 0, fmt.Errorf("cut short")
		}
		return 1, nil
	case 4, 5, 6: // i16, i32, i64
		_, n, err := uvarint(b)
		return n, err
	case 7: // double
		if len(b) < 8 {
			return 0, fmt.Errorf("cut short")
		}
		return 8, nil
	case 8: // binary
		l, n, err := uvarint(b)
		if err != nil {
			return 0, err
		}
		if l > uint64(len(b)-n) {
			return 0, fmt.Errorf("a string of %d bytes where %d remain", l, len(b)-n)
		}
		return n + int(l), nil
	case 9, 10: // list, set
		if len(b) < 1 {
			return 0, fmt.Errorf("cut short")
		}
		count, et, p := uint64(b[0]>>4), b[0]&0x0f, 1
		if count == 15 {
			c, n, err := uvarint(b[1:])
			if err != nil {
				return 0, err
			}
			count, p = c, 1+n
		}
		if count > uint64(len(b)-p) {
			return 0, fmt.Errorf("a list of %d elements where %d bytes remain", count, len(b)-p)
		}
		for range count {
			n, err := thriftValue(b[p:], et, depth+1, false)
			if err != nil {
				return 0, err
			}
			p += n
		}
		return p, nil
	case 11: // map
		count, p, err := uvarint(b)
		if err != nil {
			return 0, err
		}
		if count == 0 {
			return p, nil
		}
		if count > uint64(len(b)-p)/2 || p >= len(b) {
			return 0, fmt.Errorf("a map of %d entries where %d bytes remain", count, len(b)-p)
		}
		kt, vt := b[p]>>4, b[p]&0x0f
		p++
		for range count {
			for _, et := range []byte{kt, vt} {
				n, err := thriftValue(b[p:], et, depth+1, false)
				if err != nil {
					return 0, err
				}
				p += n
			}
		}
		return p, nil
	case 12: // struct
		return thriftStruct(b, depth+1)
	}
	return 0, fmt.Errorf("unknown Thrift type %d", t)
}

// uvarint reads a varint of at most 10 bytes.
func uvarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, fmt.Errorf("a damaged number")
	}
	return v, n, nil
}

// checkPages walks every column chunk's page headers as the decoder will,
// and checks that each chunk lies inside the file and each page inside its
// chunk, with a bounded uncompressed size.
func checkPages(f *os.File, pf *parquet.File) error {
	size := pf.Size()
	proto := &thrift.CompactProtocol{}
	buf := make([]byte, 64<<10) // a page header is a few dozen bytes; statistics may add some
	for i, rg := range pf.Metadata().RowGroups {
		for j, cc := range rg.Columns {
			md := cc.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			end := start + md.TotalCompressedSize
			if start < 4 || md.TotalCompressedSize < 0 || end < start || end > size-8 {
				return fmt.Errorf("row group %d, column %d: its pages (bytes %d to %d) lie outside the file", i, j, start, end)
			}
			for off := start; off < end; {
				n, err := f.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
				if err != nil && err != io.EOF {
					return err
				}
				hlen, err := thriftStruct(buf[:n], 0)
				if err != nil {
					return fmt.Errorf("row group %d, column %d: page header at byte %d: %v", i, j, off, err)
				}
				pr := proto.NewReaderFromBytes(buf[:hlen])
				var h format.PageHeader
				if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
					return fmt.Errorf("row group %d, column %d: page header at byte %d: %v", i, j, off, err)
				}
				hl := int64(pr.BytesRead())
				if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes ||
					int64(h.CompressedPageSize) > end-off-hl {
					return fmt.Errorf("row group %d, column %d: the page at byte %d claims %d bytes (%d uncompressed), its column chunk has %d left",
						i, j, off, h.CompressedPageSize, h.UncompressedPageSize, end-off-hl)
				}
				off += hl + int64(h.CompressedPageSize)
			}
		}
	}
	return nil
}

// len is the number of values in the column; a column holding values of
// two kinds has length -1.
func (c *Column) len() int {
	n, kinds := 0, 0
	for _, l := range []int{len(c.Int), len(c.Float), len(c.Bool), len(c.Str)} {
		if l > 0 {
			n, kinds = l, kinds+1
		}
	}
	if kinds > 1 {
		return -1
	}
	return n
}

// readChunk appends a column chunk's values to col; limit bounds how many
// values the column may hold in all, so that a damaged page header cannot
// make it hold more than the table has rows. Values are read in batches,
// whatever count a page claims. nullInt says the column is an integer one
// that may be NULL (read as NullInt).
func readChunk(cc parquet.ColumnChunk, col *Column, limit int, nullInt bool) error {
	pages := cc.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 64<<10)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if n := p.NumValues(); n < 0 || n > int64(limit-col.len()) || col.len() < 0 {
			return fmt.Errorf("a page holds %d values, more than the table has rows", n)
		}
		if err := readPage(p, buf, col, limit, cc.Type().Kind(), nullInt); err != nil {
			return err
		}
		parquet.Release(p)
	}
}

// readPage appends a page's values to col.
func readPage(p parquet.Page, buf []parquet.Value, col *Column, limit int, kind parquet.Kind, nullInt bool) error {
	vals := p.Values()
	for {
		k, err := vals.ReadValues(buf)
		if err != nil && err != io.EOF {
			return err
		}
		if err := appendValues(buf[:k], col, kind, nullInt); err != nil {
			return err
		}
		if col.len() > limit || col.len() < 0 {
			return fmt.Errorf("a page holds more values than the table has rows")
		}
		if err == io.EOF || k == 0 {
			return nil
		}
	}
}

// appendValues appends values of the column's kind to col.
func appendValues(vs []parquet.Value, col *Column, kind parquet.Kind, nullInt bool) error {
	isInt := kind == parquet.Int32 || kind == parquet.Int64
	for _, v := range vs {
		if v.IsNull() {
			// Doubles may be NULL (an empty cell's mean or quantile,
			// docs/store-format.md) and read as NaN; integers only where
			// the table's schema says (nullInts), reading as NullInt.
			switch {
			case kind == parquet.Double || kind == parquet.Float:
				col.Float = append(col.Float, math.NaN())
			case isInt && nullInt:
				col.Int = append(col.Int, NullInt)
			default:
				return fmt.Errorf("a NULL where nosedive always writes a value (%v)", kind)
			}
			continue
		}
		switch v.Kind() {
		case parquet.Int32, parquet.Int64:
			if nullInt && v.Int64() < 0 {
				// NullInt must mean NULL and nothing else.
				return fmt.Errorf("%d where nosedive writes an id, a day or NULL", v.Int64())
			}
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
	return nil
}

// Kind is the Go type a column is read as.
type Kind uint8

// Column kinds.
const (
	KindInt Kind = iota
	KindFloat
	KindBool
	KindString
)

func (k Kind) String() string {
	return [...]string{"an integer", "a double", "a boolean", "a string"}[k]
}

func (c *Column) kind() (Kind, bool) {
	switch {
	case c.Int != nil:
		return KindInt, true
	case c.Float != nil:
		return KindFloat, true
	case c.Bool != nil:
		return KindBool, true
	case c.Str != nil:
		return KindString, true
	}
	return 0, false // no rows: any kind fits
}

// Require checks that the table has each named column, of kind k; path
// names the file in the error.
func (t *Table) Require(path string, k Kind, names ...string) error {
	for _, n := range names {
		c, ok := t.Cols[n]
		if !ok {
			return damaged(path, "no column %q", n)
		}
		if got, ok := c.kind(); ok && got != k {
			return damaged(path, "column %q holds %s, not %s", n, got, k)
		}
	}
	return nil
}

// requireIn checks that every value of a string column is one of names.
func (t *Table) requireIn(path, col string, names []string) error {
	c := t.Cols[col]
	if c == nil {
		return nil
	}
	ok := map[string]bool{}
	for _, n := range names {
		ok[n] = true
	}
	for r, v := range c.Str {
		if !ok[v] {
			return damaged(path, "row %d: %s %q is not one of the run's", r, col, v)
		}
	}
	return nil
}

// requireRange checks that every value of an integer column is in [lo, hi].
func (t *Table) requireRange(path, col string, lo, hi int64) error {
	c := t.Cols[col]
	if c == nil {
		return nil
	}
	for r, v := range c.Int {
		if v < lo || v > hi {
			return damaged(path, "row %d: %s %d is outside %d..%d", r, col, v, lo, hi)
		}
	}
	return nil
}

// tableSchema is a run table's documented columns: fixed names and, for
// the per-category ones, prefixes; nullInts are the integer columns that
// may be NULL.
type tableSchema struct {
	fixed    map[string]Kind
	prefixed map[string]Kind
	nullInts map[string]bool
}

var runSchemas = map[string]tableSchema{
	DailyFile: {
		fixed: map[string]Kind{"day": KindInt, "region": KindString, "group": KindString, "regime_active": KindBool,
			"agents": KindInt, "active": KindInt, "detained": KindInt, "partnered": KindInt, "children_blocked": KindInt,
			"score_mean": KindFloat, "score_p10": KindFloat, "score_p25": KindFloat, "score_p50": KindFloat,
			"score_p75": KindFloat, "score_p90": KindFloat},
		prefixed: map[string]Kind{"tier_": KindInt, "sanction_": KindInt, "flag_": KindInt, "attempted_": KindInt,
			"detected_": KindInt, "blocked_": KindInt, "privilege_": KindInt, "score_": KindFloat},
	},
	AgentsFile: {
		fixed: map[string]Kind{"agent": KindInt, "region": KindString, "group": KindString, "age": KindString,
			"children": KindInt, "partner": KindInt, "baseline": KindFloat, "score": KindFloat, "tier": KindString,
			"detained": KindBool, "penalised_attempts": KindInt, "first_sanction_day": KindInt, "sanction_days": KindInt},
		prefixed: map[string]Kind{"attempted_": KindInt, "detected_": KindInt, "sanction_": KindBool, "flag_": KindBool, "delta_": KindFloat,
			"approved_": KindInt, "succeeded_": KindInt,
			"privilege_days_": KindInt, "privileged_through_others_days": KindInt},
		nullInts: map[string]bool{"partner": true, "first_sanction_day": true},
	},
	TraceFile: {
		fixed:    map[string]Kind{"day": KindInt, "agent": KindInt, "tier": KindString, "detained": KindBool, "partner": KindInt},
		prefixed: map[string]Kind{"sanction_": KindBool, "flag_": KindBool},
		nullInts: map[string]bool{"partner": true},
	},
	TraceEventsFile: {
		fixed: map[string]Kind{"day": KindInt, "agent": KindInt, "behaviour": KindString, "blocked": KindBool, "detected": KindBool},
	},
	TraceChangesFile: {
		fixed: map[string]Kind{"day": KindInt, "agent": KindInt, "rule": KindString, "delta": KindFloat},
	},
	LedgerFile: {
		fixed: map[string]Kind{"day": KindInt, "agent": KindInt, "rule": KindString, "delta": KindFloat},
	},
}

// checkRunTable checks a run directory's table against its schema and,
// when run.json is beside it, against the run. whole says every column
// was read (a subset is checked for the columns it has).
func checkRunTable(path string, t *Table, whole bool, m *Manifest) error {
	sc, ok := runSchemas[filepath.Base(path)]
	if !ok {
		return nil
	}
	if err := checkSchema(path, t, whole, sc); err != nil {
		return err
	}
	if m == nil {
		return nil // not in a run directory: the schema is all we know
	}
	switch filepath.Base(path) {
	case DailyFile:
		return checkDailyTable(path, t, whole, m)
	case AgentsFile:
		return checkAgentsTable(path, t, whole, m)
	case LedgerFile:
		return checkLedgerTable(path, t, m)
	case TraceFile, TraceEventsFile, TraceChangesFile:
		return checkTraceTable(path, t, whole, m)
	}
	return nil
}

// checkSchema checks the kinds of the table's columns the schema names
// (fixed or by prefix) and, when whole, that every fixed column is there.
func checkSchema(path string, t *Table, whole bool, sc tableSchema) error {
	for name, c := range t.Cols {
		k, typed := sc.fixed[name]
		if !typed {
			for p, pk := range sc.prefixed {
				if len(name) > len(p) && name[:len(p)] == p {
					k, typed = pk, true
				}
			}
		}
		if got, ok := c.kind(); typed && ok && got != k {
			return damaged(path, "column %q holds %s, not %s", name, got, k)
		}
	}
	if whole {
		for name, k := range sc.fixed {
			if err := t.Require(path, k, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDailyTable checks daily.parquet against the run: a column per
// tier, sanction, flag, behaviour, privilege and extra score when whole,
// and days, regions and groups in range.
func checkDailyTable(path string, t *Table, whole bool, m *Manifest) error {
	nm := m.Names
	if whole {
		for _, need := range []struct {
			prefix string
			names  []string
		}{{"tier_", nm.Tiers}, {"sanction_", nm.Sanctions}, {"flag_", nm.Flags},
			{"attempted_", nm.Behaviours}, {"detected_", nm.Behaviours}, {"blocked_", nm.Behaviours},
			{"privilege_", nm.Privileges}} {
			for _, n := range need.names {
				if err := t.Require(path, KindInt, columnName(need.prefix, n)); err != nil {
					return err
				}
			}
		}
		for _, n := range nm.Scores {
			if err := t.Require(path, KindFloat, columnName("score_", n)+"_mean"); err != nil {
				return err
			}
		}
	}
	if err := t.requireRange(path, "day", 0, int64(m.Days)); err != nil {
		return err
	}
	if err := t.requireIn(path, "region", nm.Regions); err != nil {
		return err
	}
	return t.requireIn(path, "group", nm.Groups)
}

// checkAgentsTable checks agents.parquet against the run: one row per
// agent in order, the run's columns when whole, and values in range.
func checkAgentsTable(path string, t *Table, whole bool, m *Manifest) error {
	nm := m.Names
	if t.Rows != m.Agents {
		return damaged(path, "%d rows for a run of %d agents", t.Rows, m.Agents)
	}
	if whole {
		if err := requireAgentsColumns(path, t, nm); err != nil {
			return err
		}
	}
	for col, names := range map[string][]string{"region": nm.Regions, "group": nm.Groups, "age": nm.Ages, "tier": nm.Tiers} {
		if err := t.requireIn(path, col, names); err != nil {
			return err
		}
	}
	if c := t.Cols["agent"]; c != nil {
		for r, v := range c.Int {
			if v != int64(r) {
				return damaged(path, "row %d has agent %d", r, v)
			}
		}
	}
	if err := t.requireRange(path, "partner", NullInt, int64(m.Agents)-1); err != nil {
		return err
	}
	if err := t.requireRange(path, "first_sanction_day", NullInt, int64(m.Days)); err != nil {
		return err
	}
	return t.requireRange(path, "children", 0, math.MaxInt32)
}

// requireAgentsColumns checks that agents.parquet has a column per trait,
// behaviour, sanction, flag, privilege and extra score of the run.
func requireAgentsColumns(path string, t *Table, nm Names) error {
	for _, n := range nm.Traits {
		if err := t.Require(path, KindBool, columnName("", n)); err != nil {
			return err
		}
	}
	for _, n := range nm.Behaviours {
		if err := t.Require(path, KindInt, columnName("attempted_", n)); err != nil {
			return err
		}
	}
	for _, n := range nm.Sanctions {
		if err := t.Require(path, KindBool, columnName("sanction_", n)); err != nil {
			return err
		}
	}
	for _, n := range nm.Flags {
		if err := t.Require(path, KindBool, columnName("flag_", n)); err != nil {
			return err
		}
	}
	for _, n := range nm.Privileges {
		if err := t.Require(path, KindInt, columnName("privilege_days_", n)); err != nil {
			return err
		}
	}
	if len(nm.Privileges) > 0 {
		if err := t.Require(path, KindInt, "privileged_through_others_days"); err != nil {
			return err
		}
	}
	for _, n := range nm.Scores {
		if err := t.Require(path, KindFloat, columnName("score_", n), columnName("baseline_", n)); err != nil {
			return err
		}
	}
	return nil
}

// checkLedgerTable checks ledger.parquet against the run: days, agents,
// scores and rules in range.
func checkLedgerTable(path string, t *Table, m *Manifest) error {
	nm := m.Names
	if err := t.requireRange(path, "day", 0, int64(m.Days)); err != nil {
		return err
	}
	if err := t.requireRange(path, "agent", 0, int64(m.Agents)-1); err != nil {
		return err
	}
	if len(nm.Scores) > 0 {
		if err := t.requireIn(path, "score", append([]string{MainScore}, nm.Scores...)); err != nil {
			return err
		}
	}
	return t.requireIn(path, "rule", nm.Contributions)
}
