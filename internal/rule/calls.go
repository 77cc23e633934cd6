package rule

// Function calls: acq.f(...) over the acquaintances and the built-in
// numeric functions (min, max, abs, clamp, floor, ceil, round).

import (
	"math"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

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
	if base != nil && prop != nil && base.Value == "pop" {
		return c.pop(prop.Value, n.Arguments, loc)
	}
	if base == nil || prop == nil || base.Value != "acq" {
		return val{}, c.errAt(loc, "unknown function; rules can call min, max, abs, clamp, tables, acq.share/count/mean/min/max and pop.share/mean/quantile")
	}
	if c.inAcq {
		return val{}, c.errAt(loc, "acq.* cannot be nested")
	}
	if c.s.NoState {
		return val{}, c.errAt(loc, "acq is not known before day 0; a starting score can read group, region, age, traits, children and has_partner")
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
	if t := c.s.table(name); t != nil {
		return c.tableCall(t, args, loc)
	}
	if name == "draw" || name == "draw_level" {
		return c.drawCall(name, args, loc)
	}
	if !slices.Contains(functions, name) {
		known := append(append([]string{}, functions...), c.s.tableNames()...)
		return val{}, c.errAt(loc, "unknown function %q%s; rules can call min, max, abs, clamp, floor, ceil, round, draw, draw_level%s", name,
			Suggest(name, known), tableList(c.s))
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

// tableList names the scenario's tables for an error message.
func tableList(s *Schema) string {
	if len(s.Tables) == 0 {
		return ""
	}
	return " and the tables " + strings.Join(s.tableNames(), ", ")
}
