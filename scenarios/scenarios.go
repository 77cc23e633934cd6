// Package scenarios holds the built-in scenario files. They are the files
// people read, copy and edit, and the binary embeds them as they are: there
// is one copy of each built-in.
package scenarios

import "embed"

// FS holds every built-in scenario, NAME.yaml at its root, and the data
// files their tables read, under data/.
//
//go:embed *.yaml data
var FS embed.FS
