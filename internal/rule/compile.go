package rule

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// NumFn evaluates a numeric expression for agent i.
type NumFn func(v *View, i int32) float64

// BoolFn evaluates a condition for agent i.
type BoolFn func(v *View, i int32) bool

// Error is a compile error at a byte offset of the expression source.
type Error struct {
	Line, Col int // 1-based line and 0-based column within the expression
	Msg       string
}

func (e *Error) Error() string { return e.Msg }

// Refs records whose state an expression reads; audits use it to tell a
// rule about the agent's own conduct from guilt by association.
type Refs struct {
	Partner  bool // reads partner.*
	Acq      bool // reads acq.*
	Detained bool // reads detained (own or partner's)
	// Others lists the state the expression reads of agents other than
	// the one it is evaluated for (its partner, its acquaintances). The
	// engine keeps a second, start-of-day copy of such state while a day
	// rewrites it; state no expression reads of others needs one copy.
	Others Fields
}

// Fields is a set of the per-agent state expressions can read.
type Fields uint8

const (
	FieldScore Fields = 1 << iota
	FieldTier
	FieldFlags
	FieldSanctions
	FieldDetained
	FieldPartner
)

// Num is a compiled numeric expression.
type Num struct {
	Fn    NumFn
	Batch NumBatch // the same, for many agents at once
	Const bool     // Fn always returns Value
	Value float64
	Refs  Refs
}

// Bool is a compiled condition.
type Bool struct {
	Fn    BoolFn
	Batch BoolBatch // the same, for many agents at once
	Const bool
	Value bool
	Refs  Refs
}

// CompileNum compiles src as a number.
func CompileNum(src string, s *Schema) (Num, error) {
	c := compiler{s: s, src: src}
	v, err := c.top(src)
	if err != nil {
		return Num{}, err
	}
	if v.t != tNum {
		return Num{}, c.errAt(v.loc, "expected a number, got %s", v.t.describe(s))
	}
	out := Num{Fn: v.num, Batch: v.numBatch(), Const: v.isConst, Refs: c.refs}
	if v.isConst {
		out.Value = v.num(nil, 0)
		if math.IsNaN(out.Value) || math.IsInf(out.Value, 0) {
			return Num{}, c.errAt(v.loc, "expression is not a finite number (division by zero?)")
		}
	}
	return out, nil
}

// CompileBool compiles src as a condition.
func CompileBool(src string, s *Schema) (Bool, error) {
	c := compiler{s: s, src: src}
	v, err := c.top(src)
	if err != nil {
		return Bool{}, err
	}
	if v.t != tBool {
		return Bool{}, c.errAt(v.loc, "expected a condition (true/false), got %s", v.t.describe(s))
	}
	out := Bool{Fn: v.bool, Batch: v.boolBatch(), Const: v.isConst, Refs: c.refs}
	if v.isConst {
		out.Value = v.bool(nil, 0)
	}
	return out, nil
}

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
}

type compiler struct {
	s    *Schema
	src  string
	refs Refs
	// inAcq is set while compiling the argument of acq.f(...): the
	// expression then describes one acquaintance.
	inAcq bool
	// inPartner is set while compiling the field of partner.field.
	inPartner bool
}

// reads notes that the expression reads field f, of another agent when it
// is compiling partner.* or acq.*(...).
func (c *compiler) reads(f Fields) {
	if c.inAcq || c.inPartner {
		c.refs.Others |= f
	}
}

func (c *compiler) top(src string) (val, error) {
	if strings.TrimSpace(src) == "" {
		return val{}, &Error{Line: 1, Msg: "empty expression"}
	}
	tree, err := parser.Parse(src)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return val{}, &Error{Line: max(fe.Line, 1), Col: fe.Column, Msg: "syntax error: " + fe.Message}
		}
		return val{}, &Error{Line: 1, Msg: "syntax error: " + err.Error()}
	}
	return c.node(tree.Node)
}

