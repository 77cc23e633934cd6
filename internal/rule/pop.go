package rule

// Population aggregates: pop.share(cond[, by]), pop.mean(x[, by]) and
// pop.quantile(x, q[, by]) read figures of the start-of-day population.
// The compiler registers each distinct aggregate in the schema's
// Aggregates; the engine computes the registered ones once per day into
// View.Pop, and the compiled expression reads its slot there: a constant
// of the day for every agent, one array read per evaluation.

import (
	"math"
	"slices"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// AggKind is what an aggregate computes.
type AggKind uint8

const (
	AggShare    AggKind = iota // share of agents meeting a condition
	AggMean                    // mean of a number
	AggQuantile                // quantile of a number (see Quantile)
)

// MaxAggregates bounds the distinct aggregates of one scenario (Refs.Pop
// is one bit per aggregate).
const MaxAggregates = 64

// Aggregate is one population figure an expression reads, overall (By "")
// or per category of By ("group", "region", "age", "tier"): then one value
// per category, and each agent reads its own category's.
type Aggregate struct {
	Kind AggKind
	Q    float64 // the quantile's level, for AggQuantile
	By   string
	Cond Bool // the condition, for AggShare
	Num  Num  // the number, for AggMean and AggQuantile
	Slot int  // the first of its values in View.Pop
	Len  int  // the number of its values: 1, or the categories of By
	Src  string
}

// Aggregates are the population aggregates of one program, in the order
// they were first used. Compile every expression of a program with one
// Aggregates (through its Schema), then size View.Pop to Size.
type Aggregates struct {
	List []*Aggregate
	Size int
	keys map[string]int
}

var popFuncs = []string{"share", "mean", "quantile"}

// pop compiles a call of pop.share, pop.mean or pop.quantile: the call's
// checks, its measured argument, its category, the aggregate's
// registration, then the read of its slot.
func (c *compiler) pop(fn string, args []ast.Node, loc file.Location) (val, error) {
	base, err := c.popCheckCall(fn, args, loc)
	if err != nil {
		return val{}, err
	}
	a, err := c.popMeasure(fn, args)
	if err != nil {
		return val{}, err
	}
	cat, err := c.popCategory(fn, args, base, a)
	if err != nil {
		return val{}, err
	}
	a, idx, err := c.popRegister(fn, args[0], a, loc)
	if err != nil {
		return val{}, err
	}
	c.refs.Pop |= 1 << uint(idx)
	return popRead(a, cat, loc), nil
}

// popCheckCall checks where pop.fn is called, its name and its number of
// arguments, and returns the number before the optional category.
func (c *compiler) popCheckCall(fn string, args []ast.Node, loc file.Location) (int, error) {
	if c.s.Pop == nil {
		return 0, c.errAt(loc, "pop.%s is not available here (the population has no state before day 0)", fn)
	}
	if c.inAcq || c.inPartner || c.inPop {
		return 0, c.errAt(loc, "pop.* cannot be nested in acq.*, partner.* or pop.*")
	}
	if !slices.Contains(popFuncs, fn) {
		return 0, c.errAt(loc, "unknown function pop.%s%s; use pop.share(cond), pop.mean(x) or pop.quantile(x, q), each with an optional category last", fn, Suggest(fn, popFuncs))
	}
	base := 1
	if fn == "quantile" {
		base = 2
	}
	if len(args) != base && len(args) != base+1 {
		return 0, c.errAt(loc, "pop.%s takes %s", fn, map[string]string{
			"share": "a condition and optionally a category: pop.share(score < 600) or pop.share(score < 600, region)",
			"mean":  "a number and optionally a category: pop.mean(score) or pop.mean(score, group)",
			"quantile": "a number, a level in [0, 1] and optionally a category: pop.quantile(score, 0.8) or " +
				"pop.quantile(score, 0.8, group)"}[fn])
	}
	return base, nil
}

// popMeasure compiles what pop.fn measures (the condition or the number,
// with its own refs, and the quantile's level) into a new Aggregate.
func (c *compiler) popMeasure(fn string, args []ast.Node) (*Aggregate, error) {
	a := &Aggregate{Len: 1}
	outer := c.refs
	c.refs = Refs{}
	c.inPop = true
	arg, err := c.node(args[0])
	c.inPop = false
	inner := c.refs
	c.refs = outer
	if err != nil {
		return nil, err
	}
	switch fn {
	case "share":
		if arg.t != tBool {
			return nil, c.errAt(arg.loc, "pop.share needs a condition about an agent, e.g. score < 600, got %s", arg.t.describe(c.s))
		}
		a.Kind = AggShare
		a.Cond = Bool{Fn: arg.bool, Batch: arg.boolBatch(), Refs: inner}
	default:
		if arg.t != tNum {
			return nil, c.errAt(arg.loc, "pop.%s needs a number about an agent, e.g. score, got %s", fn, arg.t.describe(c.s))
		}
		a.Kind = AggMean
		a.Num = Num{Fn: arg.num, Batch: arg.numBatch(), Refs: inner}
	}
	if fn == "quantile" {
		a.Kind = AggQuantile
		if a.Q, err = c.popLevel(args[1]); err != nil {
			return nil, err
		}
	}
	c.refs.merge(inner)
	return a, nil
}

// popLevel compiles pop.quantile's level: a constant number in [0, 1].
func (c *compiler) popLevel(arg ast.Node) (float64, error) {
	q, err := c.node(arg)
	if err != nil {
		return 0, err
	}
	if q.t != tNum || !q.isConst {
		return 0, c.errAt(q.loc, "pop.quantile's level must be a constant number in [0, 1]")
	}
	level := q.num(nil, 0)
	if !(level >= 0 && level <= 1) {
		return 0, c.errAt(q.loc, "pop.quantile's level must be in [0, 1], got %g", level)
	}
	return level, nil
}

// popCategory compiles pop.fn's optional last argument, the category to
// compute it per, and sets a's By and Len (the zero val when there is none).
func (c *compiler) popCategory(fn string, args []ast.Node, base int, a *Aggregate) (val, error) {
	var cat val
	if len(args) == base+1 {
		var err error
		cat, err = c.node(args[base])
		if err != nil {
			return val{}, err
		}
		if !c.isEnum(cat.t) || cat.col == nil {
			return val{}, c.errAt(cat.loc, "pop.%s's last argument is the category to compute it per: group, region, age or tier, got %s", fn, cat.t.describe(c.s))
		}
		a.By = map[typ]string{tGroup: "group", tRegion: "region", tAge: "age", tTier: "tier"}[cat.t]
		a.Len = max(len(cat.t.names(c.s)), 1)
		if cat.t == tTier {
			c.reads(FieldTier)
		}
	}
	return cat, nil
}

// popKey is the aggregate's identity in the registry, e.g.
// quantile(score, 0.8, group): its function, source, level and category.
func popKey(fn string, measured ast.Node, a *Aggregate) string {
	key := fn + "(" + measured.String()
	if fn == "quantile" {
		key += ", " + formatQ(a.Q)
	}
	if a.By != "" {
		key += ", " + a.By
	}
	key += ")"
	return key
}

// popRegister returns the registered aggregate equal to a and its index,
// registering a (and its slots in View.Pop) when it is new.
func (c *compiler) popRegister(fn string, measured ast.Node, a *Aggregate, loc file.Location) (*Aggregate, int, error) {
	key := popKey(fn, measured, a)
	a.Src = "pop." + key
	reg := c.s.Pop
	idx, ok := reg.keys[key]
	if !ok {
		if len(reg.List) == MaxAggregates {
			return nil, 0, c.errAt(loc, "at most %d distinct pop.* aggregates in a scenario", MaxAggregates)
		}
		if reg.keys == nil {
			reg.keys = map[string]int{}
		}
		a.Slot = reg.Size
		reg.Size += a.Len
		idx = len(reg.List)
		reg.keys[key] = idx
		reg.List = append(reg.List, a)
	}
	return reg.List[idx], idx, nil
}

// popRead is the compiled read of a's value in View.Pop: its one slot, or
// the slot of the agent's category cat.
func popRead(a *Aggregate, cat val, loc file.Location) val {
	slot := a.Slot
	if a.By == "" {
		return val{t: tNum, loc: loc, num: func(v *View, _ int32) float64 { return v.Pop[slot] },
			numB: func(v *View, idx []int32, out []float64, _ *Arena) {
				x := v.Pop[slot]
				for k := range idx {
					out[k] = x
				}
			}}
	}
	ef, eb := cat.enum, cat.enumBatch()
	return val{t: tNum, loc: loc, num: func(v *View, i int32) float64 { return v.Pop[slot+int(ef(v, i))] },
		numB: func(v *View, idx []int32, out []float64, a *Arena) {
			m := a.mark()
			cs := a.enums(len(idx))
			eb(v, idx, cs, a)
			for k, x := range cs {
				out[k] = v.Pop[slot+int(x)]
			}
			a.release(m)
		}}
}

func formatQ(q float64) string { return strconv.FormatFloat(q, 'g', -1, 64) }

// Quantile is the empirical quantile nosedive's pop.quantile computes:
// for values sorted increasingly, x[k] with k the smallest index such
// that k+1 >= q x n (x[0] for q = 0). It is the inverse of the empirical
// distribution function, gonum's stat.Quantile with stat.Empirical and no
// weights; the value is always one of the data, so it does not depend on
// summation order. sorted must be sorted increasingly and not empty.
func Quantile(q float64, sorted []float64) float64 {
	n := len(sorted)
	k := int(math.Ceil(q*float64(n))) - 1
	return sorted[min(max(k, 0), n-1)]
}

func (r *Refs) merge(x Refs) {
	r.Partner = r.Partner || x.Partner
	r.Acq = r.Acq || x.Acq
	r.Detained = r.Detained || x.Detained
	r.Others |= x.Others
	r.Pop |= x.Pop
}
