package rule

// The types of sub-expressions, and constants and folding: what every
// stage of the compiler passes around.

import (
	"github.com/expr-lang/expr/file"
)

type typ int

const (
	tNum typ = iota
	tBool
	tStr // string literal, only to compare with a category
	tTier
	tGroup
	tRegion
	tAge
	tList // list of string literals, right of `in`
)

func (t typ) describe(s *Schema) string {
	switch t {
	case tNum:
		return "a number"
	case tBool:
		return "a condition"
	case tStr:
		return "a string"
	case tList:
		return "a list"
	}
	return "a " + t.category() + " name"
}

func (t typ) category() string {
	return [...]string{tTier: "tier", tGroup: "group", tRegion: "region", tAge: "age band"}[t]
}

func (t typ) names(s *Schema) []string {
	switch t {
	case tTier:
		return s.Tiers
	case tGroup:
		return s.Groups
	case tRegion:
		return s.Regions
	case tAge:
		return s.Ages
	}
	return nil
}

// val is a compiled sub-expression.
type val struct {
	t       typ
	loc     file.Location
	num     NumFn
	bool    BoolFn
	enum    func(v *View, i int32) uint8
	numB    NumBatch
	boolB   BoolBatch
	enumB   enumBatch
	str     string
	list    []string
	isConst bool
	// Shapes acq.* can read without a call per acquaintance: col is a
	// category column (tier, group, region, age); test and testCol a test
	// of such a column against a table of its values; score the agent's
	// score itself. Zero for every other expression.
	col     func(v *View) []uint8
	testCol func(v *View) []uint8
	test    *[256]bool
	score   bool
	// skip reports that a condition is false for every agent today (see
	// Bool.Skip); nil when not known.
	skip func(v *View) bool
}

// noCategory is what partner.tier (group, ...) reads for an agent without
// a partner: it equals no name.
const noCategory = 255

func constNum(x float64, loc file.Location) val {
	return val{t: tNum, loc: loc, isConst: true, num: func(*View, int32) float64 { return x },
		numB: func(_ *View, idx []int32, out []float64, _ *Arena) {
			for k := range idx {
				out[k] = x
			}
		}}
}

func constBool(b bool, loc file.Location) val {
	return val{t: tBool, loc: loc, isConst: true, bool: func(*View, int32) bool { return b },
		boolB: func(_ *View, idx []int32, out []bool, _ *Arena) {
			for k := range idx {
				out[k] = b
			}
		}}
}

// fold replaces a constant sub-expression by its value.
func fold(v val, allConst bool) val {
	if !allConst {
		return v
	}
	switch v.t {
	case tNum:
		return constNum(v.num(nil, 0), v.loc)
	case tBool:
		return constBool(v.bool(nil, 0), v.loc)
	}
	return v
}
