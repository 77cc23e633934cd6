// Package imports holds the test that keeps docs/architecture.md's package
// table true: every package of the module is a row, and the row's "may
// import" cells list exactly the module's packages and the outside modules
// that the package imports (test files aside).
package imports

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const (
	module = "github.com/nosedive-lab/nosedive/"
	doc    = "../../docs/architecture.md"
)

// row is one package's line of the table.
type row struct {
	internal, external []string
}

var tick = regexp.MustCompile("`([^`]+)`")

// readTable parses the rows "| `pkg` | job | `a`, `b` | `mod` |" of the
// table under "## Packages". A cell without backticks ("stdlib", "none")
// lists nothing.
func readTable(t *testing.T) map[string]row {
	t.Helper()
	f, err := os.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]row{}
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Packages"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			t.Fatalf("%s: table row with %d cells, want 4 (package, job, may import, outside the module): %s", doc, len(cells), line)
		}
		name := tick.FindStringSubmatch(cells[0])
		if name == nil {
			t.Fatalf("%s: row without a package name: %s", doc, line)
		}
		var r row
		for _, m := range tick.FindAllStringSubmatch(cells[2], -1) {
			r.internal = append(r.internal, m[1])
		}
		for _, m := range tick.FindAllStringSubmatch(cells[3], -1) {
			r.external = append(r.external, m[1])
		}
		if _, dup := rows[name[1]]; dup {
			t.Fatalf("%s: %s has two rows", doc, name[1])
		}
		rows[name[1]] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// modulePath returns the module an outside import belongs to, as go.mod
// names it, by the longest prefix among the required modules.
func modulePath(imp string, mods []string) string {
	best := ""
	for _, m := range mods {
		if (imp == m || strings.HasPrefix(imp, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	if best == "" {
		return imp
	}
	return best
}

type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func listPackages(t *testing.T) ([]pkg, []string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	mods, err := exec.Command("go", "list", "-m", "-f", "{{.Path}}", "all").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return pkgs, strings.Fields(string(mods))
}

// actual returns, per package of the module, the module packages and the
// outside modules it imports.
func actual(pkgs []pkg, mods []string) map[string]row {
	got := map[string]row{}
	for _, p := range pkgs {
		name := strings.TrimPrefix(p.ImportPath, module)
		if name == "test/imports" {
			continue
		}
		var r row
		ext := map[string]bool{}
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, module):
				r.internal = append(r.internal, strings.TrimPrefix(strings.TrimPrefix(imp, module), "internal/"))
			case strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				ext[modulePath(imp, mods)] = true
			}
		}
		for m := range ext {
			r.external = append(r.external, m)
		}
		sort.Strings(r.internal)
		sort.Strings(r.external)
		got[name] = r
	}
	return got
}

// diff returns what a has that b lacks.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func cell(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "`" + x + "`"
	}
	return strings.Join(q, ", ")
}

// TestImportTable fails on an import the table does not allow, on an
// allowed import the code no longer needs, and on a package without a row
// or a row without a package.
func TestImportTable(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	table := readTable(t)
	pkgs, mods := listPackages(t)
	got := actual(pkgs, mods)
	for name, r := range got {
		want, ok := table[name]
		if !ok {
			t.Errorf("%s has no row in %s; add: | `%s` | ... | %s | %s |", name, doc, name, cell(r.internal, "none"), cell(r.external, "none"))
			continue
		}
		if extra := minus(r.internal, want.internal); len(extra) > 0 {
			t.Errorf("%s imports %v, which %s does not allow", name, extra, doc)
		}
		if unused := minus(want.internal, r.internal); len(unused) > 0 {
			t.Errorf("%s: %s allows %v, which the code no longer imports", name, doc, unused)
		}
		if extra := minus(r.external, want.external); len(extra) > 0 {
			t.Errorf("%s imports the outside modules %v, which %s does not list", name, extra, doc)
		}
		if unused := minus(want.external, r.external); len(unused) > 0 {
			t.Errorf("%s: %s lists the outside modules %v, which the code no longer imports", name, doc, unused)
		}
	}
	for name := range table {
		if _, ok := got[name]; !ok {
			t.Errorf("%s has a row for %s, which is not a package of the module", doc, name)
		}
	}
}

// TestOnlyTheCLITouchesTheProcess keeps flags, the environment and os.Exit
// in cmd/nosedive (docs/architecture.md, "Rules").
func TestOnlyTheCLITouchesTheProcess(t *testing.T) {
	banned := regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ|Setenv|Exit)\(`)
	allowed := map[string]string{
		// The memory guard leaves an explicit GOMEMLIMIT alone.
		"internal/runner/meminfo.go": "os.Getenv",
	}
	pkgs, _ := listPackages(t)
	for _, p := range pkgs {
		name := strings.TrimPrefix(p.ImportPath, module)
		if name == "cmd/nosedive" || name == "test/imports" || strings.HasPrefix(name, "test/") {
			continue
		}
		for _, imp := range p.Imports {
			if imp == "flag" || imp == "github.com/spf13/cobra" || imp == "github.com/spf13/pflag" {
				t.Errorf("%s imports %s: only cmd/nosedive parses flags", name, imp)
			}
		}
		files, err := filepathGlob("../../" + name + "/*.go")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel := strings.TrimPrefix(f, "../../")
			for _, m := range banned.FindAllString(string(b), -1) {
				if a, ok := allowed[rel]; ok && strings.Contains(m, a) {
					continue
				}
				t.Errorf("%s uses %s: only cmd/nosedive reads flags or the environment or exits the process", rel, m)
			}
		}
	}
}

var filepathGlob = filepath.Glob
