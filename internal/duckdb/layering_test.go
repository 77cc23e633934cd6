package duckdb

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps this package a reader of files: it imports the
// standard library and duckdb-go only, no other nosedive package, so the
// views depend on the documented formats and not on Go types.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, ".") && !strings.HasPrefix(path, "github.com/duckdb/duckdb-go/") {
				t.Errorf("%s imports %s; internal/duckdb may import the standard library and duckdb-go only", f, path)
			}
		}
	}
}
