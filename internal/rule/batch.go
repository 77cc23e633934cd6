package rule

// Batch evaluation: every compiled expression also has a kernel that
// evaluates it for a list of agents at once, one tight loop per node of the
// expression instead of one closure call per node per agent. The engine uses
// it for rules that every agent evaluates every day (periodic rules); the
// per-agent closures remain for sparse uses (events). Both give the same
// value for every agent: TestBatchAgreesWithScalar checks it.

// NumBatch writes the expression's value for agents idx[k] to out[k].
type NumBatch func(v *View, idx []int32, out []float64, a *Arena)

// BoolBatch writes the condition's value for agents idx[k] to out[k].
type BoolBatch func(v *View, idx []int32, out []bool, a *Arena)

type enumBatch func(v *View, idx []int32, out []uint8, a *Arena)

// Arena hands out scratch vectors to batch kernels. It is a stack: a
// kernel takes what it needs and gives it back before returning. Use one
// arena per goroutine; after the first evaluations it stops allocating.
type Arena struct {
	f    []float64
	b    []bool
	e    []uint8
	i    []int32
	fTop int
	bTop int
	eTop int
	iTop int
}

// take hands out n elements from the top of one of the arena's stacks. When
// the stack is full a new array replaces it: vectors handed out earlier
// keep the old one alive, only new vectors come from the new array. The new
// array is at least twice the old, so a kernel that needs more and more
// allocates a few times in a run, not every day.
func take[T any](stack *[]T, top *int, n int) []T {
	if *top+n > len(*stack) {
		*stack, *top = make([]T, max(4*n, 2*len(*stack), 4096)), 0
	}
	s := (*stack)[*top : *top+n : *top+n]
	*top += n
	return s
}

func (a *Arena) floats(n int) []float64 { return take(&a.f, &a.fTop, n) }
func (a *Arena) bools(n int) []bool     { return take(&a.b, &a.bTop, n) }
func (a *Arena) enums(n int) []uint8    { return take(&a.e, &a.eTop, n) }
func (a *Arena) ints(n int) []int32     { return take(&a.i, &a.iTop, n) }

type arenaMark struct{ f, b, e, i int }

func (a *Arena) mark() arenaMark { return arenaMark{a.fTop, a.bTop, a.eTop, a.iTop} }

// release gives back everything taken since m. After a regrowth the tops
// may be below the mark; they then stay where they are.
func (a *Arena) release(m arenaMark) {
	a.fTop = min(a.fTop, m.f)
	a.bTop = min(a.bTop, m.b)
	a.eTop = min(a.eTop, m.e)
	a.iTop = min(a.iTop, m.i)
}

// The fallbacks evaluate the scalar closure agent by agent; nodes without a
// kernel of their own (acq.*, min/max/clamp/...) use them.

func perAgent[T any](f func(*View, int32) T) func(*View, []int32, []T, *Arena) {
	return func(v *View, idx []int32, out []T, _ *Arena) {
		for k, i := range idx {
			out[k] = f(v, i)
		}
	}
}

func (x *val) numBatch() NumBatch {
	if x.numB != nil {
		return x.numB
	}
	return perAgent(x.num)
}

func (x *val) boolBatch() BoolBatch {
	if x.boolB != nil {
		return x.boolB
	}
	return perAgent(x.bool)
}

func (x *val) enumBatch() enumBatch {
	if x.enumB != nil {
		return x.enumB
	}
	return perAgent(x.enum)
}

// partnerBatch evaluates inner for each agent's partner; agents without a
// partner get def.
func partnerBatch[T any](inner func(v *View, idx []int32, out []T, a *Arena), def T,
	buf func(a *Arena, n int) []T) func(v *View, idx []int32, out []T, a *Arena) {
	return func(v *View, idx []int32, out []T, a *Arena) {
		m := a.mark()
		pidx := a.ints(len(idx))
		n := 0
		for _, i := range idx {
			if p := v.Partner[i]; p >= 0 {
				pidx[n] = p
				n++
			}
		}
		if n == len(idx) {
			inner(v, pidx, out, a)
			a.release(m)
			return
		}
		tmp := buf(a, n)
		inner(v, pidx[:n], tmp, a)
		n = 0
		for k, i := range idx {
			if v.Partner[i] >= 0 {
				out[k] = tmp[n]
				n++
			} else {
				out[k] = def
			}
		}
		a.release(m)
	}
}

// Arithmetic and comparison operators of the kernels. Each has its own
// loop: a function value called per element would cost as much as the
// scalar closures.
type arith uint8

const (
	opAdd arith = iota
	opSub
	opMul
	opDiv
)

func arithLoop(op arith, out, y []float64) {
	y = y[:len(out)]
	switch op {
	case opAdd:
		for k := range out {
			out[k] += y[k]
		}
	case opSub:
		for k := range out {
			out[k] -= y[k]
		}
	case opMul:
		for k := range out {
			out[k] *= y[k]
		}
	default:
		for k := range out {
			out[k] /= y[k]
		}
	}
}

func arithConst(op arith, out []float64, c float64) {
	switch op {
	case opAdd:
		for k := range out {
			out[k] += c
		}
	case opSub:
		for k := range out {
			out[k] -= c
		}
	case opMul:
		for k := range out {
			out[k] *= c
		}
	default:
		for k := range out {
			out[k] /= c
		}
	}
}

