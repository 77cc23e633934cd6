package sim

// Institutions: on a decision day, at the start of the day, each
// institution reads its applicants' scores and believed probabilities from
// the start-of-day state, chooses a threshold per category by its policy
// (internal/institution), and in pass 1 each applicant is approved or
// refused and, if approved, succeeds or fails. Each outcome is an event the
// scenario's rules score (`on: NAME.approved` ...), booked like a
// behaviour's event rules.

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/institution"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// Event indices, as in scenario.InstitutionEvents.
const (
	evApproved = iota
	evRefused
	evSuccess
	evFailure
)

// instRun is one institution in the engine.
type instRun struct {
	name         string
	prog         *scenario.InstitutionProgram
	by           string
	nCat         int
	off          int // first slot of its categories in the scratch counts
	every, first int
	keyApprove   uint64
	keySuccess   uint64
	rules        [len(scenario.InstitutionEvents)][]int

	// Today's decision: whether it decides, the keys of the day's draws
	// and, per category, the policy's choice.
	deciding          bool
	dayApprove, daySu uint64
	dec               []institution.Decision
	// Per agent, filled on decision days (allocated on the first): the
	// ranking value (NaN: not an applicant today), the true success
	// probability, the believed one and the category.
	x, q, p []float64
	cat     []uint8
	// Reused by decide.
	order  []int32
	groups []institution.Group
}

// InstitutionBytesPerAgent is the engine's memory per agent for n
// institutions: ranking value, believed and true probabilities, category
// and the sort order of a decision day, approvals and successes.
func InstitutionBytesPerAgent(n int) uint64 { return uint64(n) * (3*8 + 1 + 4 + 2*2) }

// compileInstitutions builds the engine's view of the scenario's
// institutions (called from New).
func (e *Engine) compileInstitutions() {
	sc := e.sc
	off := 0
	for k, x := range sc.Institutions {
		in := instRun{name: x.Name, prog: &e.prog.Institutions[k], by: x.By, nCat: len(sc.Categories(k)), off: off,
			every: x.Every, first: x.First,
			keyApprove: rng.Key(e.seed, "institution/"+x.Name+"/approve"),
			keySuccess: rng.Key(e.seed, "institution/"+x.Name+"/success")}
		off += in.nCat
		for r, ru := range sc.Scoring.Rules {
			name, ev, ok := scenario.InstitutionEvent(ru.On)
			if !ok || name != x.Name {
				continue
			}
			for j, n := range scenario.InstitutionEvents {
				if n == ev {
					in.rules[j] = append(in.rules[j], r)
				}
			}
		}
		e.insts = append(e.insts, in)
	}
	e.instSlots = off
	if len(e.insts) > 0 {
		e.instApproved = make([]uint16, e.n*len(e.insts))
		e.instSucceeded = make([]uint16, e.n*len(e.insts))
	}
}

// decide makes today's decisions of the institutions whose decision day it
// is, from the start-of-day view v. The per-agent values are computed in
// parallel (each agent writes its own slots); the distributions are built
// serially in agent order, so nothing depends on the number of workers.
func (e *Engine) decide(v *rule.View) error {
	d := e.day
	any := false
	for k := range e.insts {
		in := &e.insts[k]
		in.deciding = d == in.first || (d > in.first && in.every > 0 && (d-in.first)%in.every == 0)
		if !in.deciding {
			continue
		}
		any = true
		in.dayApprove, in.daySu = rng.Sub(in.keyApprove, uint64(d)), rng.Sub(in.keySuccess, uint64(d))
		if in.x == nil {
			in.x, in.q, in.p, in.cat = make([]float64, e.n), make([]float64, e.n), make([]float64, e.n), make([]uint8, e.n)
		}
		if err := e.parallel(func(_, lo, hi int) error { return e.applicants(in, v, lo, hi) }); err != nil {
			return err
		}
		if err := e.choose(in); err != nil {
			return err
		}
	}
	if any {
		for _, s := range e.scratch {
			if len(s.inst) != 3*e.instSlots {
				s.inst = make([]int64, 3*e.instSlots)
			}
			clear(s.inst)
		}
	}
	return nil
}

// applicants evaluates institution in's expressions for agents [lo, hi).
func (e *Engine) applicants(in *instRun, v *rule.View, lo, hi int) error {
	pr := in.prog
	cat := categoryOf(v, in.by)
	for ii := lo; ii < hi; ii++ {
		i := int32(ii)
		if e.detained[i] || (pr.Applicants.Fn != nil && !pr.Applicants.Fn(v, i)) {
			in.x[i] = math.NaN()
			continue
		}
		x, p, q := pr.Score.Fn(v, i), pr.Believes.Fn(v, i), pr.Success.Fn(v, i)
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return e.instError(in, i, "score is %v", x)
		case !(p >= 0 && p <= 1):
			return e.instError(in, i, "believes is %v, not a probability in [0, 1]", p)
		case !(q >= 0 && q <= 1):
			return e.instError(in, i, "success is %v, not a probability in [0, 1]", q)
		}
		in.x[i], in.p[i], in.q[i], in.cat[i] = x, p, q, cat[ii]
	}
	return nil
}

func (e *Engine) instError(in *instRun, i int32, format string, args ...any) error {
	return &RuntimeError{Day: e.day, Agent: i, Rule: "institution " + in.name, Msg: fmt.Sprintf(format, args...)}
}

