package rule

import (
	"math"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Bounds are what a scenario fixes about the numbers expressions read:
// the score range (every score, the agent's, a partner's or an
// acquaintance's, lies in it at the end of a day and so at the start of
// the next) and the last day of the run.
type Bounds struct {
	ScoreMin, ScoreMax float64
	LastDay            float64
}

// NeverTrue reports whether the condition src is false for every agent on
// every day, as far as folding constants and the bounds of score and day
// through comparisons, arithmetic and logic can tell: `score > 2000` with a
// range of [0, 1000], `day < 0`, `false && x`, `!true`. It answers false
// whenever it cannot decide (a trait, a tier, a function call, a
// comparison of two things that each vary), so a true answer is a proof.
// src is assumed to compile (CompileBool).
func NeverTrue(src string, b Bounds) bool {
	tree, err := parser.Parse(src)
	if err != nil {
		return false
	}
	f := folder{b: b}
	t, _ := f.cond(tree.Node)
	return !t
}

type folder struct{ b Bounds }

// span is the interval a number lies in; unknown spans are infinite.
type span struct{ lo, hi float64 }

var anyNumber = span{math.Inf(-1), math.Inf(1)}

// cond returns whether the condition can be true and whether it can be
// false.
func (f folder) cond(n ast.Node) (canTrue, canFalse bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		return n.Value, !n.Value
	case *ast.UnaryNode:
		if n.Operator == "not" || n.Operator == "!" {
			t, fa := f.cond(n.Node)
			return fa, t
		}
	case *ast.ConditionalNode:
		ct, cf := f.cond(n.Cond)
		at, af := f.cond(n.Exp1)
		bt, bf := f.cond(n.Exp2)
		return ct && at || cf && bt, ct && af || cf && bf
	case *ast.BinaryNode:
		switch n.Operator {
		case "and", "&&":
			lt, lf := f.cond(n.Left)
			rt, rf := f.cond(n.Right)
			return lt && rt, lf || rf
		case "or", "||":
			lt, lf := f.cond(n.Left)
			rt, rf := f.cond(n.Right)
			return lt || rt, lf && rf
		case "<", "<=", ">", ">=", "==", "!=":
			return compareSpans(n.Operator, f.num(n.Left), f.num(n.Right))
		}
	}
	return true, true
}

// compareSpans says whether l op r can hold and whether it can fail, for
// any l and r in their spans.
func compareSpans(op string, l, r span) (canTrue, canFalse bool) {
	switch op {
	case "<":
		return l.lo < r.hi, l.hi >= r.lo
	case "<=":
		return l.lo <= r.hi, l.hi > r.lo
	case ">":
		return compareSpans("<", r, l)
	case ">=":
		return compareSpans("<=", r, l)
	case "==":
		point := l.lo == l.hi && r.lo == r.hi
		return l.lo <= r.hi && r.lo <= l.hi, !(point && l.lo == r.lo)
	case "!=":
		t, fa := compareSpans("==", l, r)
		return fa, t
	}
	return true, true
}

// num returns the span of a numeric expression.
func (f folder) num(n ast.Node) span {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return span{float64(n.Value), float64(n.Value)}
	case *ast.FloatNode:
		return span{n.Value, n.Value}
	case *ast.IdentifierNode:
		switch n.Value {
		case "score":
			return span{f.b.ScoreMin, f.b.ScoreMax}
		case "day":
			return span{0, f.b.LastDay}
		case "children":
			return span{0, 255}
		}
	case *ast.UnaryNode:
		switch n.Operator {
		case "-":
			x := f.num(n.Node)
			return span{-x.hi, -x.lo}
		case "+":
			return f.num(n.Node)
		}
	case *ast.BinaryNode:
		l, r := f.num(n.Left), f.num(n.Right)
		switch n.Operator {
		case "+":
			return sane(span{l.lo + r.lo, l.hi + r.hi})
		case "-":
			return sane(span{l.lo - r.hi, l.hi - r.lo})
		case "*":
			ps := [4]float64{l.lo * r.lo, l.lo * r.hi, l.hi * r.lo, l.hi * r.hi}
			out := span{ps[0], ps[0]}
			for _, p := range ps[1:] {
				out.lo, out.hi = min(out.lo, p), max(out.hi, p)
			}
			return sane(out)
		}
	}
	return anyNumber
}

// sane widens a span that infinities made NaN to every number.
func sane(s span) span {
	if math.IsNaN(s.lo) || math.IsNaN(s.hi) {
		return anyNumber
	}
	return s
}
