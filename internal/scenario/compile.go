// Compiling a scenario's expressions for the engine (Program), against the
// names the scenario defines (Schema), with positioned errors.

package scenario

import (
	"errors"
	"fmt"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Schema returns the names expressions in this scenario may use.
func (s *Scenario) Schema() *rule.Schema {
	sc := &rule.Schema{}
	for _, r := range s.Population.Regions {
		sc.Regions = append(sc.Regions, r.Name)
	}
	sc.Groups = s.GroupNames()
	sc.Ages = s.Population.Ages.Names()
	for _, t := range s.Population.Traits {
		sc.Traits = append(sc.Traits, t.Name)
	}
	sc.Flags = s.FlagNames()
	for _, t := range s.Tiers.Levels {
		sc.Tiers = append(sc.Tiers, t.Name)
	}
	for _, x := range s.Sanctions {
		sc.Sanctions = append(sc.Sanctions, x.Name)
	}
	sc.Tables = s.tables
	sc.Scores = s.ScoreNames()
	return sc
}

// GroupNames returns every group label in order of first appearance.
func (s *Scenario) GroupNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Population.Regions {
		for _, g := range r.Groups {
			if !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g.Name)
			}
		}
	}
	return out
}

// FlagNames returns every status flag set by some rule, in order.
func (s *Scenario) FlagNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Scoring.Rules {
		for _, f := range r.SetFlags {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Program is a scenario's expressions compiled for the engine, indexed like
// the scenario's lists.
type Program struct {
	Rate         []rule.Num  // per behaviour
	Eligible     []rule.Bool // per behaviour; Fn nil = everyone
	Visible      rule.Bool   // chilling signal
	RuleWhen     []rule.Bool // per rule; Fn nil = always
	RuleAmount   []rule.Num  // per rule
	SanctionWhen []rule.Bool // per sanction
	Institutions []InstitutionProgram
	// Initial is per scoring.initial entry: its from expression, Fn nil
	// for a fixed score.
	Initial []rule.Num
	// Pop lists the population aggregates the expressions read
	// (Refs.Pop bits index it).
	Pop *rule.Aggregates
	// PrivilegeWhen is per privilege (see privileges.go).
	PrivilegeWhen []rule.Bool
	// ScoreInitial is per extra score and its initial entry, like
	// Initial (see scores.go).
	ScoreInitial [][]rule.Num
	// Hoisted lists the static sub-expressions of the day's expressions
	// (everything but the starting scores), computed once per population
	// into columns (see rule.Hoisted).
	Hoisted *rule.Hoisted
}

// Refs is what the program's expressions read, all together.
func (p *Program) Refs() rule.Refs {
	var r rule.Refs
	add := func(x rule.Refs) {
		r.Partner = r.Partner || x.Partner
		r.Acq = r.Acq || x.Acq
		r.Detained = r.Detained || x.Detained
		r.Others |= x.Others
		r.Pop |= x.Pop
	}
	add(p.Visible.Refs)
	for _, x := range p.Institutions {
		add(x.Applicants.Refs)
		add(x.Score.Refs)
		add(x.Believes.Refs)
		add(x.Success.Refs)
	}
	for _, xs := range [][]rule.Bool{p.Eligible, p.RuleWhen, p.SanctionWhen, p.PrivilegeWhen} {
		for _, x := range xs {
			add(x.Refs)
		}
	}
	for _, xs := range [][]rule.Num{p.Rate, p.RuleAmount} {
		for _, x := range xs {
			add(x.Refs)
		}
	}
	return r
}

// Compile compiles every expression of a validated scenario.
func (s *Scenario) Compile() (*Program, error) {
	d := newDiags(s.File, s.Source, nil)
	p := s.compile(d)
	return p, d.err()
}

func (s *Scenario) compile(d *diags) *Program { return s.compileWith(d, true) }

// compileWith compiles with hoisting (rule.Hoisted) or, for the tests that
// hold the two to the same bits, every expression in place.
func (s *Scenario) compileWith(d *diags, hoist bool) *Program {
	sc := s.Schema()
	p := &Program{}
	// Starting scores first, without the day's state or aggregates.
	sc.NoState = true
	for k, b := range s.Scoring.Initial {
		var n rule.Num
		if b.From.IsSet() {
			var err error
			if n, err = rule.CompileNum(b.From.Src, sc); err != nil {
				exprErr(d, b.From, fmt.Sprintf("scoring.initial[%d].from", k), err, sc)
			}
		}
		p.Initial = append(p.Initial, n)
	}
	s.compileScores(d, p, sc)
	sc.NoState = false
	sc.Pop = &rule.Aggregates{}
	p.Pop = sc.Pop
	if hoist {
		sc.Hoist = &rule.Hoisted{}
		p.Hoisted = sc.Hoist
	}
	num := func(e Expr, what string) rule.Num {
		if !e.IsSet() {
			return rule.Num{Fn: func(*rule.View, int32) float64 { return 0 }, Const: true}
		}
		n, err := rule.CompileNum(e.Src, sc)
		if err != nil {
			exprErr(d, e, what, err, sc)
		}
		return n
	}
	cond := func(e Expr, what string) rule.Bool {
		if !e.IsSet() {
			return rule.Bool{}
		}
		b, err := rule.CompileBool(e.Src, sc)
		if err != nil {
			exprErr(d, e, what, err, sc)
		}
		return b
	}
	for _, b := range s.Behaviours {
		r := num(b.Rate, "behaviours."+b.Name+".rate")
		if r.Const && (r.Value < 0 || r.Value > 1) && b.Rate.IsSet() {
			d.add(locate(d, b.Rate, 0), "behaviours.%s.rate: a daily probability must be in [0, 1], got %g", b.Name, r.Value)
		}
		p.Rate = append(p.Rate, r)
		p.Eligible = append(p.Eligible, cond(b.Eligible, "behaviours."+b.Name+".eligible"))
	}
	if s.Chilling.Visible.IsSet() {
		p.Visible = cond(s.Chilling.Visible, "chilling.visible")
	}
	for _, r := range s.Scoring.Rules {
		p.RuleWhen = append(p.RuleWhen, cond(r.When, "scoring.rules."+r.Name+".when"))
		p.RuleAmount = append(p.RuleAmount, num(r.Amount, "scoring.rules."+r.Name+".amount"))
	}
	for _, x := range s.Sanctions {
		p.SanctionWhen = append(p.SanctionWhen, cond(x.When, "sanctions."+x.Name+".when"))
	}
	s.compileInstitutions(d, p, num, cond)
	s.compilePrivileges(p, cond)
	return p
}

// exprErr positions an expression error inside the YAML file, with a hint
// for a category written without quotes (see nameHint).
func exprErr(d *diags, e Expr, what string, err error, sc *rule.Schema) {
	var re *rule.Error
	if !errors.As(err, &re) {
		d.add(e.Pos, "%s: %v", what, err)
		return
	}
	// Rune offset of the error within the expression text.
	off, line := 0, 1
	for _, r := range e.Src {
		if line == re.Line {
			break
		}
		off++
		if r == '\n' {
			line++
		}
	}
	off += re.Col
	msg := nameHint(re.Msg, e.Src, off, sc, exprQuote(d, e))
	if e.Set != "" {
		d.add(Pos{}, "--set %s: %s: %s", e.Set, what, msg)
		return
	}
	d.add(locate(d, e, off), "%s: %s", what, msg)
}
