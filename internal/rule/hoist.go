package rule

// Loop-invariant hoisting. Two kinds of sub-expression give the same value
// again and again during a run:
//
//   - static ones read only constants and the per-agent columns nothing
//     changes during a run: group, region, age, children and the traits
//     (the population's own columns; the engine never writes them, see
//     staticIdent). Each maximal static sub-expression with at least one
//     operation is compiled as before, evaluated once per agent at setup
//     into a column (Hoisted.Fill), and the expression reads the column
//     instead: the same closure computes the same bits, only earlier.
//     Identical sub-expressions (by canonical form, see inv.key) share one
//     column.
//   - uniform ones read only constants, day and overall population
//     aggregates (pop.* without a category): the same for every agent on a
//     day. Their batch kernel evaluates the closure once per call and
//     copies the value, and a condition that is uniformly false today (or
//     an `and` with such a side) reports it through Bool.Skip, so the
//     engine can skip the rule's agent loop.
//
// Hoisting is on when the schema has a Hoisted registry (Schema.Hoist);
// without one expressions compile exactly as they did before.

import (
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Hoisted collects the static sub-expressions of one program, in the order
// they were first met. Compile every expression of a program with one
// Hoisted (through its Schema), then build its columns once per population
// (NewColumns, Fill) and point View.StaticNum and View.StaticBool at them.
type Hoisted struct {
	List  []*Static
	NNum  int // float64 columns (View.StaticNum)
	NBool int // bool columns (View.StaticBool)
	keys  map[string]int
}

// Static is one hoisted sub-expression: its value for agent i is
// View.StaticNum[Slot][i] (or View.StaticBool[Slot][i] when IsBool).
type Static struct {
	Key    string // canonical form
	IsBool bool
	Slot   int
	Num    NumFn  // the sub-expression compiled in place, for Fill
	Cond   BoolFn // (IsBool)
}

// Columns are the values of a program's hoisted sub-expressions for every
// agent, one column each. They depend on the program and the population
// only: engines of the same program and population can share them.
type Columns struct {
	Num  [][]float64
	Bool [][]bool
}

// NewColumns allocates the columns for n agents.
func (h *Hoisted) NewColumns(n int) Columns {
	var c Columns
	if h == nil {
		return c
	}
	for range h.NNum {
		c.Num = append(c.Num, make([]float64, n))
	}
	for range h.NBool {
		c.Bool = append(c.Bool, make([]bool, n))
	}
	return c
}

// Fill evaluates every hoisted sub-expression for agents [lo, hi) into
// cols, with the closures compiled in place. v needs the population's
// columns only (static sub-expressions read nothing else). Chunks may be
// filled concurrently.
func (h *Hoisted) Fill(cols Columns, v *View, lo, hi int) {
	if h == nil {
		return
	}
	for _, s := range h.List {
		if s.IsBool {
			col := cols.Bool[s.Slot]
			for i := lo; i < hi; i++ {
				col[i] = s.Cond(v, int32(i))
			}
			continue
		}
		col := cols.Num[s.Slot]
		for i := lo; i < hi; i++ {
			col[i] = s.Num(v, int32(i))
		}
	}
}

// BytesPerAgent is what the columns cost per agent.
func (h *Hoisted) BytesPerAgent() int {
	if h == nil {
		return 0
	}
	return 8*h.NNum + h.NBool
}

// inv says how a sub-expression varies: static (constants and columns no
// one changes), uniform (constants, day, overall aggregates), its number
// of operations, and for a static one its canonical form, fully
// parenthesised with names resolved, so that equal forms compile to the
// same closure.
type inv struct {
	static, uniform bool
	ops             int
	key             string
}

var varies = inv{}

// staticIdent reports whether the identifier name reads a per-agent column
// that nothing changes during a run, resolved as ident resolves it: the
// population's group, region, age band, school-age children and traits.
// Everything else changes: score, tier, flags, sanctions and detention
// every day; the partner (has_partner, partner.*) when partnerships form
// and break; the extra scores. population.Generate is the only writer of
// the static columns; the engine and every twin read them.
func (c *compiler) staticIdent(name string) bool {
	switch name {
	case "group", "region", "age", "children":
		return true
	case "score", "tier", "detained", "has_partner", "flags", "sanctions", "partner", "acq", "day":
		return false
	}
	for _, sn := range c.s.Scores {
		if sn == name {
			return false
		}
	}
	for _, tn := range c.s.Traits {
		if tn == name {
			return true
		}
	}
	return false
}

// canonOp gives each operator one spelling.
var canonOp = map[string]string{"and": "&&", "or": "||", "not": "!", "^": "**"}

func canon(op string) string {
	if x, ok := canonOp[op]; ok {
		return x
	}
	return op
}

// classify says how n varies (see inv). It never says static or uniform
// for a node it does not know to be so.
func (c *compiler) classify(n ast.Node) inv {
	if x, ok := c.memo[n]; ok {
		return x
	}
	x := c.classifyNode(n)
	if !x.static {
		x.key = ""
	}
	if c.memo == nil {
		c.memo = map[ast.Node]inv{}
	}
	c.memo[n] = x
	return x
}

func constInv(key string) inv { return inv{static: true, uniform: true, key: key} }

// combine is an operation over args, each of which must be static (or
// uniform) for the whole to be.
func (c *compiler) combine(head string, args ...ast.Node) inv {
	out := inv{static: true, uniform: true, ops: 1}
	keys := make([]string, len(args))
	for k, a := range args {
		x := c.classify(a)
		out.static = out.static && x.static
		out.uniform = out.uniform && x.uniform
		out.ops += x.ops
		keys[k] = x.key
	}
	if out.static {
		out.key = "(" + head + " " + strings.Join(keys, " ") + ")"
	}
	return out
}

func (c *compiler) classifyNode(n ast.Node) inv {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return constInv(strconv.FormatFloat(float64(n.Value), 'g', -1, 64))
	case *ast.FloatNode:
		return constInv(strconv.FormatFloat(n.Value, 'g', -1, 64))
	case *ast.BoolNode:
		return constInv(strconv.FormatBool(n.Value))
	case *ast.StringNode:
		return constInv(strconv.Quote(n.Value))
	case *ast.ArrayNode:
		keys := make([]string, len(n.Nodes))
		for k, it := range n.Nodes {
			s, ok := it.(*ast.StringNode)
			if !ok {
				return varies
			}
			keys[k] = strconv.Quote(s.Value)
		}
		return constInv("[" + strings.Join(keys, " ") + "]")
	case *ast.IdentifierNode:
		if n.Value == "day" && !c.inAcq {
			return inv{uniform: true}
		}
		if c.staticIdent(n.Value) {
			return inv{static: true, key: "$" + n.Value}
		}
	case *ast.ChainNode:
		return c.classify(n.Node)
	case *ast.UnaryNode:
		switch n.Operator {
		case "+":
			return c.classify(n.Node)
		case "-", "!", "not":
			return c.combine(canon(n.Operator), n.Node)
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&", "or", "||", "+", "-", "*", "/", "%", "**", "^", "<", "<=", ">", ">=", "==", "!=", "in", "not in":
			return c.combine(canon(n.Operator), n.Left, n.Right)
		}
	case *ast.ConditionalNode:
		return c.combine("?:", n.Cond, n.Exp1, n.Exp2)
	case *ast.BuiltinNode:
		return c.classifyCall(n.Name, n.Arguments)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return c.classifyCall(id.Value, n.Arguments)
		}
		m, ok := n.Callee.(*ast.MemberNode)
		if !ok {
			return varies
		}
		base, _ := m.Node.(*ast.IdentifierNode)
		prop, _ := m.Property.(*ast.StringNode)
		if base == nil || prop == nil || base.Value != "pop" || c.inAcq || c.inPartner || c.inPop {
			return varies // acq.* reads the acquaintances' state
		}
		// An overall aggregate is one number of the day; one per category
		// differs by agent and by day.
		overall := map[string]int{"share": 1, "mean": 1, "quantile": 2}[prop.Value]
		if overall > 0 && len(n.Arguments) == overall {
			return inv{uniform: true}
		}
	}
	return varies
}