func (c *compiler) errAt(loc file.Location, format string, args ...any) error {
	line, col := 1, 0
	// Location offsets count runes.
	off := 0
	for _, r := range c.src {
		if off >= loc.From {
			break
		}
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
		off++
	}
	_ = utf8.RuneLen
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// noCategory is what partner.tier (group, ...) reads for an agent without
// a partner: it equals no name.
const noCategory = 255

// viaPartner turns an accessor of the agent's own field into one of the
// partner's. Without a partner it reads 0, false or no category (rules that
// mention partner.* are skipped for such agents anyway).
func viaPartner(x val, err error) (val, error) {
	if err != nil {
		return x, err
	}
	x.col, x.testCol, x.test, x.score = nil, nil, nil, false // they read the agent's own row
	switch x.t {
	case tNum:
		f, fb := x.num, x.numBatch()
		x.num = func(v *View, i int32) float64 {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return 0
		}
		x.numB = partnerBatch(fb, 0, (*Arena).floats)
	case tBool:
		f, fb := x.bool, x.boolBatch()
		x.bool = func(v *View, i int32) bool {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return false
		}
		x.boolB = partnerBatch(fb, false, (*Arena).bools)
	default:
		f, fb := x.enum, x.enumBatch()
		x.enum = func(v *View, i int32) uint8 {
			if p := v.Partner[i]; p >= 0 {
				return f(v, p)
			}
			return noCategory
		}
		x.enumB = partnerBatch(fb, noCategory, (*Arena).enums)
	}
	return x, nil
}

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

func (c *compiler) node(n ast.Node) (val, error) {
	loc := n.Location()
	switch n := n.(type) {
	case *ast.IntegerNode:
		return constNum(float64(n.Value), loc), nil
	case *ast.FloatNode:
		return constNum(n.Value, loc), nil
	case *ast.BoolNode:
		return constBool(n.Value, loc), nil
	case *ast.StringNode:
		return val{t: tStr, loc: loc, str: n.Value, isConst: true}, nil
	case *ast.ArrayNode:
		var list []string
		for _, it := range n.Nodes {
			s, ok := it.(*ast.StringNode)
			if !ok {
				return val{}, c.errAt(it.Location(), "lists may only hold names in quotes")
			}
			list = append(list, s.Value)
		}
		return val{t: tList, loc: loc, list: list, isConst: true}, nil
	case *ast.IdentifierNode:
		return c.ident(n.Value, loc)
	case *ast.MemberNode:
		return c.member(n)
	case *ast.UnaryNode:
		return c.unary(n)
	case *ast.BinaryNode:
		return c.binary(n)
	case *ast.ConditionalNode:
		return c.conditional(n)
	case *ast.BuiltinNode:
		return c.builtin(n.Name, n.Arguments, loc)
	case *ast.CallNode:
		return c.call(n)
	case *ast.ChainNode:
		return c.node(n.Node)
	case *ast.NilNode:
		return val{}, c.errAt(loc, "nil is not a value in rules")
	}
	return val{}, c.errAt(loc, "%s is not supported in rules", strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
}

// Field names an agent exposes, for "did you mean" and the docs.
var agentFields = []string{"score", "tier", "group", "region", "age", "children", "has_partner", "detained", "flags", "sanctions"}

func (c *compiler) fieldNames() []string {
	out := append([]string{}, agentFields...)
	out = append(out, c.s.Traits...)
	if !c.inAcq {
		out = append(out, "partner", "acq", "day")
	}
	return out
}

func (c *compiler) ident(name string, loc file.Location) (val, error) {
	switch name {
	case "score":
		c.reads(FieldScore)
		return val{t: tNum, loc: loc, score: true, num: func(v *View, i int32) float64 { return float64(v.Score[i]) / Scale },
			numB: func(v *View, idx []int32, out []float64, _ *Arena) {
				for k, i := range idx {
					out[k] = float64(v.Score[i]) / Scale
				}
			}}, nil
	case "children":
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return float64(v.Kids[i]) }}, nil
	case "day":
		if c.inAcq {
			break
		}
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return float64(v.Day) }}, nil
	case "has_partner":
		c.reads(FieldPartner)
		return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Partner[i] >= 0 },
			boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
				for k, i := range idx {
					out[k] = v.Partner[i] >= 0
				}
			}}, nil
	case "detained":
		c.reads(FieldDetained)
		c.refs.Detained = true
		return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Detained[i] }}, nil
	case "tier":
		c.reads(FieldTier)
		col := func(v *View) []uint8 { return v.Tier }
		return val{t: tTier, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Tier[i] }, enumB: gather(col)}, nil
	case "group":
		col := func(v *View) []uint8 { return v.Group }
		return val{t: tGroup, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Group[i] }, enumB: gather(col)}, nil
	case "region":
		col := func(v *View) []uint8 { return v.Region }
		return val{t: tRegion, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Region[i] }, enumB: gather(col)}, nil
	case "age":
		col := func(v *View) []uint8 { return v.Age }
		return val{t: tAge, loc: loc, col: col, enum: func(v *View, i int32) uint8 { return v.Age[i] }, enumB: gather(col)}, nil
	case "partner", "acq", "flags", "sanctions":
		return val{}, c.errAt(loc, "%s needs a field, e.g. %s", name, map[string]string{
			"partner": "partner.score", "acq": "acq.share(tier == \"untrustworthy\")",
			"flags": "flags.enemy_of_state", "sanctions": "sanctions.travel_ban"}[name])
	}
	for t, tn := range c.s.Traits {
		if tn == name {
			bit := uint32(1) << uint(t)
			return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Traits[i]&bit != 0 },
				boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
					for k, i := range idx {
						out[k] = v.Traits[i]&bit != 0
					}
				}}, nil
		}
	}
	return val{}, c.errAt(loc, "unknown name %q%s", name, Suggest(name, c.fieldNames()))
}