// choose builds each category's distribution of applicants' values (sorted
// distinct values, counts, the mean believed probability at each value,
// summed in agent order) and asks the policy for the thresholds.
func (e *Engine) choose(in *instRun) error {
	order := in.order[:0]
	for i, x := range in.x {
		if !math.IsNaN(x) {
			order = append(order, int32(i))
		}
	}
	// By category, value and agent: a total order, so the result (and the
	// order the believed probabilities are summed in) is fixed. (About 10
	// ms of CPU for 100,000 applicants, half of a decision day's cost.)
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(in.cat[a], in.cat[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(in.x[a], in.x[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	in.order = order
	if len(in.groups) != in.nCat {
		in.groups = make([]institution.Group, in.nCat)
	}
	for c := range in.groups {
		g := &in.groups[c]
		g.Scores, g.Weights, g.Believed = g.Scores[:0], g.Weights[:0], g.Believed[:0]
	}
	for j := 0; j < len(order); {
		a := order[j]
		c, x := in.cat[a], in.x[a]
		n, sum := 0, 0.0
		for ; j < len(order) && in.cat[order[j]] == c && in.x[order[j]] == x; j++ {
			sum += in.p[order[j]]
			n++
		}
		g := &in.groups[c]
		g.Scores = append(g.Scores, x)
		g.Weights = append(g.Weights, float64(n))
		g.Believed = append(g.Believed, min(sum/float64(n), 1))
	}
	dec, err := institution.Decide(in.prog.Spec, in.groups)
	if err != nil {
		return fmt.Errorf("day %d, institution %s: %w", e.day, in.name, err)
	}
	in.dec = dec
	return nil
}

// institutionEvents decides, for agents [lo, hi) of pass 1, each applicant's
// approval and outcome and applies the rules of those events.
func (e *Engine) institutionEvents(v *rule.View, s *scratch, lo, hi int, ledger *[]daily.LedgerEntry, fail func(int32, error)) {
	ni := len(e.insts)
	for k := range e.insts {
		in := &e.insts[k]
		if !in.deciding {
			continue
		}
		for ii := lo; ii < hi; ii++ {
			i := int32(ii)
			x := in.x[i]
			if math.IsNaN(x) {
				continue
			}
			c := int(in.cat[i])
			dc := &in.dec[c]
			cnt := s.inst[3*(in.off+c):]
			cnt[0]++
			approved := x > dc.Threshold || (x == dc.Threshold && rng.Float(in.dayApprove, uint64(i)) < dc.Boundary)
			if !approved {
				e.instRules(in.rules[evRefused], v, s, i, ii-lo, ledger, fail)
				continue
			}
			cnt[1]++
			if a := &e.instApproved[ii*ni+k]; *a < math.MaxUint16 {
				*a++
			}
			e.instRules(in.rules[evApproved], v, s, i, ii-lo, ledger, fail)
			if rng.Float(in.daySu, uint64(i)) < in.q[i] {
				cnt[2]++
				if a := &e.instSucceeded[ii*ni+k]; *a < math.MaxUint16 {
					*a++
				}
				e.instRules(in.rules[evSuccess], v, s, i, ii-lo, ledger, fail)
			} else {
				e.instRules(in.rules[evFailure], v, s, i, ii-lo, ledger, fail)
			}
		}
	}
}

// instRules applies the rules of one institution event to agent i (chunk
// offset kk), as event rules of a behaviour are applied.
func (e *Engine) instRules(rules []int, v *rule.View, s *scratch, i int32, kk int, ledger *[]daily.LedgerEntry, fail func(int32, error)) {
	if len(rules) == 0 {
		return
	}
	st := &e.active[e.pop.Region[i]]
	if !st.active {
		return
	}
	for _, r := range rules {
		if st.rules>>uint(r)&1 == 0 {
			continue
		}
		if w := e.prog.RuleWhen[r]; w.Fn != nil && !w.Fn(v, i) {
			continue
		}
		x, err := e.amount(r, v, i)
		if err != nil {
			fail(i, err)
			return
		}
		e.bookEvent(s, i, kk, r, x, ledger)
		s.fl[kk] |= e.ruleFlags[r]
	}
}

// recordDecisions puts today's decisions, with the realised counts summed
// over the workers (integers: any order), into out.
func (e *Engine) recordDecisions(out *daily.Day) {
	if len(e.insts) == 0 {
		return
	}
	out.Decisions = out.Decisions[:0]
	for k := range e.insts {
		in := &e.insts[k]
		if !in.deciding {
			continue
		}
		sp := in.prog.Spec
		for c, dc := range in.dec {
			var n [3]int64
			for _, s := range e.scratch {
				for j := range n {
					n[j] += s.inst[3*(in.off+c)+j]
				}
			}
			out.Decisions = append(out.Decisions, daily.Decision{
				Institution: uint8(k), Category: uint8(c),
				Threshold: dc.Threshold, Boundary: dc.Boundary,
				SelectionRate: dc.SelectionRate, TPR: dc.TPR,
				ExpectedSuccesses: dc.Successes, ExpectedFailures: dc.Failures, ExpectedUtility: dc.Utility,
				Applicants: n[0], Approved: n[1], Successes: n[2],
				Utility: float64(sp.Gain*float64(n[2])) - float64(sp.Loss*float64(n[1]-n[2])),
			})
		}
		in.deciding = false
	}
}
