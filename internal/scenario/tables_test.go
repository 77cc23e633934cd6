package scenario

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/scenarios"
)

// tableScenario is a scenario with the four TransRisk groups and the
// given tables section, starting scores and rules.
func tableScenario(tables, initial, rules string) string {
	return `name: tables
population:
  regions:
    - {name: east, share: 0.5, groups: {white: 0.4, black: 0.3, hispanic: 0.2, asian: 0.1}}
    - {name: west, share: 0.5, groups: {white: 0.4, black: 0.3, hispanic: 0.2, asian: 0.1}}
network: {model: none}
tables:
` + tables + `
scoring:
  range: [0, 100]
  initial:
` + initial + `
  rules:
` + rules + `
tiers:
  levels: [{name: high, min: 50}, {name: low}]
`
}

const transriskTables = `  - name: transrisk
    file: data/transrisk_cdf_by_race_ssa.csv
    x: Score
    y: {white: Non- Hispanic white, black: Black, hispanic: Hispanic, asian: Asian}
  - name: default_pct
    file: data/transrisk_performance_by_race_ssa.csv
    x: Score
    y: {white: Non- Hispanic white, black: Black, hispanic: Hispanic, asian: Asian}
  - name: to_score
    points: [[0, 300], [2.1, 350], [6.3, 400], [11.7, 450], [18.2, 500], [26.1, 550], [35.7, 600], [47.7, 650], [61.5, 700], [78.5, 750], [94.3, 800], [100, 850]]`

// writeDir writes files (path -> text) under a new folder and returns the
// scenario's path there.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "s.yaml")
}

