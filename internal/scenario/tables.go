package scenario

// Tables: functions given by points, from a CSV file next to the scenario
// or inline, that expressions call by name (docs/scenario-language.md,
// Tables). A table file is read once, at validation, within the budgets
// below; every problem in it is reported at the scenario's file: field
// with the CSV file's line and column.

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/yamlfile"
	"github.com/nosedive-lab/nosedive/scenarios"
)

// Table is a scenario's table: a function of one number, one curve per
// category of By or a single curve.
type Table struct {
	Name        string       `yaml:"name" jsonschema:"required" jsonschema_description:"The function's name in expressions: name(x), or name(group, x) for a table per category."`
	File        string       `yaml:"file" jsonschema_description:"CSV file with a header row, relative to the scenario's folder and inside it."`
	X           string       `yaml:"x" jsonschema_description:"The CSV column of x values (strictly increasing)."`
	Y           TableColumns `yaml:"y" jsonschema_description:"The CSV column of y values, or a mapping from each category (of by) to its column."`
	By          string       `yaml:"by" jsonschema:"enum=group,enum=region,enum=age,enum=tier" jsonschema_description:"The category a mapping y is per (default group)."`
	Points      [][]float64  `yaml:"points" jsonschema_description:"Inline points [[x, y], ...] instead of a file."`
	Outside     string       `yaml:"outside" jsonschema:"enum=clamp,enum=extrapolate" jsonschema_description:"Beyond the first and last x: clamp (default) holds the end values, extrapolate continues the end segments."`
	Source      string       `yaml:"source"`
	Description string       `yaml:"description"`
	Pos         Pos          `yaml:"-" json:"-"`
}

// TableColumn is one y column of a table: Category "" for a table with a
// single curve.
type TableColumn struct {
	Category, Column string
	Pos              Pos
}

// TableColumns is a table's y: one column, or a column per category in
// the order given.
type TableColumns []TableColumn

// The table budgets (docs/reliability.md): a CSV file is refused before
// it is parsed when it is larger than MaxTableBytes, and when parsing
// meets more rows than MaxTableRows or more columns than MaxTableColumns.
const (
	MaxTableBytes   = 4 << 20
	MaxTableRows    = 100_000
	MaxTableColumns = 256
	MaxTables       = 64
	// MaxTableBytesTotal and MaxTablePoints bound all of a scenario's
	// tables together: the bytes of their files, and the numbers kept
	// (x and every y column used, inline points included).
	MaxTableBytesTotal = 16 << 20
	MaxTablePoints     = 1_000_000
)

// tableBudget is what a scenario's tables have used of the budgets.
type tableBudget struct{ bytes, points int64 }

func decodeColumns(dc *yamlfile.Decoder, n *Node, v reflect.Value, path string) {
	switch n.Kind {
	case KindNull:
		return
	case KindScalar:
		v.Set(reflect.ValueOf(TableColumns{{Column: n.Value, Pos: n.Pos}}))
		return
	case KindMap:
	default:
		dc.Diags.Add(n.Pos, "%s: expected a column name or a mapping from categories to column names, got %s", path, yamlfile.Describe(n))
		return
	}
	out := make(TableColumns, 0, len(n.Keys))
	for i, k := range n.Keys {
		val := n.Vals[i]
		if val == nil || val.Kind != KindScalar || val.Value == "" {
			dc.Diags.Add(k.Pos, "%s.%s: expected a column name", path, k.Value)
			continue
		}
		out = append(out, TableColumn{Category: k.Value, Column: val.Value, Pos: k.Pos})
	}
	v.Set(reflect.ValueOf(out))
}

type noFilesKey struct{}

// WithoutFiles returns a context under which LoadContext reads no table
// files: a table with file: is then an error. For scenarios that come from
// elsewhere than the machine's own files (the web lab's drafts), whose
// file name is not a place on this machine.
func WithoutFiles(ctx context.Context) context.Context {
	return context.WithValue(ctx, noFilesKey{}, true)
}