// binNum combines two numeric kernels element by element; a constant
// operand is read once.
func binNum(l, r *val, op arith) NumBatch {
	lb := l.numBatch()
	if r.isConst {
		c := r.num(nil, 0)
		return func(v *View, idx []int32, out []float64, a *Arena) {
			lb(v, idx, out, a)
			arithConst(op, out[:len(idx)], c)
		}
	}
	if l.isConst && (op == opAdd || op == opMul) {
		c, rb := l.num(nil, 0), r.numBatch()
		return func(v *View, idx []int32, out []float64, a *Arena) {
			rb(v, idx, out, a)
			arithConst(op, out[:len(idx)], c)
		}
	}
	rb := r.numBatch()
	return func(v *View, idx []int32, out []float64, a *Arena) {
		lb(v, idx, out, a)
		m := a.mark()
		t := a.floats(len(idx))
		rb(v, idx, t, a)
		arithLoop(op, out[:len(idx)], t)
		a.release(m)
	}
}

type compare uint8

const (
	opLT compare = iota
	opLE
	opGT
	opGE
	opEQ
	opNE
)

func compareLoop(op compare, out []bool, x, y []float64) {
	x, y = x[:len(out)], y[:len(out)]
	switch op {
	case opLT:
		for k := range out {
			out[k] = x[k] < y[k]
		}
	case opLE:
		for k := range out {
			out[k] = x[k] <= y[k]
		}
	case opGT:
		for k := range out {
			out[k] = x[k] > y[k]
		}
	case opGE:
		for k := range out {
			out[k] = x[k] >= y[k]
		}
	case opEQ:
		for k := range out {
			out[k] = x[k] == y[k]
		}
	default:
		for k := range out {
			out[k] = x[k] != y[k]
		}
	}
}

func compareConst(op compare, out []bool, x []float64, c float64) {
	x = x[:len(out)]
	switch op {
	case opLT:
		for k := range out {
			out[k] = x[k] < c
		}
	case opLE:
		for k := range out {
			out[k] = x[k] <= c
		}
	case opGT:
		for k := range out {
			out[k] = x[k] > c
		}
	case opGE:
		for k := range out {
			out[k] = x[k] >= c
		}
	case opEQ:
		for k := range out {
			out[k] = x[k] == c
		}
	default:
		for k := range out {
			out[k] = x[k] != c
		}
	}
}

// cmpNum compares two numeric kernels element by element.
func cmpNum(l, r *val, op compare) BoolBatch {
	lb := l.numBatch()
	if r.isConst {
		c := r.num(nil, 0)
		return func(v *View, idx []int32, out []bool, a *Arena) {
			m := a.mark()
			t := a.floats(len(idx))
			lb(v, idx, t, a)
			compareConst(op, out[:len(idx)], t, c)
			a.release(m)
		}
	}
	rb := r.numBatch()
	return func(v *View, idx []int32, out []bool, a *Arena) {
		m := a.mark()
		x, y := a.floats(len(idx)), a.floats(len(idx))
		lb(v, idx, x, a)
		rb(v, idx, y, a)
		compareLoop(op, out[:len(idx)], x, y)
		a.release(m)
	}
}

// logic combines two conditions; both sides are evaluated for every agent
// (expressions have no side effects, so this equals short-circuiting).
func logic(l, r *val, and bool) BoolBatch {
	lb, rb := l.boolBatch(), r.boolBatch()
	return func(v *View, idx []int32, out []bool, a *Arena) {
		lb(v, idx, out, a)
		// Like the scalar closures, evaluate the right side only where the
		// left does not decide: for "and" where it is true, for "or" where
		// it is false. When few agents are left they are gathered into a
		// shorter index list (expressions are pure, so skipping them changes
		// nothing); when many are, the whole list is cheaper.
		open := 0
		for _, x := range out {
			open += b2i(x == and)
		}
		if open == 0 {
			return
		}
		m := a.mark()
		defer a.release(m)
		if 2*open <= len(idx) {
			// (one spare slot: the branch-free loop writes every agent)
			sub, pos := a.ints(open+1), a.ints(open+1)
			n := 0
			for k, x := range out {
				sub[n], pos[n] = idx[k], int32(k)
				n += b2i(x == and)
			}
			sub, pos = sub[:open], pos[:open]
			t := a.bools(open)
			rb(v, sub, t, a)
			for j, k := range pos {
				out[k] = t[j]
			}
			return
		}
		t := a.bools(len(idx))
		rb(v, idx, t, a)
		if and {
			for k := range t {
				out[k] = out[k] && t[k]
			}
		} else {
			for k := range t {
				out[k] = out[k] || t[k]
			}
		}
	}
}

// b2i is 1 for true and 0 for false, without a branch.
func b2i(b bool) int {
	var x int
	if b {
		x = 1
	}
	return x
}

// enumTable tabulates pred for every category value.
func enumTable(pred func(x uint8) bool) *[256]bool {
	var tab [256]bool
	for x := range tab {
		tab[x] = pred(uint8(x))
	}
	return &tab
}

// enumIs tests a category against a table of its values (see enumTable):
// a table read per agent instead of a call.
func enumIs(l *val, tab *[256]bool) BoolBatch {
	lb := l.enumBatch()
	return func(v *View, idx []int32, out []bool, a *Arena) {
		m := a.mark()
		t := a.enums(len(idx))
		lb(v, idx, t, a)
		for k, x := range t {
			out[k] = tab[x]
		}
		a.release(m)
	}
}

// gather reads one of the agent's own category columns.
func gather(col func(v *View) []uint8) enumBatch {
	return func(v *View, idx []int32, out []uint8, _ *Arena) {
		c := col(v)
		for k, i := range idx {
			out[k] = c[i]
		}
	}
}
