package scenario

import (
	"github.com/invopop/jsonschema"
)

// JSONSchema returns the JSON Schema of scenario files, generated from the
// types in this package.
func JSONSchema() *jsonschema.Schema {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		DoNotReference:             false,
		ExpandedStruct:             true,
	}
	s := r.Reflect(&Scenario{})
	s.ID = "https://nosedive.invalid/scenario.schema.json"
	s.Title = "nosedive scenario"
	s.Description = "A social credit regime run by nosedive on a synthetic population. See docs/scenario-language.md."
	return s
}

// JSONSchema describes an expression: a number, a condition or expr-lang text.
func (Expr) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "A number, true/false, or an expression in expr-lang syntax (see docs/scenario-language.md).",
		OneOf: []*jsonschema.Schema{
			{Type: "number"}, {Type: "boolean"}, {Type: "string"},
		},
	}
}

// JSONSchema describes an ordered mapping of names to shares.
func (Shares) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:                 "object",
		Description:          "Names and their shares in [0, 1], summing to 1. Order is kept.",
		AdditionalProperties: &jsonschema.Schema{Type: "number", Minimum: "0", Maximum: "1"},
	}
}

// JSONSchema describes a table's y: one column name, or categories to
// column names.
func (TableColumns) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Description: "A CSV column name, or a mapping from each category to its column name.",
		OneOf: []*jsonschema.Schema{
			{Type: "string"}, {Type: "object", AdditionalProperties: &jsonschema.Schema{Type: "string"}},
		},
	}
}