func (c *compiler) member(n *ast.MemberNode) (val, error) {
	base, ok := n.Node.(*ast.IdentifierNode)
	prop, ok2 := n.Property.(*ast.StringNode)
	if !ok || !ok2 {
		return val{}, c.errAt(n.Location(), "only name.field is supported here")
	}
	loc := n.Location()
	switch base.Value {
	case "partner":
		if c.inAcq {
			return val{}, c.errAt(loc, "partner is not available inside acq.*(...)")
		}
		if prop.Value == "partner" || prop.Value == "acq" || prop.Value == "day" {
			return val{}, c.errAt(loc, "partner.%s is not available", prop.Value)
		}
		c.refs.Partner = true
		c.inPartner = true
		x, err := c.ident(prop.Value, loc)
		c.inPartner = false
		return viaPartner(x, err)
	case "flags":
		c.reads(FieldFlags)
		for f, fn := range c.s.Flags {
			if fn == prop.Value {
				bit := uint32(1) << uint(f)
				return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Flags[i]&bit != 0 },
					boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
						for k, i := range idx {
							out[k] = v.Flags[i]&bit != 0
						}
					}}, nil
			}
		}
		return val{}, c.errAt(loc, "unknown flag %q%s (flags are declared by a rule's set_flags)", prop.Value, Suggest(prop.Value, c.s.Flags))
	case "sanctions":
		c.reads(FieldSanctions)
		for s, sn := range c.s.Sanctions {
			if sn == prop.Value {
				bit := uint32(1) << uint(s)
				return val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return v.Sanctions[i]&bit != 0 },
					boolB: func(v *View, idx []int32, out []bool, _ *Arena) {
						for k, i := range idx {
							out[k] = v.Sanctions[i]&bit != 0
						}
					}}, nil
			}
		}
		return val{}, c.errAt(loc, "unknown sanction %q%s", prop.Value, Suggest(prop.Value, c.s.Sanctions))
	case "acq":
		if prop.Value == "count" {
			if c.inAcq {
				return val{}, c.errAt(loc, "acq.* cannot be nested")
			}
			c.refs.Acq = true
			c.refs.Others |= FieldDetained // acquaintances who are detained are skipped
			return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {

				k := 0
				var buf [64]int32
				for _, a := range v.Graph.Neighbours(i, buf[:0]) {
					if !v.Detained[a] {
						k++
					}
				}
				return float64(k)
			}}, nil
		}
		return val{}, c.errAt(loc, "acq.%s needs arguments: acq.share(cond), acq.count(cond), acq.mean(num), acq.min(num), acq.max(num), or acq.count", prop.Value)
	}
	return val{}, c.errAt(loc, "unknown name %q%s", base.Value, Suggest(base.Value, c.fieldNames()))
}