// classifyCall is name(args): tables and the numeric functions are pure
// (they vary as their arguments do); draws differ by agent and day.
func (c *compiler) classifyCall(name string, args []ast.Node) inv {
	if c.s.table(name) != nil {
		return c.combine("table:"+name, args...)
	}
	switch name {
	case "min", "max", "abs", "clamp", "floor", "ceil", "round":
		return c.combine(name, args...)
	}
	return varies
}

// hoisting says whether node should try to hoist n: hoisting is on and
// the compiler is not inside a sub-expression it hoists already.
func (c *compiler) hoisting() bool { return c.s.Hoist != nil && c.inPlace == 0 }

// invariant compiles n, hoisting it when it is static or uniform with at
// least one operation; ok false when it is neither and node compiles it
// as usual.
func (c *compiler) invariant(n ast.Node) (val, bool, error) {
	k := c.classify(n)
	if k.ops == 0 || (!k.static && !k.uniform) {
		return val{}, false, nil
	}
	c.inPlace++
	x, err := c.compileNode(n)
	c.inPlace--
	if err != nil || x.isConst || (x.t != tNum && x.t != tBool) {
		return x, true, err
	}
	if k.uniform { // (a constant the folding left: no column needed)
		return uniformVal(x), true, nil
	}
	return c.s.Hoist.column(k.key, x), true, nil
}

