package rule

// Tables: piecewise-linear functions of one number, one curve per category
// (group, region, age band or tier) or a single curve, called from
// expressions as name(x) or name(category, x); and draws from a cumulative
// table by inverse-CDF sampling, draw(name, category) and
// draw_level(name, category).

import (
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// Table is a function given by points: Y[c] holds the curve of category
// c (index into the schema's names for By) at the points X, which are
// strictly increasing. Between points the value is interpolated linearly;
// outside them it holds the end values (clamp) or continues the end
// segments (Extrapolate). A table with one curve has By "" and len(Y) 1.
type Table struct {
	Name string
	// By is the category the curves are per: "group", "region", "age",
	// "tier", or "" for a single curve.
	By string
	X  []float64
	Y  [][]float64 // [category][point]; nil for a category the table lacks
	// Extrapolate continues the first and last segments beyond the range
	// instead of holding the end values.
	Extrapolate bool
	// Total is what a cumulative curve ends at when the table is used as
	// a distribution (100 for percentages, 1 for fractions); the loader
	// sets it after checking every curve, 0 when the table cannot be drawn
	// from. DistErr says why not.
	Total   float64
	DistErr string
	// grid finds a point fast (see Prepare): grid[b] is the last k with
	// X[k] <= the start of bucket b of equal buckets over [X[0], X[n-1]].
	grid    []int32
	gridInv float64 // buckets per unit of x
}

// Prepare builds the index that lets At find a segment in about one step
// for points spread evenly, instead of a bisection whose branches a
// random x mispredicts. Call it once, after X is set and before the table
// is shared; without it At bisects.
func (t *Table) Prepare() {
	n := len(t.X)
	if n < 3 {
		return
	}
	buckets := 4 * n
	t.gridInv = float64(buckets) / (t.X[n-1] - t.X[0])
	t.grid = make([]int32, buckets+1)
	k := 0
	for b := range t.grid {
		start := t.X[0] + float64(b)/t.gridInv
		for k+1 < n && t.X[k+1] <= start {
			k++
		}
		t.grid[b] = int32(min(k, n-2))
	}
}

// At returns curve c at x.
func (t *Table) At(c int, x float64) float64 {
	xs, ys := t.X, t.Y[c]
	n := len(xs)
	var k int
	switch {
	case x != x:
		return x
	case n == 1:
		return ys[0]
	case x <= xs[0]:
		if !t.Extrapolate {
			return ys[0]
		}
		k = 0
	case x >= xs[n-1]:
		if !t.Extrapolate {
			return ys[n-1]
		}
		k = n - 2
	case t.grid != nil:
		// the bucket's first candidate, then forward to the last k with
		// xs[k] <= x (the bucket start may round either way: step back
		// when it rounded up)
		k = int(t.grid[min(int((x-xs[0])*t.gridInv), len(t.grid)-1)])
		for k > 0 && xs[k] > x {
			k--
		}
		for xs[k+1] <= x {
			k++
		}
	default:
		// the last k with xs[k] <= x, by bisection: no allocation, about
		// log2(n) comparisons
		lo, hi := 0, n-1
		for hi-lo > 1 {
			m := int(uint(lo+hi) >> 1)
			if xs[m] <= x {
				lo = m
			} else {
				hi = m
			}
		}
		k = lo
	}
	w := (x - xs[k]) / (xs[k+1] - xs[k])
	return ys[k] + float64(w*(ys[k+1]-ys[k]))
}

// of is At for a category read from a column: a partner's category for
// an agent without a partner (noCategory) reads 0, as partner.score does.
func (t *Table) of(c uint8, x float64) float64 {
	if c == noCategory {
		return 0
	}
	return t.At(int(c), x)
}

// Inverse returns the x at which cumulative curve c reaches the share u
// (in [0, 1)) of Total, the curve read as a piecewise-linear CDF: a draw
// with u uniform has P(x <= X[k]) = Y[c][k] / Total at every point.
// Mass below the first point sits at X[0]. With levels set it returns
// the first X[k] whose Y[c][k] reaches u x Total instead: the table's x
// values are then the only outcomes, level k with probability
// (Y[c][k] - Y[c][k-1]) / Total.
func (t *Table) Inverse(c int, u float64, levels bool) float64 {
	xs, ys := t.X, t.Y[c]
	target := float64(u * t.Total)
	n := len(xs)
	if target <= ys[0] {
		return xs[0]
	}
	// the first k with ys[k] >= target (ys is non-decreasing)
	lo, hi := 0, n-1
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if ys[m] >= target {
			hi = m
		} else {
			lo = m
		}
	}
	k := hi
	if levels {
		return xs[k]
	}
	w := (target - ys[k-1]) / (ys[k] - ys[k-1])
	return xs[k-1] + float64(w*(xs[k]-xs[k-1]))
}

func (s *Schema) table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func (s *Schema) tableNames() []string {
	out := make([]string, len(s.Tables))
	for k, t := range s.Tables {
		out[k] = t.Name
	}
	return out
}

// byType is the category type a table's curves are indexed by.
func byType(by string) typ {
	switch by {
	case "group":
		return tGroup
	case "region":
		return tRegion
	case "age":
		return tAge
	case "tier":
		return tTier
	}
	return tNum
}