var acqFuncs = []string{"share", "count", "mean", "min", "max"}

func (c *compiler) call(n *ast.CallNode) (val, error) {
	loc := n.Location()
	m, ok := n.Callee.(*ast.MemberNode)
	if !ok {
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return c.builtin(id.Value, n.Arguments, loc)
		}
		return val{}, c.errAt(loc, "unsupported call")
	}
	base, _ := m.Node.(*ast.IdentifierNode)
	prop, _ := m.Property.(*ast.StringNode)
	if base == nil || prop == nil || base.Value != "acq" {
		return val{}, c.errAt(loc, "unknown function; rules can call min, max, abs, clamp and acq.share/count/mean/min/max")
	}
	if c.inAcq {
		return val{}, c.errAt(loc, "acq.* cannot be nested")
	}
	if len(n.Arguments) != 1 {
		return val{}, c.errAt(loc, "acq.%s takes one argument", prop.Value)
	}
	c.refs.Acq = true
	c.refs.Others |= FieldDetained // acquaintances who are detained are skipped
	c.inAcq = true
	arg, err := c.node(n.Arguments[0])
	c.inAcq = false
	if err != nil {
		return val{}, err
	}
	switch prop.Value {
	case "share", "count":
		if arg.t != tBool {
			return val{}, c.errAt(arg.loc, "acq.%s needs a condition about an acquaintance, e.g. tier == \"untrustworthy\"", prop.Value)
		}
		f, share := arg.bool, prop.Value == "share"
		testCol, test := arg.testCol, arg.test
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {
			k, m := 0, 0
			var buf [64]int32
			nbrs := v.Graph.Neighbours(i, buf[:0])
			if testCol != nil {
				// a category test: a table read per acquaintance
				col := testCol(v)
				for _, a := range nbrs {
					if !v.Detained[a] {
						m++
						k += b2i(test[col[a]])
					}
				}
			} else {
				for _, a := range nbrs {
					if v.Detained[a] {
						continue
					}
					m++
					if f(v, a) {
						k++
					}
				}
			}
			if !share {
				return float64(k)
			}
			if m == 0 {
				return 0
			}
			return float64(k) / float64(m)
		}}, nil
	case "mean", "min", "max":
		if arg.t != tNum {
			return val{}, c.errAt(arg.loc, "acq.%s needs a number about an acquaintance, e.g. score", prop.Value)
		}
		f, op, score := arg.num, prop.Value, arg.score
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {
			m := 0
			acc := 0.0
			var buf [64]int32
			for _, a := range v.Graph.Neighbours(i, buf[:0]) {
				if v.Detained[a] {
					continue
				}
				var x float64
				if score {
					x = float64(v.Score[a]) / Scale // as the score leaf reads it
				} else {
					x = f(v, a)
				}
				switch {
				case m == 0:
					acc = x
				case op == "mean":
					acc += x
				case op == "min":
					acc = min(acc, x)
				default:
					acc = max(acc, x)
				}
				m++
			}
			if op == "mean" && m > 0 {
				acc /= float64(m)
			}
			return acc
		}}, nil
	}
	return val{}, c.errAt(loc, "unknown function acq.%s%s", prop.Value, Suggest(prop.Value, acqFuncs))
}

var functions = []string{"min", "max", "abs", "clamp", "floor", "ceil", "round"}