// column registers x under key (once) and returns the read of its column.
func (h *Hoisted) column(key string, x val) val {
	if h.keys == nil {
		h.keys = map[string]int{}
	}
	idx, ok := h.keys[key]
	if !ok {
		s := &Static{Key: key, IsBool: x.t == tBool, Num: x.num, Cond: x.bool}
		if s.IsBool {
			s.Slot, h.NBool = h.NBool, h.NBool+1
		} else {
			s.Slot, h.NNum = h.NNum, h.NNum+1
		}
		idx = len(h.List)
		h.keys[key] = idx
		h.List = append(h.List, s)
	}
	slot := h.List[idx].Slot
	out := val{t: x.t, loc: x.loc}
	if x.t == tBool {
		out.bool = func(v *View, i int32) bool { return v.StaticBool[slot][i] }
		out.boolB = func(v *View, idx []int32, o []bool, _ *Arena) {
			col := v.StaticBool[slot]
			for k, i := range idx {
				o[k] = col[i]
			}
		}
		return out
	}
	out.num = func(v *View, i int32) float64 { return v.StaticNum[slot][i] }
	out.numB = func(v *View, idx []int32, o []float64, _ *Arena) {
		col := v.StaticNum[slot]
		for k, i := range idx {
			o[k] = col[i]
		}
	}
	return out
}

// uniformVal gives a uniform sub-expression kernels that evaluate it once
// per call (it reads no agent's row: agent 0 stands for all), and a
// condition its Skip.
func uniformVal(x val) val {
	if x.t == tBool {
		f := x.bool
		x.boolB = func(v *View, idx []int32, o []bool, _ *Arena) {
			b := f(v, 0)
			for k := range idx {
				o[k] = b
			}
		}
		x.skip = func(v *View) bool { return !f(v, 0) }
		return x
	}
	f := x.num
	x.numB = func(v *View, idx []int32, o []float64, _ *Arena) {
		y := f(v, 0)
		for k := range idx {
			o[k] = y
		}
	}
	return x
}

// skipAnd and skipOr combine the Skips of the two sides of `and` and `or`
// (nil: not known to be false today).
func skipAnd(l, r func(*View) bool) func(*View) bool {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	}
	return func(v *View) bool { return l(v) || r(v) }
}

func skipOr(l, r func(*View) bool) func(*View) bool {
	if l == nil || r == nil {
		return nil
	}
	return func(v *View) bool { return l(v) && r(v) }
}