// category compiles the category argument of a per-category table, an
// aggregate or a draw: the agent's own (or partner's) column, or a name in
// quotes, which must be one the table has.
func (c *compiler) category(n ast.Node, want typ, what string, has func(k int) bool) (val, int, error) {
	x, err := c.node(n)
	if err != nil {
		return val{}, 0, err
	}
	names := want.names(c.s)
	if x.t == tStr {
		k, err := c.resolve(want, x.str, x.loc)
		if err != nil {
			return val{}, 0, err
		}
		if !has(int(k)) {
			return val{}, 0, c.errAt(x.loc, "%s has no column for %s %q", what, want.category(), x.str)
		}
		return x, int(k), nil
	}
	if x.t != want {
		return val{}, 0, c.errAt(x.loc, "%s is per %s: its first argument must be %s (e.g. %s), got %s",
			what, want.category(), want.describe(c.s), map[typ]string{tGroup: "group", tRegion: "region", tAge: "age", tTier: "tier"}[want], x.t.describe(c.s))
	}
	var missing []string
	for k, nm := range names {
		if !has(k) {
			missing = append(missing, nm)
		}
	}
	if len(missing) > 0 {
		return val{}, 0, c.errAt(x.loc, "%s has no column for %s %s; give one for every %s or call it with a name in quotes",
			what, want.category(), strings.Join(missing, ", "), want.category())
	}
	return x, -1, nil
}

// tableCall compiles name(x) or name(category, x).
func (c *compiler) tableCall(t *Table, args []ast.Node, loc file.Location) (val, error) {
	by := byType(t.By)
	want := 1
	if t.By != "" {
		want = 2
	}
	if len(args) != want {
		if want == 1 {
			return val{}, c.errAt(loc, "table %s takes one number: %s(x)", t.Name, t.Name)
		}
		return val{}, c.errAt(loc, "table %s is per %s and takes two arguments: %s(%s, x)", t.Name, by.category(), t.Name, t.By)
	}
	cat, fixed := val{}, 0
	if want == 2 {
		var err error
		cat, fixed, err = c.category(args[0], by, "table "+t.Name, func(k int) bool { return k < len(t.Y) && t.Y[k] != nil })
		if err != nil {
			return val{}, err
		}
	}
	x, err := c.node(args[want-1])
	if err != nil {
		return val{}, err
	}
	if x.t != tNum {
		return val{}, c.errAt(x.loc, "table %s takes a number, got %s", t.Name, x.t.describe(c.s))
	}
	xf, xb := x.num, x.numBatch()
	var out val
	if want == 1 || fixed >= 0 {
		k := max(fixed, 0)
		out = val{t: tNum, num: func(v *View, i int32) float64 { return t.At(k, xf(v, i)) },
			numB: func(v *View, idx []int32, o []float64, a *Arena) {
				xb(v, idx, o, a)
				for j, xv := range o[:len(idx)] {
					o[j] = t.At(k, xv)
				}
			}}
		out.loc = loc
		return fold(out, x.isConst && (want == 1 || cat.isConst)), nil
	}
	cf, cb := cat.enum, cat.enumBatch()
	out = val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return t.of(cf(v, i), xf(v, i)) },
		numB: func(v *View, idx []int32, o []float64, a *Arena) {
			xb(v, idx, o, a)
			m := a.mark()
			cs := a.enums(len(idx))
			cb(v, idx, cs, a)
			for j, xv := range o[:len(idx)] {
				o[j] = t.of(cs[j], xv)
			}
			a.release(m)
		}}
	return out, nil
}

// drawCall compiles draw(name[, category]) and draw_level(name[, category]):
// a value drawn from a cumulative table with the agent's own uniform number
// for this call site and day (see View.Rand).
func (c *compiler) drawCall(fn string, args []ast.Node, loc file.Location) (val, error) {
	if len(args) < 1 || len(args) > 2 {
		return val{}, c.errAt(loc, "%s takes a table and, for a table per category, the category: %s(table, group)", fn, fn)
	}
	id, ok := args[0].(*ast.IdentifierNode)
	if !ok {
		return val{}, c.errAt(args[0].Location(), "%s: the first argument names a table", fn)
	}
	t := c.s.table(id.Value)
	if t == nil {
		return val{}, c.errAt(args[0].Location(), "unknown table %q%s", id.Value, Suggest(id.Value, c.s.tableNames()))
	}
	if t.Total == 0 {
		return val{}, c.errAt(args[0].Location(), "table %s cannot be drawn from: %s", t.Name, t.DistErr)
	}
	want := 1
	if t.By != "" {
		want = 2
	}
	if len(args) != want {
		if want == 1 {
			return val{}, c.errAt(loc, "table %s has one curve: %s(%s)", t.Name, fn, t.Name)
		}
		return val{}, c.errAt(loc, "table %s is per %s: %s(%s, %s)", t.Name, t.By, fn, t.Name, t.By)
	}
	site := uint64(c.s.draws)
	c.s.draws++
	levels := fn == "draw_level"
	u := func(v *View, i int32) float64 {
		return rng.Float(rng.Sub(rng.Sub(v.Rand, uint64(v.Day)), site), uint64(i))
	}
	if want == 1 {
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return t.Inverse(0, u(v, i), levels) }}, nil
	}
	cat, fixed, err := c.category(args[1], byType(t.By), "table "+t.Name, func(k int) bool { return k < len(t.Y) && t.Y[k] != nil })
	if err != nil {
		return val{}, err
	}
	if fixed >= 0 {
		return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return t.Inverse(fixed, u(v, i), levels) }}, nil
	}
	cf := cat.enum
	return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 {
		c := cf(v, i)
		if c == noCategory {
			return 0
		}
		return t.Inverse(int(c), u(v, i), levels)
	}}, nil
}

// finite reports whether x is a finite number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