func transriskFile(t *testing.T, name string) string {
	b, err := fs.ReadFile(scenarios.FS, "data/fico-transrisk/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The TransRisk tables load from a folder next to the scenario, and their
// values are the file's.
func TestTablesFromCSV(t *testing.T) {
	path := writeDir(t, map[string]string{
		"s.yaml": tableScenario(transriskTables, "    - {from: 'to_score(draw(transrisk, group)) / 10 + 15'}",
			"    - {name: repay, every: 1, amount: '1 - default_pct(group, 50) / 100'}"),
		"data/transrisk_cdf_by_race_ssa.csv":         transriskFile(t, "transrisk_cdf_by_race_ssa.csv"),
		"data/transrisk_performance_by_race_ssa.csv": transriskFile(t, "transrisk_performance_by_race_ssa.csv"),
	})
	sc, err := Resolve(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := sc.Schema()
	if len(s.Tables) != 3 {
		t.Fatalf("%d tables", len(s.Tables))
	}
	cdf, perf := s.Tables[0], s.Tables[1]
	if len(cdf.X) != 198 || cdf.Total != 100 || cdf.By != "group" {
		t.Errorf("cdf: %d points, total %v, by %q", len(cdf.X), cdf.Total, cdf.By)
	}
	// Rows of the file: Score 0.5 -> Black 1.19 (cdf); Score 50 is a row
	// of the performance file.
	if got := cdf.At(1, 0.5); got != 1.19 {
		t.Errorf("cdf black at 0.5 = %v, want 1.19", got)
	}
	if got := cdf.At(0, 0.25); math.Abs(got-(0.01+0.26)/2) > 1e-12 {
		t.Errorf("cdf white at 0.25 = %v, want the mean of 0.01 and 0.26", got)
	}
	if perf.Total != 0 || !strings.Contains(perf.DistErr, "transrisk_performance_by_race_ssa.csv:") {
		t.Errorf("performance is not a distribution, DistErr %q", perf.DistErr)
	}
	if _, err := sc.Compile(); err != nil {
		t.Fatal(err)
	}
}

// Drawing percentiles with draw(transrisk, group) reproduces each group's
// TransRisk distribution: the share of draws at or below each score level
// is the table's cumulative percentage. With n draws per group the
// binomial standard deviation is at most 0.5/sqrt(n); at n = 250,000 that
// is 0.001, so 0.005 is five of them (with 198 levels x 4 groups, a
// correct sampler fails with a probability near 1e-4).
func TestDrawReproducesTransRisk(t *testing.T) {
	path := writeDir(t, map[string]string{
		"s.yaml": tableScenario(transriskTables, "    - {from: 'draw(transrisk, group)'}\n    - {score: 1}",
			"    - {name: r, every: 1, amount: 0}"),
		"data/transrisk_cdf_by_race_ssa.csv":         transriskFile(t, "transrisk_cdf_by_race_ssa.csv"),
		"data/transrisk_performance_by_race_ssa.csv": transriskFile(t, "transrisk_performance_by_race_ssa.csv"),
	})
	sc, err := Resolve(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	draw := prog.Initial[0].Fn
	cdf := sc.Schema().Tables[0]
	const perGroup = 250_000
	for _, levels := range []bool{false, true} {
		n := 4 * perGroup
		v := &rule.View{Group: make([]uint8, n), Rand: rng.Key(7, "rule/draw")}
		for i := range v.Group {
			v.Group[i] = uint8(i % 4)
		}
		fn := draw
		if levels {
			x, err := rule.CompileNum("draw_level(transrisk, group)", sc.Schema())
			if err != nil {
				t.Fatal(err)
			}
			fn = x.Fn
		}
		xs := make([][]float64, 4)
		for i := range int32(n) {
			xs[v.Group[i]] = append(xs[v.Group[i]], fn(v, i))
		}
		for g := range 4 {
			worst, at := 0.0, 0.0
			for k, level := range cdf.X {
				below := 0
				for _, x := range xs[g] {
					if x <= level {
						below++
					}
				}
				got, want := float64(below)/perGroup, cdf.Y[g][k]/100
				if d := math.Abs(got - want); d > worst {
					worst, at = d, level
				}
			}
			if worst > 0.005 {
				t.Errorf("levels=%v group %d: empirical CDF off by %.4f at %v", levels, g, worst, at)
			}
			t.Logf("levels=%v group %d: largest gap %.4f (at %v)", levels, g, worst, at)
		}
	}
}

// Built-in scenarios read their tables from the embedded data/ folder.
func TestBuiltinTablesAreEmbedded(t *testing.T) {
	src := tableScenario(strings.ReplaceAll(transriskTables, "data/", "data/fico-transrisk/"), "    - {from: 'draw(transrisk, group)'}", "    - {name: r, every: 1, amount: 0}")
	saved := builtinFS
	defer func() { builtinFS = saved }()
	builtinFS = fstestMap{"fake.yaml": src, "data/x": ""}
	if _, err := Load("fake.yaml", []byte(src), nil); err != nil {
		t.Fatalf("a built-in's tables: %v", err)
	}
	// The same text under another name is a file: its folder has no data/.
	if _, err := Load(filepath.Join(t.TempDir(), "fake.yaml"), []byte(src), nil); err == nil {
		t.Fatal("a scenario file read the built-ins' data")
	}
	builtinFS = saved
	for _, b := range Builtins() {
		if b.Name == "data" {
			t.Error("data/ is listed as a built-in scenario")
		}
	}
	if _, err := fs.Stat(scenarios.FS, "data/fico-transrisk/transrisk_cdf_by_race_ssa.csv"); err != nil {
		t.Errorf("the TransRisk tables are not embedded: %v", err)
	}
}

// fstestMap is a tiny fs.FS of text files, for the built-in hook.
type fstestMap map[string]string

func (m fstestMap) Open(name string) (fs.File, error) {
	return scenarios.FS.Open(name) // data/... from the real embed
}

func (m fstestMap) ReadFile(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, fs.ErrNotExist
}

func (m fstestMap) ReadDir(string) ([]fs.DirEntry, error) { return nil, nil }

// Every problem with a table is an error at the scenario's field, naming
// the CSV file, its line and its column.
func TestHostileTables(t *testing.T) {
	good := "Score,A,B\n0,10,20\n1,50,60\n2,100,100\n"
	one := func(body string) string {
		return "  - {name: tab, file: t.csv, x: Score, y: {white: A, black: B, hispanic: A, asian: B}" + body + "}"
	}
	big := "Score,A,B\n" + strings.Repeat("1,1,1\n", MaxTableBytes/6+1)
	var many strings.Builder
	many.WriteString("Score,A,B\n")
	for k := range MaxTableRows + 1 {
		many.WriteString(strconv.Itoa(k) + ",1,1\n")
	}
	cases := []struct {
		name, tables, csv, use, want string
		files                        map[string]string
	}{
		{"missing column", "  - {name: tab, file: t.csv, x: Score, y: C}", good, "tab(1)", `t.csv:1: no column "C" for y (columns: "Score", "A", "B")`, nil},
		{"missing x", "  - {name: tab, file: t.csv, x: S, y: A}", good, "tab(1)", `t.csv:1: no column "S" for x`, nil},
		{"not a number", one(""), "Score,A,B\n0,10,20\n1,x5,60\n", "tab(group, 1)", `t.csv:3: column "A": "x5" is not a finite number`, nil},
		{"not increasing", one(""), "Score,A,B\n0,10,20\n1,50,60\n1,60,70\n", "tab(group, 1)", `t.csv:4: column "Score": x must be strictly increasing: 1 follows 1`, nil},
		{"short row", one(""), "Score,A,B\n0,10,20\n1,50\n", "tab(group, 1)", `t.csv:3:1: wrong number of fields`, nil},
		{"not a cdf", one(""), "Score,A,B\n0,10,20\n1,50,60\n2,99.5,100\n", "draw(tab, group)", `table tab cannot be drawn from: a cumulative table must end at 100 (percent) or 1, but at t.csv:4, column "A", it ends at 99.5`, nil},
		{"decreasing cdf", one(""), "Score,A,B\n0,10,20\n1,5,60\n2,100,100\n", "draw(tab, group)", `it is not cumulative: at t.csv:3, column "A", the value 5 is below the point before`, nil},
		{"unknown category", "  - {name: tab, file: t.csv, x: Score, y: {whte: A}}", good, "tab(\"white\", 1)", `y maps group "whte", which the scenario does not have`, nil},
		{"category not in table", "  - {name: tab, file: t.csv, x: Score, y: {white: A}}", good, "tab(group, 1)", `table tab has no column for group black, hispanic, asian`, nil},
		{"wrong arity", "  - {name: tab, file: t.csv, x: Score, y: A}", good, "tab(group, 1)", `table tab takes one number: tab(x)`, nil},
		{"unknown table", "  - {name: tab, file: t.csv, x: Score, y: A}", good, "tabb(1)", `unknown function "tabb" (did you mean "tab"?)`, nil},
		{"parent folder", "  - {name: tab, file: ../t.csv, x: Score, y: A}", good, "tab(1)", `tables[0].file "../t.csv": leaves the scenario's folder (..)`, nil},
		{"absolute", "  - {name: tab, file: /etc/passwd, x: Score, y: A}", good, "tab(1)", `tables[0].file "/etc/passwd": an absolute path`, nil},
		{"backslash", "  - {name: tab, file: 'data\\t.csv', x: Score, y: A}", good, "tab(1)", `use / to separate folders`, nil},
		{"absent", "  - {name: tab, file: nope.csv, x: Score, y: A}", good, "tab(1)", `tables[0].file: nope.csv: cannot read`, nil},
		{"too large", "  - {name: tab, file: t.csv, x: Score, y: A}", big, "tab(1)", `table files are limited to 4194304`, nil},
		{"too many rows", "  - {name: tab, file: t.csv, x: Score, y: A}", many.String(), "tab(1)", `more than 100000 rows`, nil},
		{"point budget", "  - {name: tab, file: t.csv, x: Score, y: A}\n  - {name: tab2, file: t.csv, x: Score, y: {white: A, black: B, hispanic: A, asian: B}}\n  - {name: tab3, file: t.csv, x: Score, y: {white: A, black: B, hispanic: A, asian: B}}", "Score,A,B\n" + nearMaxRows(), "tab(1)", `tables[2].file: t.csv:60002: the scenario's tables hold more than 1000000 numbers (the tables' point budget)`, nil},
		{"empty", "  - {name: tab, file: t.csv, x: Score, y: A}", "", "tab(1)", `t.csv: empty file`, nil},
		{"one point", "  - {name: tab, points: [[1, 2]]}", "", "tab(1)", `table tab: needs at least two points`, nil},
		{"inline not increasing", "  - {name: tab, points: [[1, 2], [0, 3]]}", "", "tab(1)", `x must be strictly increasing: 0 follows 1`, nil},
		{"inline triple", "  - {name: tab, points: [[1, 2, 3]]}", "", "tab(1)", `point 1 must be [x, y], got 3 numbers`, nil},
		{"both", "  - {name: tab, file: t.csv, points: [[1, 2], [2, 3]]}", good, "tab(1)", `give file or points, not both`, nil},
		{"neither", "  - {name: tab, x: Score}", good, "tab(1)", `needs file (a CSV next to the scenario) or points`, nil},
		{"outside", "  - {name: tab, points: [[1, 2], [2, 3]], outside: extrapolat}", "", "tab(1)", `outside must be clamp or extrapolate, got "extrapolat" (did you mean "extrapolate"?)`, nil},
		{"reserved name", "  - {name: draw, points: [[1, 2], [2, 3]]}", "", "1", `table name "draw" is a built-in function`, nil},
		{"duplicate", "  - {name: tab, points: [[1, 2], [2, 3]]}\n  - {name: tab, points: [[1, 2], [2, 3]]}", "", "tab(1)", `duplicate table name "tab"`, nil},
		{"unknown key", "  - {name: tab, points: [[1, 2], [2, 3]], outsde: clamp}", "", "tab(1)", `unknown key "outsde" (did you mean "outside"?)`, nil},
		{"pop in a starting score", "  - {name: tab, points: [[1, 2], [2, 3]]}", "", "", `pop.mean is not available here`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			initial := "    - {score: 1}"
			if c.name == "pop in a starting score" {
				initial = "    - {from: pop.mean(children)}"
				c.use = "1"
			}
			files := map[string]string{"s.yaml": tableScenario(c.tables, initial, "    - {name: r, every: 1, amount: "+quoteYAML(c.use)+"}")}
			if c.csv != "" || c.name == "empty" {
				files["t.csv"] = c.csv
			}
			path := writeDir(t, files)
			_, err := Resolve(path, nil)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got\n%v\nwant it to contain\n%s", err, c.want)
			}
			if es[0].Line == 0 {
				t.Errorf("no position: %v", es[0])
			}
		})
	}
}

// A symbolic link out of the scenario's folder is not followed.
func TestTableSymlinkEscape(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(outside, []byte("Score,A\n0,1\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeDir(t, map[string]string{"s.yaml": tableScenario("  - {name: tab, file: link.csv, x: Score, y: A}", "    - {score: 1}", "    - {name: r, every: 1, amount: tab(1)}")})
	if err := os.Symlink(outside, filepath.Join(filepath.Dir(path), "link.csv")); err != nil {
		t.Skip(err)
	}
	_, err := Resolve(path, nil)
	if err == nil || !strings.Contains(err.Error(), "tables[0].file: link.csv: cannot read") {
		t.Fatalf("got %v, want the link refused", err)
	}
	// The position is the file: field's.
	var es Errors
	errors.As(err, &es)
	if es[0].Line != 8 {
		t.Errorf("line %d, want 8 (tables[0])", es[0].Line)
	}
}

// nearMaxRows is MaxTableRows rows of increasing x.
func nearMaxRows() string {
	var b strings.Builder
	for k := range MaxTableRows {
		b.WriteString(strconv.Itoa(k) + ",1,1\n")
	}
	return b.String()
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// The examples of docs/scenario-language.md's Tables and Population
// aggregates sections load and compile, next to a copy of the data.
func TestTableDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "scenario-language.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start, end := strings.Index(text, "\n## Tables\n"), strings.Index(text, "\n## A day, step by step\n")
	if start < 0 || end < start {
		t.Fatal("sections not found")
	}
	blocks := strings.Split(text[start:end], "```yaml\n")[1:]
	if len(blocks) != 2 {
		t.Fatalf("%d examples, want 2", len(blocks))
	}
	for _, b := range blocks {
		src := b[:strings.Index(b, "```")]
		path := writeDir(t, map[string]string{
			"s.yaml": src,
			"data/fico-transrisk/transrisk_cdf_by_race_ssa.csv":         transriskFile(t, "transrisk_cdf_by_race_ssa.csv"),
			"data/fico-transrisk/transrisk_performance_by_race_ssa.csv": transriskFile(t, "transrisk_performance_by_race_ssa.csv"),
		})
		sc, err := Resolve(path, nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		if _, err := sc.Compile(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStartingScoreScoreOrFrom(t *testing.T) {
	for initial, want := range map[string]string{
		"    - {score: 1, from: '2'}":        "scoring.initial[0]: give score or from, not both",
		"    - {group: black}":               `scoring.initial[0]: missing key "score" (or from, an expression)`,
		"    - {from: score + 1}":            "score is not known before day 0",
		"    - {from: 'draw(tab)'}":          "table tab cannot be drawn from: it is not cumulative: at point 2 the value 1 is below the point before",
		"    - {from: 'acq.mean(children)'}": "acq is not known before day 0",
	} {
		src := tableScenario("  - {name: tab, points: [[0, 10], [1, 1]]}", initial, "    - {name: r, every: 1, amount: 0}")
		_, err := Load("s.yaml", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", initial, err, want)
		}
	}
}

func TestWithoutFilesReadsNoTables(t *testing.T) {
	path := writeDir(t, map[string]string{
		"s.yaml": tableScenario("  - {name: tab, file: t.csv, x: Score, y: A}", "    - {score: 1}", "    - {name: r, every: 1, amount: tab(1)}"),
		"t.csv":  "Score,A\n0,1\n1,2\n",
	})
	src, _ := os.ReadFile(path)
	if _, err := LoadContext(context.Background(), path, src, nil); err != nil {
		t.Fatal(err)
	}
	_, err := LoadContext(WithoutFiles(context.Background()), path, src, nil)
	if err == nil || !strings.Contains(err.Error(), "table files are not read here") {
		t.Fatalf("got %v", err)
	}
}
