package scenario

import "github.com/nosedive-lab/nosedive/internal/yamlfile"

// The positioned tree a scenario is decoded from (internal/yamlfile's).
type (
	// Kind is the shape of a YAML node in the positioned tree.
	Kind = yamlfile.Kind
	// ScalarType says how YAML typed a scalar.
	ScalarType = yamlfile.ScalarType
	// Node is a YAML node reduced to what the decoder needs: shape,
	// position and text, aliases expanded and merge keys applied.
	Node = yamlfile.Node
)

// Node shapes.
const (
	KindNull   = yamlfile.KindNull
	KindScalar = yamlfile.KindScalar
	KindMap    = yamlfile.KindMap
	KindSeq    = yamlfile.KindSeq
)

// Scalar types.
const (
	TypeString = yamlfile.TypeString
	TypeInt    = yamlfile.TypeInt
	TypeFloat  = yamlfile.TypeFloat
	TypeBool   = yamlfile.TypeBool
)

// parseTree parses a scenario file's text into a positioned tree, or
// returns nil having added why to d.
func parseTree(file string, src []byte, d *diags) *Node {
	d.File, d.Src = file, src
	return yamlfile.Parse(scenarioFormat, &d.Diags)
}
