package rule

// Operators: unary, conditional, binary, equality and membership, each
// type-checked and folded when its operands are constant.

import (
	"math"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

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
			return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return a(v, i) && b(v, i) }, boolB: logic(&l, &r, true),
				skip: skipAnd(l.skip, r.skip)}, allConst), nil
		}
		return fold(val{t: tBool, loc: loc, bool: func(v *View, i int32) bool { return a(v, i) || b(v, i) }, boolB: logic(&l, &r, false),
			skip: skipOr(l.skip, r.skip)}, allConst), nil
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