// dataFS returns where the scenario's table files are read from: the
// embedded scenarios/ folder for a built-in (its name and unchanged text),
// otherwise the folder of the scenario file, opened as an os.Root so that
// neither a path nor a symbolic link leads out of it. The closer releases
// the folder.
func (s *Scenario) dataFS() (fs.FS, func(), error) {
	if name, ok := strings.CutSuffix(s.File, ".yaml"); ok && !strings.ContainsAny(name, `/\`) {
		if b, err := fs.ReadFile(builtinFS, s.File); err == nil && string(b) == string(s.Source) {
			return scenarios.FS, func() {}, nil
		}
	}
	root, err := os.OpenRoot(filepath.Dir(s.File))
	if err != nil {
		return nil, nil, err
	}
	return root.FS(), func() { root.Close() }, nil
}

// tables checks the scenario's tables and loads their points.
func (v *validator) tables() {
	ts := v.s.Tables
	if len(ts) > MaxTables {
		v.d.add(ts[MaxTables].Pos, "tables: at most %d tables", MaxTables)
		return
	}
	var names []string
	var poss []Pos
	folder := &tableFolder{s: v.s}
	defer folder.close()
	var budget tableBudget
	sc := v.scenarioSchema()
	for k, t := range ts {
		names = append(names, t.Name)
		poss = append(poss, t.Pos)
		rt, cats, lines, ok := v.table(k, t, sc, folder, &budget)
		if !ok {
			continue
		}
		if budget.points > MaxTablePoints {
			v.d.add(t.Pos, "table %s: the scenario's tables hold more than %d numbers (the tables' point budget)", t.Name, MaxTablePoints)
			return
		}
		if rt.By != "" {
			rt.Y = append(rt.Y, make([][]float64, len(cats)-len(rt.Y))...)
		}
		distribution(rt, t, lines, cats)
		rt.Prepare()
		v.s.tables = append(v.s.tables, rt)
	}
	v.unique("table", names, poss)
}

// reservedTableNames are the names expressions already use for functions
// and namespaces.
var reservedTableNames = map[string]bool{"min": true, "max": true, "abs": true, "clamp": true, "floor": true, "ceil": true,
	"round": true, "draw": true, "draw_level": true, "pop": true, "acq": true, "partner": true}

// table checks table k (tables[k]) and reads its points into a rule
// table, with the categories of its columns and the CSV line of each
// point; ok is false when the table is left out.
func (v *validator) table(k int, t Table, sc *rule.Schema, folder *tableFolder, budget *tableBudget) (rt *rule.Table, cats []string, lines []int, ok bool) {
	field := fmt.Sprintf("tables[%d]", k)
	if reservedTableNames[t.Name] {
		v.d.add(t.Pos, "table name %q is a built-in function or name; choose another", t.Name)
	}
	rt = &rule.Table{Name: t.Name, Extrapolate: t.Outside == "extrapolate"}
	switch t.Outside {
	case "", "clamp", "extrapolate":
	default:
		v.d.add(v.at(t.Pos, "%s.outside", field), "table %s: outside must be clamp or extrapolate, got %q%s", t.Name, t.Outside,
			rule.Suggest(t.Outside, []string{"clamp", "extrapolate"}))
	}
	if cats, ok = v.tableCategories(t, field, rt, sc); !ok {
		return nil, nil, nil, false
	}
	if lines, ok = v.tablePoints(t, field, rt, cats, folder, budget); !ok {
		return nil, nil, nil, false
	}
	return rt, cats, lines, true
}

// tableCategories sets what the columns of a per-category y stand for
// (rt.By, group by default) and returns those categories in schema order;
// ok is false for an unknown by.
func (v *validator) tableCategories(t Table, field string, rt *rule.Table, sc *rule.Schema) (cats []string, ok bool) {
	perCat := len(t.Y) > 0 && t.Y[0].Category != ""
	if perCat {
		rt.By = t.By
		if rt.By == "" {
			rt.By = "group"
		}
	} else if t.By != "" {
		v.d.add(v.at(t.Pos, "%s.by", field), "table %s: by applies to a y that maps categories to columns", t.Name)
	}
	switch rt.By {
	case "":
	case "group":
		cats = sc.Groups
	case "region":
		cats = sc.Regions
	case "age":
		cats = sc.Ages
	case "tier":
		cats = sc.Tiers
	default:
		v.d.add(v.at(t.Pos, "%s.by", field), "table %s: by must be group, region, age or tier, got %q", t.Name, t.By)
		return nil, false
	}
	return cats, true
}

// tablePoints reads the table's points, inline or from its file, into rt
// and counts them against the budget; lines are the CSV line of each
// point (nil inline). ok is false when the table is left out.
func (v *validator) tablePoints(t Table, field string, rt *rule.Table, cats []string, folder *tableFolder, budget *tableBudget) (lines []int, ok bool) {
	switch {
	case t.File != "" && t.Points != nil:
		v.d.add(t.Pos, "table %s: give file or points, not both", t.Name)
		return nil, false
	case t.Points != nil:
		if t.X != "" || len(t.Y) > 0 || t.By != "" {
			v.d.add(t.Pos, "table %s: x, y and by name the columns of a file; inline points are [[x, y], ...]", t.Name)
			return nil, false
		}
		if !v.inlineTable(t, field, rt) {
			return nil, false
		}
		budget.points += 2 * int64(len(t.Points))
		return nil, true
	case t.File != "":
		return v.fileTable(t, field, rt, cats, folder, budget)
	default:
		v.d.add(t.Pos, "table %s: needs file (a CSV next to the scenario) or points", t.Name)
		return nil, false
	}
}

// fileTable reads the table's CSV file from the scenario's folder: x and y
// must name its columns, and the path must stay inside the folder.
func (v *validator) fileTable(t Table, field string, rt *rule.Table, cats []string, folder *tableFolder, budget *tableBudget) (lines []int, ok bool) {
	if t.X == "" || len(t.Y) == 0 {
		v.d.add(t.Pos, "table %s: a table from a file needs x and y (the column names)", t.Name)
		return nil, false
	}
	p := v.at(t.Pos, "%s.file", field)
	if msg := badTablePath(t.File); msg != "" {
		v.d.add(p, "%s.file %q: %s", field, t.File, msg)
		return nil, false
	}
	if ctx := v.d.Ctx; ctx != nil && ctx.Value(noFilesKey{}) != nil {
		v.d.add(p, "%s.file %q: table files are not read here; give the points inline", field, t.File)
		return nil, false
	}
	fsys, err := folder.open()
	if err != nil {
		v.d.add(p, "%s.file %q: cannot read the scenario's folder: %v", field, t.File, unwrapPathErr(err))
		return nil, false
	}
	l, msg := loadCSV(fsys, t, rt, cats, budget)
	if msg != "" {
		v.d.add(p, "%s.file: %s", field, msg)
		return nil, false
	}
	return l, true
}

// tableFolder is the scenario's folder of table files, opened on first
// use (dataFS) and kept open until close.
type tableFolder struct {
	s      *Scenario
	opened bool
	fsys   fs.FS
	err    error
	closer func()
}

// open opens the folder the first time, and returns it (or why it cannot be read).
func (f *tableFolder) open() (fs.FS, error) {
	if !f.opened {
		f.opened = true
		f.fsys, f.closer, f.err = f.s.dataFS()
	}
	return f.fsys, f.err
}

// close releases the folder if it was opened.
func (f *tableFolder) close() {
	if f.opened && f.err == nil {
		f.closer()
	}
}

// badTablePath says why a table path is refused: it must be a relative,
// slash-separated path inside the scenario's folder.
func badTablePath(p string) string {
	switch {
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || (len(p) > 1 && p[1] == ':'):
		return "an absolute path; give a path relative to the scenario's folder"
	case strings.Contains(p, `\`):
		return "use / to separate folders"
	case !fs.ValidPath(p):
		for _, el := range strings.Split(p, "/") {
			if el == ".." {
				return "leaves the scenario's folder (..); table files must be inside it"
			}
		}
		return "not a clean relative path (no empty, . or .. parts)"
	}
	return ""
}

// inlineTable reads a table's points: false when they are not a table.
func (v *validator) inlineTable(t Table, field string, rt *rule.Table) bool {
	ys := make([]float64, 0, len(t.Points))
	for k, pt := range t.Points {
		p := v.at(t.Pos, "%s.points[%d]", field, k)
		if len(pt) != 2 {
			v.d.add(p, "table %s: point %d must be [x, y], got %d numbers", t.Name, k+1, len(pt))
			return false
		}
		if k > 0 && !(pt[0] > rt.X[k-1]) {
			v.d.add(p, "table %s: x must be strictly increasing: %g follows %g", t.Name, pt[0], rt.X[k-1])
			return false
		}
		rt.X = append(rt.X, pt[0])
		ys = append(ys, pt[1])
	}
	if len(rt.X) < 2 {
		v.d.add(v.at(t.Pos, "%s.points", field), "table %s: needs at least two points", t.Name)
		return false
	}
	rt.Y = [][]float64{ys}
	return true
}

// loadCSV reads a table's columns from its CSV file; the message names the
// file, its line and the column of the first problem.
func loadCSV(fsys fs.FS, t Table, rt *rule.Table, cats []string, budget *tableBudget) (lines []int, msg string) {
	name := t.File
	f, msg := openCSV(fsys, name, budget)
	if msg != "" {
		return nil, msg
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, MaxTableBytes+1))
	r.ReuseRecord = true
	header, msg := readHeader(r, name)
	if msg != "" {
		return nil, msg
	}
	cols, msg := mapColumns(name, header, t, rt, cats)
	if msg != "" {
		return nil, msg
	}
	if lines, msg = cols.readRows(r, rt, cats, budget); msg != "" {
		return nil, msg
	}
	if len(rt.X) < 2 {
		return nil, fmt.Sprintf("%s: needs at least two rows of points", name)
	}
	return lines, ""
}

// openCSV opens a table's file and charges its size to the tables' byte
// budget; the caller closes it.
func openCSV(fsys fs.FS, name string, budget *tableBudget) (fs.File, string) {
	f, err := fsys.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Sprintf("%s: cannot read: %v", name, err)
	}
	fail := func(msg string) (fs.File, string) {
		f.Close()
		return nil, msg
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return fail(name + ": is a folder, not a CSV file")
	} else if err == nil && st.Size() > MaxTableBytes {
		return fail(fmt.Sprintf("%s: file is %d bytes; table files are limited to %d", name, st.Size(), MaxTableBytes))
	} else if err == nil {
		if budget.bytes += st.Size(); budget.bytes > MaxTableBytesTotal {
			return fail(fmt.Sprintf("%s: the scenario's table files are more than %d bytes together (the tables' byte budget)", name, MaxTableBytesTotal))
		}
	}
	return f, ""
}

// readHeader reads a table file's header row (a copy: r reuses records)
// and checks its number of columns.
func readHeader(r *csv.Reader, name string) ([]string, string) {
	header, err := r.Read()
	if err != nil {
		return nil, csvErr(name, err)
	}
	if len(header) > MaxTableColumns {
		return nil, fmt.Sprintf("%s:1: %d columns; table files are limited to %d", name, len(header), MaxTableColumns)
	}
	return append([]string(nil), header...), ""
}

// csvColumns are the columns of a table file that a table reads.
type csvColumns struct {
	name   string   // the file
	header []string // its header row
	xc     int      // the column of x
	ycs    []int    // the column of each y
	cat    []int    // each y's category, when the table is by category
}

// mapColumns finds the columns of the table's x and ys in header, and the
// category each y maps.
func mapColumns(name string, header []string, t Table, rt *rule.Table, cats []string) (csvColumns, string) {
	col := func(c string) int {
		for k, h := range header {
			if strings.TrimSpace(h) == c {
				return k
			}
		}
		return -1
	}
	quoted := make([]string, len(header))
	for k, h := range header {
		quoted[k] = strconv.Quote(h)
	}
	xc := col(t.X)
	if xc < 0 {
		return csvColumns{}, fmt.Sprintf("%s:1: no column %q for x (columns: %s)", name, t.X, strings.Join(quoted, ", "))
	}
	ycs := make([]int, len(t.Y))
	cat := make([]int, len(t.Y))
	for k, y := range t.Y {
		if ycs[k] = col(y.Column); ycs[k] < 0 {
			return csvColumns{}, fmt.Sprintf("%s:1: no column %q for y (columns: %s)", name, y.Column, strings.Join(quoted, ", "))
		}
		if y.Category != "" {
			cat[k] = -1
			for j, c := range cats {
				if c == y.Category {
					cat[k] = j
				}
			}
			if cat[k] < 0 {
				return csvColumns{}, fmt.Sprintf("y maps %s %q, which the scenario does not have (known: %s)", rt.By, y.Category, strings.Join(cats, ", "))
			}
		}
	}
	return csvColumns{name: name, header: header, xc: xc, ycs: ycs, cat: cat}, ""
}

// readRows reads the points, row by row, into rt's X and Y (one curve, or
// one per category of cats), charging them to the tables' point budget,
// and returns each point's line.
func (cols csvColumns) readRows(r *csv.Reader, rt *rule.Table, cats []string, budget *tableBudget) (lines []int, msg string) {
	name, header, xc, ycs, cat := cols.name, cols.header, cols.xc, cols.ycs, cols.cat
	nCurves := 1
	if rt.By != "" {
		nCurves = len(cats)
	}
	rt.Y = make([][]float64, nCurves)
	for rows := 0; ; rows++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := r.FieldPos(0)
		if rows == MaxTableRows {
			return nil, fmt.Sprintf("%s:%d: more than %d rows; table files are limited to %d", name, line, MaxTableRows, MaxTableRows)
		}
		num := func(c int) (float64, string) {
			s := strings.TrimSpace(rec[c])
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return 0, fmt.Sprintf("%s:%d: column %q: %q is not a finite number", name, line, header[c], s)
			}
			return x, ""
		}
		x, msg := num(xc)
		if msg != "" {
			return nil, msg
		}
		if n := len(rt.X); n > 0 && !(x > rt.X[n-1]) {
			return nil, fmt.Sprintf("%s:%d: column %q: x must be strictly increasing: %g follows %g", name, line, header[xc], x, rt.X[n-1])
		}
		rt.X = append(rt.X, x)
		lines = append(lines, line)
		if budget.points += 1 + int64(len(ycs)); budget.points > MaxTablePoints {
			return nil, fmt.Sprintf("%s:%d: the scenario's tables hold more than %d numbers (the tables' point budget)", name, line, MaxTablePoints)
		}
		for k, c := range ycs {
			y, msg := num(c)
			if msg != "" {
				return nil, msg
			}
			c := 0
			if rt.By != "" {
				c = cat[k]
			}
			rt.Y[c] = append(rt.Y[c], y)
		}
	}
	return lines, ""
}

func csvErr(name string, err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	if err == io.EOF {
		return name + ": empty file; a table file needs a header row and points"
	}
	return fmt.Sprintf("%s: %v", name, err)
}

// distribution decides whether a table can be drawn from: every curve
// non-decreasing from at least 0, ending at 100 (percentages) or 1. It
// sets Total, or DistErr saying where the first curve fails (the CSV
// file's line and column, or the inline point).
func distribution(rt *rule.Table, t Table, lines []int, cats []string) {
	where := func(c, k int) string {
		if t.File == "" {
			return fmt.Sprintf("point %d", k+1)
		}
		col := t.Y[0].Column
		for _, y := range t.Y {
			if c < len(cats) && y.Category == cats[c] {
				col = y.Column
			}
		}
		return fmt.Sprintf("%s:%d, column %q,", t.File, lines[k], col)
	}
	total := 0.0
	for c, ys := range rt.Y {
		if ys == nil {
			continue
		}
		for k, y := range ys {
			if y < 0 || (k > 0 && y < ys[k-1]) {
				rt.DistErr = fmt.Sprintf("it is not cumulative: at %s the value %g is below %s", where(c, k), y,
					map[bool]string{true: "0", false: "the point before"}[y < 0])
				return
			}
		}
		last := ys[len(ys)-1]
		tot := 0.0
		switch {
		case math.Abs(last-100) <= 1e-6:
			tot = 100
		case math.Abs(last-1) <= 1e-9:
			tot = 1
		default:
			rt.DistErr = fmt.Sprintf("a cumulative table must end at 100 (percent) or 1, but at %s it ends at %g", where(c, len(ys)-1), last)
			return
		}
		if total != 0 && tot != total {
			rt.DistErr = "its curves do not end at the same total"
			return
		}
		total = tot
	}
	rt.Total = total
}
