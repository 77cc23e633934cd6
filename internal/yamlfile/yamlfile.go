// Package yamlfile decodes a YAML file a person wrote (a scenario, a sweep)
// into a Go struct, strictly and with positions, so that every such file
// gets the same diagnostics: FILE:LINE:COL: field path: message.
//
// The path, in order: Prescan checks the text against the loader's
// budgets (bytes, line length, depth, keys in one mapping, nodes) before
// the parser sees it; Parse builds a positioned tree from goccy/go-yaml's
// AST (aliases expanded and merge keys applied under the same budgets,
// duplicate keys refused); a Decoder fills a struct from the tree by its
// `yaml` tags, reporting unknown keys with "did you mean", wrong shapes and
// scalar types with what was expected, and missing required keys, all at
// once; it records where each key path was given (Positions), which the
// caller's semantic checks use to place their own diagnostics, and Locate
// places a problem found inside a scalar (an expression) at its line and
// column in the file. Diags collects everything and returns it as Errors.
//
// Non-goals: writing YAML, YAML's graph and type features beyond what a
// hand-written configuration needs (custom tags are refused, and a Plain
// format refuses tags, anchors and aliases altogether), and knowing what
// any particular file means: scenario and sweep semantics live in their
// packages.
package yamlfile

import (
	"bytes"
	"fmt"
)

// Format says what kind of file is decoded: its name in messages and its
// byte budget. The other budgets (MaxDepth, MaxNodes, MaxKeys,
// MaxLineBytes) are the same for every format.
type Format struct {
	// Name is what the file is, in messages: "empty scenario file",
	// "sweep: unknown key ...".
	Name string
	// MaxSize bounds the file's bytes.
	MaxSize int
	// Plain refuses YAML tags, anchors and aliases, for files that have
	// no use for them.
	Plain bool
}

func (f Format) tooLarge(n int) string {
	return fmt.Sprintf("file is %d bytes; %s files are limited to %d (the loader's byte budget)", n, f.Name, f.MaxSize)
}

// utf8BOM is the byte order mark some editors put at the start of a file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM drops a UTF-8 byte order mark at the start of src, so that
// positions are those an editor shows.
func TrimBOM(src []byte) []byte {
	return bytes.TrimPrefix(src, utf8BOM)
}
