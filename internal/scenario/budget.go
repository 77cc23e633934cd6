package scenario

import (
	"context"

	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// The loader's budgets (internal/yamlfile's, with the scenario file's byte
// budget). The built-in scenarios use a small part of each (at most 10 KB,
// depth 6, 1,706 nodes, 13 keys in a mapping and 195-byte lines; a test
// keeps it so); docs/reliability.md lists them with what happens when one
// is reached.
const (
	// MaxFileSize bounds the bytes the loader reads.
	MaxFileSize = 4 << 20
	// MaxDepth bounds how deeply collections (mappings, lists) nest.
	MaxDepth = yamlfile.MaxDepth
	// MaxNodes bounds the YAML nodes of a file, counted by Prescan as
	// written and again after aliases are expanded.
	MaxNodes = yamlfile.MaxNodes
	// MaxKeys bounds the keys of one mapping.
	MaxKeys = yamlfile.MaxKeys
	// MaxLineBytes bounds the length of one line, in bytes.
	MaxLineBytes = yamlfile.MaxLineBytes
)

// Prescan checks YAML source against the loader's budgets in one pass over
// its bytes, before any parser sees it (yamlfile.Prescan for a scenario
// file). The result is nil or Errors holding one positioned diagnostic
// naming the budget and its value.
func Prescan(file string, src []byte) error {
	return yamlfile.Prescan(context.Background(), scenarioFormat, file, src)
}