func (c *compiler) builtin(name string, args []ast.Node, loc file.Location) (val, error) {
	if !slices.Contains(functions, name) {
		return val{}, c.errAt(loc, "unknown function %q%s; rules can call min, max, abs, clamp, floor, ceil, round", name,
			Suggest(name, functions))
	}
	vals := make([]val, len(args))
	for k, a := range args {
		v, err := c.node(a)
		if err != nil {
			return val{}, err
		}
		if v.t != tNum {
			return val{}, c.errAt(v.loc, "%s takes numbers, got %s", name, v.t.describe(c.s))
		}
		vals[k] = v
	}
	allConst := true
	for _, v := range vals {
		allConst = allConst && v.isConst
	}
	var out val
	switch name {
	case "abs":
		if len(vals) != 1 {
			return val{}, c.errAt(loc, "abs takes one number")
		}
		f := vals[0].num
		out = val{t: tNum, num: func(v *View, i int32) float64 { return math.Abs(f(v, i)) }}
	case "min", "max":
		if len(vals) < 2 {
			return val{}, c.errAt(loc, "%s takes two or more numbers", name)
		}
		fs := make([]NumFn, len(vals))
		for k := range vals {
			fs[k] = vals[k].num
		}
		isMin := name == "min"
		out = val{t: tNum, num: func(v *View, i int32) float64 {
			acc := fs[0](v, i)
			for _, f := range fs[1:] {
				x := f(v, i)
				if isMin {
					acc = min(acc, x)
				} else {
					acc = max(acc, x)
				}
			}
			return acc
		}}
	case "clamp":
		if len(vals) != 3 {
			return val{}, c.errAt(loc, "clamp takes (x, lo, hi)")
		}
		x, lo, hi := vals[0].num, vals[1].num, vals[2].num
		out = val{t: tNum, num: func(v *View, i int32) float64 { return min(max(x(v, i), lo(v, i)), hi(v, i)) }}
	case "floor", "ceil", "round":
		if len(vals) != 1 {
			return val{}, c.errAt(loc, "%s takes one number", name)
		}
		f := vals[0].num
		g := map[string]func(float64) float64{"floor": math.Floor, "ceil": math.Ceil, "round": math.Round}[name]
		out = val{t: tNum, num: func(v *View, i int32) float64 { return g(f(v, i)) }}
	default:
		return val{}, c.errAt(loc, "unknown function %q%s; rules can call min, max, abs, clamp, floor, ceil, round", name,
			Suggest(name, []string{"min", "max", "abs", "clamp", "floor", "ceil", "round"}))
	}
	out.loc = loc
	return fold(out, allConst), nil
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

func (c *compiler) unary(n *ast.UnaryNode) (val, error) {
	x, err := c.node(n.Node)
	if err != nil {
		return val{}, err
	}
	loc := n.Location()
	switch n.Operator {
	case "!", "not":
		if x.t != tBool {
			return val{}, c.errAt(loc, "%s needs a condition, got %s", n.Operator, x.t.describe(c.s))
		}
		f := x.bool
		fb := x.boolBatch()
		return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return !f(v, i) },
			boolB: func(v *View, idx []int32, out []bool, a *Arena) {
				fb(v, idx, out, a)
				for k := range idx {
					out[k] = !out[k]
				}
			}}, x.isConst), nil
	case "-", "+":
		if x.t != tNum {
			return val{}, c.errAt(loc, "%s needs a number, got %s", n.Operator, x.t.describe(c.s))
		}
		if n.Operator == "+" {
			return x, nil
		}
		f := x.num
		fb := x.numBatch()
		return fold(val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return -f(v, i) },
			numB: func(v *View, idx []int32, out []float64, a *Arena) {
				fb(v, idx, out, a)
				for k := range idx {
					out[k] = -out[k]
				}
			}}, x.isConst), nil
	}
	return val{}, c.errAt(loc, "operator %s is not supported in rules", n.Operator)
}

