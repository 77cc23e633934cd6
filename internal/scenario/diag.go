package scenario

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// A scenario file is decoded by internal/yamlfile, the one path for every
// YAML file a person writes; these names are its types, so a scenario's
// diagnostics and a sweep file's are the same values.
type (
	// Pos is a position in a scenario file (1-based line and column). The
	// zero Pos means "no position known".
	Pos = yamlfile.Pos
	// Diag is one positioned problem found in a scenario file.
	Diag = yamlfile.Diag
	// Errors is every problem found in one scenario, sorted by position.
	// It is the error type returned for bad input; callers map it to exit
	// code 2.
	Errors = yamlfile.Errors
)

// scenarioFormat is what the loader knows of scenario files: their name in
// messages and their byte budget.
var scenarioFormat = yamlfile.Format{Name: "scenario", MaxSize: MaxFileSize}

// diags collects diagnostics for one file (yamlfile.Diags under the names
// the scenario code uses).
type diags struct{ yamlfile.Diags }

func newDiags(file string, src []byte, ctx context.Context) *diags {
	return &diags{yamlfile.Diags{File: file, Src: src, Ctx: ctx}}
}

func (d *diags) add(p Pos, format string, args ...any) { d.Add(p, format, args...) }

func (d *diags) suggest(name string, candidates []string) string {
	return d.Suggest(name, candidates)
}

func (d *diags) err() error { return d.Err() }

// locate finds the file position of rune offset off of an expression.
func locate(d *diags, e Expr, off int) Pos {
	return d.Locate(&Node{Kind: KindScalar, Pos: e.Pos, Value: e.Src, Quoted: e.Quoted, Block: e.Block}, off)
}
