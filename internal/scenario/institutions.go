package scenario

// Institutions: decision-makers (a lender, a list authority) that on their
// decision days set one threshold per group by a policy (internal/
// institution) and approve or refuse each applicant; approved applicants
// then succeed or fail. Each outcome is an event that rules score with
// `on: NAME.EVENT`.

import (
	"math"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/institution"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Institution is one decision-maker.
type Institution struct {
	Name        string   `yaml:"name" jsonschema:"required"`
	Every       int      `yaml:"every" jsonschema_description:"Days between decisions (omit or 0: one decision only, on day first)."`
	First       int      `yaml:"first" jsonschema_description:"The day value (0 = the first simulated day) of the first decision (default 0)."`
	Applicants  Expr     `yaml:"applicants" jsonschema_description:"Condition: who applies on a decision day (default everyone not detained)."`
	Score       Expr     `yaml:"score" jsonschema_description:"The number the institution ranks applicants by (default score)."`
	By          string   `yaml:"by" jsonschema:"enum=group,enum=region,enum=age,enum=tier" jsonschema_description:"The category that gets its own threshold (default group)."`
	Context     string   `yaml:"context" jsonschema_description:"Social context its decisions and their outcomes belong to, as a behaviour's (default credit)."`
	Policy      string   `yaml:"policy" jsonschema:"required,enum=max-utility,enum=demographic-parity,enum=equal-opportunity,enum=fixed-threshold,enum=fixed-rate"`
	Gain        float64  `yaml:"gain" jsonschema:"required" jsonschema_description:"The institution's utility per approved success (> 0)."`
	Loss        float64  `yaml:"loss" jsonschema:"required" jsonschema_description:"The institution's disutility per approved failure (> 0)."`
	Believes    Expr     `yaml:"believes" jsonschema:"required" jsonschema_description:"The success probability the institution believes for an applicant, in [0, 1]."`
	Success     Expr     `yaml:"success" jsonschema_description:"The true success probability of an approved applicant (default: believes)."`
	Threshold   *float64 `yaml:"threshold" jsonschema_description:"fixed-threshold: approve every score at or above it."`
	Rate        *float64 `yaml:"rate" jsonschema_description:"fixed-rate: the share of each group approved, top scores first."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// The events an institution's decision produces, in the order the engine
// books them for an applicant: approved or refused, then, for an approved
// applicant, success or failure. Rules name them `on: NAME.EVENT`.
const (
	EventApproved = "approved"
	EventRefused  = "refused"
	EventSuccess  = "success"
	EventFailure  = "failure"
)

// InstitutionEvents lists the events, indexed as the engine indexes them.
var InstitutionEvents = [...]string{EventApproved, EventRefused, EventSuccess, EventFailure}

// InstitutionColumns are the categories an institution can set thresholds
// by.
var InstitutionColumns = []string{"group", "region", "age", "tier"}

// InstitutionProgram is one institution's compiled expressions and policy.
type InstitutionProgram struct {
	Applicants rule.Bool // Fn nil = everyone not detained
	Score      rule.Num
	Believes   rule.Num
	Success    rule.Num
	Spec       institution.Spec
}

// InstitutionEvent splits a rule's `on` into an institution and an event
// (ok false for a behaviour's name).
func InstitutionEvent(on string) (inst, event string, ok bool) {
	return strings.Cut(on, ".")
}

// Categories returns the names of institution x's `by` categories, in
// index order.
func (s *Scenario) Categories(x int) []string {
	sc := s.Schema()
	switch s.Institutions[x].By {
	case "region":
		return sc.Regions
	case "age":
		return sc.Ages
	case "tier":
		return sc.Tiers
	}
	return sc.Groups
}

func (s *Scenario) institutionDefaults() {
	for i := range s.Institutions {
		x := &s.Institutions[i]
		if !x.Score.IsSet() {
			x.Score = Expr{Src: "score", Pos: x.Pos}
		}
		if x.By == "" {
			x.By = "group"
		}
		if x.Context == "" {
			x.Context = "credit"
		}
	}
}

// institutionEventNames lists every NAME.EVENT, for did-you-mean.
func (v *validator) institutionEventNames() []string {
	var out []string
	for _, x := range v.s.Institutions {
		for _, ev := range InstitutionEvents {
			out = append(out, x.Name+"."+ev)
		}
	}
	return out
}

// ruleOn checks an event rule's `on`: a behaviour, or NAME.EVENT of an
// institution.
func (v *validator) ruleOn(p Pos, on string) {
	if _, _, ok := InstitutionEvent(on); ok {
		v.known(p, "institution event", on, v.institutionEventNames())
		return
	}
	v.known(p, "behaviour", on, v.behaviourNames())
}

func (v *validator) institutions() {
	var names []string
	var poss []Pos
	for k, x := range v.s.Institutions {
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
		at := func(key string) Pos { return v.at(x.Pos, "institutions[%d].%s", k, key) }
		if x.Every < 0 || x.Every > MaxDays {
			v.d.add(at("every"), "institution %s: every must be a number of days in [0, %d], got %d", x.Name, MaxDays, x.Every)
		}
		if x.First < 0 || x.First >= MaxDays {
			v.d.add(at("first"), "institution %s: first must be a day >= 0, got %d", x.Name, x.First)
		}
		if !validColumn(x.By) {
			v.d.add(at("by"), "institution %s: by %q: use %s%s", x.Name, x.By, strings.Join(InstitutionColumns, ", "),
				rule.Suggest(x.By, InstitutionColumns))
		}
		// (policy, gain, loss and believes are required keys: the decoder
		// reports them missing)
		pol, ok := institution.ParsePolicy(x.Policy)
		if !ok {
			v.d.add(at("policy"), "institution %s: unknown policy %q: use %s%s", x.Name, x.Policy,
				strings.Join(institution.Names[:], ", "), rule.Suggest(x.Policy, institution.Names[:]))
		}
		if !(x.Gain > 0) || math.IsInf(x.Gain, 0) {
			v.d.add(at("gain"), "institution %s: gain must be a number > 0, got %g", x.Name, x.Gain)
		}
		if !(x.Loss > 0) || math.IsInf(x.Loss, 0) {
			v.d.add(at("loss"), "institution %s: loss must be a number > 0, got %g", x.Name, x.Loss)
		}
		switch {
		case ok && pol == institution.FixedThreshold && x.Threshold == nil:
			v.d.add(x.Pos, "institution %s: policy fixed-threshold needs a threshold", x.Name)
		case x.Threshold != nil && (!ok || pol != institution.FixedThreshold):
			v.d.add(at("threshold"), "institution %s: threshold applies to policy fixed-threshold only", x.Name)
		case x.Threshold != nil && (math.IsNaN(*x.Threshold) || math.IsInf(*x.Threshold, 0)):
			v.d.add(at("threshold"), "institution %s: threshold must be a finite number", x.Name)
		}
		switch {
		case ok && pol == institution.FixedRate && x.Rate == nil:
			v.d.add(x.Pos, "institution %s: policy fixed-rate needs a rate", x.Name)
		case x.Rate != nil && (!ok || pol != institution.FixedRate):
			v.d.add(at("rate"), "institution %s: rate applies to policy fixed-rate only", x.Name)
		case x.Rate != nil:
			v.prob(at("rate"), "institution "+x.Name+": rate", *x.Rate)
		}
	}
	v.unique("institution", names, poss)
	if len(v.s.Institutions) > maxCategories {
		v.d.add(v.s.Institutions[maxCategories].Pos, "institutions: at most %d institutions", maxCategories)
	}
}

func validColumn(by string) bool {
	for _, c := range InstitutionColumns {
		if c == by {
			return true
		}
	}
	return false
}

// compileInstitutions compiles each institution's expressions into p.
func (s *Scenario) compileInstitutions(d *diags, p *Program, num func(Expr, string) rule.Num, cond func(Expr, string) rule.Bool) {
	for _, x := range s.Institutions {
		what := "institutions." + x.Name + "."
		ip := InstitutionProgram{
			Applicants: cond(x.Applicants, what+"applicants"),
			Score:      num(x.Score, what+"score"),
			Believes:   num(x.Believes, what+"believes"),
		}
		ip.Success = ip.Believes
		if x.Success.IsSet() {
			ip.Success = num(x.Success, what+"success")
		}
		for _, e := range []struct {
			n    rule.Num
			expr Expr
			key  string
		}{{ip.Believes, x.Believes, "believes"}, {ip.Success, x.Success, "success"}} {
			if e.expr.IsSet() && e.n.Const && !(e.n.Value >= 0 && e.n.Value <= 1) {
				d.add(locate(d, e.expr, 0), "%s%s: a probability must be in [0, 1], got %g", what, e.key, e.n.Value)
			}
		}
		pol, _ := institution.ParsePolicy(x.Policy)
		ip.Spec = institution.Spec{Policy: pol, Gain: x.Gain, Loss: x.Loss}
		if x.Threshold != nil {
			ip.Spec.Threshold = *x.Threshold
		}
		if x.Rate != nil {
			ip.Spec.Rate = *x.Rate
		}
		p.Institutions = append(p.Institutions, ip)
	}
}