func (c *compiler) conditional(n *ast.ConditionalNode) (val, error) {
	cond, err := c.node(n.Cond)
	if err != nil {
		return val{}, err
	}
	if cond.t != tBool {
		return val{}, c.errAt(cond.loc, "the condition of ?: must be true/false, got %s", cond.t.describe(c.s))
	}
	a, err := c.node(n.Exp1)
	if err != nil {
		return val{}, err
	}
	b, err := c.node(n.Exp2)
	if err != nil {
		return val{}, err
	}
	if a.t != b.t || (a.t != tNum && a.t != tBool) {
		return val{}, c.errAt(n.Location(), "both branches of ?: must be numbers or both conditions")
	}
	cf, loc := cond.bool, n.Location()
	allConst := cond.isConst && a.isConst && b.isConst
	if a.t == tNum {
		x, y := a.num, b.num
		return fold(val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {
			if cf(v, i) {
				return x(v, i)
			}
			return y(v, i)
		}}, allConst), nil
	}
	x, y := a.bool, b.bool
	return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool {
		if cf(v, i) {
			return x(v, i)
		}
		return y(v, i)
	}}, allConst), nil
}

func (c *compiler) binary(n *ast.BinaryNode) (val, error) {
	l, err := c.node(n.Left)
	if err != nil {
		return val{}, err
	}
	r, err := c.node(n.Right)
	if err != nil {
		return val{}, err
	}
	loc := n.Location()
	op := n.Operator
	allConst := l.isConst && r.isConst
	switch op {
	case "and", "&&", "or", "||":
		if l.t != tBool || r.t != tBool {
			return val{}, c.errAt(loc, "%s needs conditions on both sides, got %s and %s", op, l.t.describe(c.s), r.t.describe(c.s))
		}
		a, b := l.bool, r.bool
		if op == "and" || op == "&&" {
			return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return a(v, i) && b(v, i) }, boolB: logic(&l, &r, true)}, allConst), nil
		}
		return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return a(v, i) || b(v, i) }, boolB: logic(&l, &r, false)}, allConst), nil
	case "+", "-", "*", "/", "%", "**", "^":
		if l.t != tNum || r.t != tNum {
			return val{}, c.errAt(loc, "%s needs numbers on both sides, got %s and %s", op, l.t.describe(c.s), r.t.describe(c.s))
		}
		a, b := l.num, r.num
		var f NumFn
		var fb NumBatch
		switch op {
		case "+":
			f = func(v *View, i int32) float64 { return a(v, i) + b(v, i) }
			fb = binNum(&l, &r, opAdd)
		case "-":
			f = func(v *View, i int32) float64 { return a(v, i) - b(v, i) }
			fb = binNum(&l, &r, opSub)
		case "*":
			f = func(v *View, i int32) float64 { return a(v, i) * b(v, i) }
			fb = binNum(&l, &r, opMul)
		case "/":
			if r.isConst && r.num(nil, 0) == 0 {
				return val{}, c.errAt(loc, "division by zero")
			}
			f = func(v *View, i int32) float64 { return a(v, i) / b(v, i) }
			fb = binNum(&l, &r, opDiv)
		case "%":
			if r.isConst && r.num(nil, 0) == 0 {
				return val{}, c.errAt(loc, "modulo by zero")
			}
			f = func(v *View, i int32) float64 { return math.Mod(a(v, i), b(v, i)) }
		default:
			f = func(v *View, i int32) float64 { return math.Pow(a(v, i), b(v, i)) }
		}
		return fold(val{t: tNum, loc: loc, num: f, numB: fb}, allConst), nil
	case "<", "<=", ">", ">=":
		if l.t != tNum || r.t != tNum {
			return val{}, c.errAt(loc, "%s compares numbers, got %s and %s", op, l.t.describe(c.s), r.t.describe(c.s))
		}
		a, b := l.num, r.num
		var f BoolFn
		var fb BoolBatch
		switch op {
		case "<":
			f = func(v *View, i int32) bool { return a(v, i) < b(v, i) }
			fb = cmpNum(&l, &r, opLT)
		case "<=":
			f = func(v *View, i int32) bool { return a(v, i) <= b(v, i) }
			fb = cmpNum(&l, &r, opLE)
		case ">":
			f = func(v *View, i int32) bool { return a(v, i) > b(v, i) }
			fb = cmpNum(&l, &r, opGT)
		default:
			f = func(v *View, i int32) bool { return a(v, i) >= b(v, i) }
			fb = cmpNum(&l, &r, opGE)
		}
		return fold(val{t: tBool, loc: loc, bool: f, boolB: fb}, allConst), nil
	case "==", "!=":
		return c.equality(l, r, op == "!=", loc)
	case "in", "not in":
		return c.in(l, r, op == "not in", loc)
	}
	return val{}, c.errAt(loc, "operator %s is not supported in rules", op)
}

