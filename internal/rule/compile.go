package rule

import (
	"errors"
	"fmt"
	"math"
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
	// Pop has bit k set when the expression reads aggregate k of its
	// schema's Aggregates (pop.*).
	Pop uint64
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
	FieldScores // any extra score (View.Scores)
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
	// Skip, when not nil, reports that the condition is false for every
	// agent on the view's day (it has a side that reads only the day,
	// constants and overall aggregates, and that side is false): the
	// engine then skips the agents. Nil: not known.
	Skip func(v *View) bool
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
	out := Bool{Fn: v.bool, Batch: v.boolBatch(), Const: v.isConst, Refs: c.refs, Skip: v.skip}
	if v.isConst {
		out.Value = v.bool(nil, 0)
	}
	return out, nil
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
	// inPop is set while compiling the argument of pop.f(...).
	inPop bool
	// inPlace counts the sub-expressions being compiled for hoisting
	// (hoist.go): their own parts are not hoisted again.
	inPlace int
	// memo keeps classify's answers, so classifying every node of a deep
	// expression stays linear.
	memo map[ast.Node]inv
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

// node compiles n: a static or uniform sub-expression is hoisted (see
// hoist.go), everything else is compiled in place.
func (c *compiler) node(n ast.Node) (val, error) {
	if c.hoisting() {
		if x, ok, err := c.invariant(n); ok || err != nil {
			return x, err
		}
	}
	return c.compileNode(n)
}

func (c *compiler) compileNode(n ast.Node) (val, error) {
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