func (c *compiler) isEnum(t typ) bool { return t >= tTier && t <= tAge }

// resolve turns a string literal into the index of a category name.
func (c *compiler) resolve(t typ, s string, loc file.Location) (uint8, error) {
	names := t.names(c.s)
	for k, n := range names {
		if n == s {
			return uint8(k), nil
		}
	}
	return 0, c.errAt(loc, "unknown %s %q%s (known: %s)", t.category(), s, Suggest(s, names), strings.Join(names, ", "))
}

func (c *compiler) equality(l, r val, neg bool, loc file.Location) (val, error) {
	if l.t == tStr && c.isEnum(r.t) {
		l, r = r, l
	}
	var f BoolFn
	var fb BoolBatch // only where a kernel exists; it already includes neg
	var testCol func(v *View) []uint8
	var test *[256]bool
	switch {
	case l.t == tNum && r.t == tNum:
		a, b := l.num, r.num
		f = func(v *View, i int32) bool { return a(v, i) == b(v, i) }
	case l.t == tBool && r.t == tBool:
		a, b := l.bool, r.bool
		f = func(v *View, i int32) bool { return a(v, i) == b(v, i) }
	case c.isEnum(l.t) && r.t == tStr:
		k, err := c.resolve(l.t, r.str, r.loc)
		if err != nil {
			return val{}, err
		}
		a := l.enum
		f = func(v *View, i int32) bool { return a(v, i) == k }
		tab := enumTable(func(x uint8) bool { return (x == k) != neg })
		fb = enumIs(&l, tab)
		if l.col != nil {
			testCol, test = l.col, tab
		}
	case c.isEnum(l.t) && l.t == r.t:
		a, b := l.enum, r.enum
		f = func(v *View, i int32) bool { return a(v, i) == b(v, i) }
	default:
		return val{}, c.errAt(loc, "cannot compare %s with %s", l.t.describe(c.s), r.t.describe(c.s))
	}
	if neg {
		g := f
		f = func(v *View, i int32) bool { return !g(v, i) }
	}
	return fold(val{t: tBool, loc: loc, bool: f, boolB: fb, testCol: testCol, test: test}, l.isConst && r.isConst), nil
}

func (c *compiler) in(l, r val, neg bool, loc file.Location) (val, error) {
	if !c.isEnum(l.t) || r.t != tList {
		return val{}, c.errAt(loc, "in needs a tier, group, region or age on the left and a list of names on the right")
	}
	var set uint64
	for _, s := range r.list {
		k, err := c.resolve(l.t, s, r.loc)
		if err != nil {
			return val{}, err
		}
		if k >= 64 {
			return val{}, c.errAt(loc, "too many names")
		}
		set |= 1 << k
	}
	a := l.enum
	tab := enumTable(func(x uint8) bool { return (set>>x)&1 == 1 != neg })
	x := val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return (set>>a(v, i))&1 == 1 != neg },
		boolB: enumIs(&l, tab)}
	if l.col != nil {
		x.testCol, x.test = l.col, tab
	}
	return x, nil
}

// Suggest returns " (did you mean X?)" when a candidate is close to name,
// or "" when none is.
func Suggest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := distance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(name) > 8 {
		limit = 3
	}
	if best == "" || bestD > limit || bestD >= len(name) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the optimal-string-alignment distance: edits, with a swap of
// two neighbouring letters counted as one (so "mxa" is next to "max").
func distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
