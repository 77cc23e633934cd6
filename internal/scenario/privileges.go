package scenario

// Privileges: the rewards of a regime, the mirror of its sanctions. A
// privilege is decided like a sanction (on the end-of-day state, in force
// the next day) and acts through four effects: a higher rate for some
// behaviours, a waived charge of some rules, a sanction's blocks lifted, and
// a periodic rule that comes round sooner.

import (
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// maxPrivileges is the engine's limit: one uint32 bit set per agent.
const maxPrivileges = 32

// MaxBoost is the largest rate multiplier a privilege may give.
const MaxBoost = 1000

// Privilege is a benefit granted while its condition holds.
type Privilege struct {
	Name        string   `yaml:"name" jsonschema:"required"`
	When        Expr     `yaml:"when" jsonschema:"required" jsonschema_description:"Condition on the end-of-day state."`
	Target      string   `yaml:"target" jsonschema:"enum=self,enum=household" jsonschema_description:"self (default), or household: the agent and their partner both get it when the agent's condition holds."`
	Context     string   `yaml:"context" jsonschema:"required" jsonschema_description:"Social context it acts in (administration, commerce, travel, finance, ...)."`
	Boosts      []Boost  `yaml:"boosts" jsonschema_description:"Behaviours whose daily rate is multiplied for the privileged."`
	Waives      []string `yaml:"waives" jsonschema_description:"Rules whose charges (negative amounts) are given back to the privileged."`
	Lifts       []string `yaml:"lifts" jsonschema_description:"Sanctions whose blocks do not stop the privileged."`
	Sooner      []Sooner `yaml:"sooner" jsonschema_description:"Periodic rules that come round more often for the privileged."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// Boost multiplies a behaviour's daily rate.
type Boost struct {
	Behaviour string  `yaml:"behaviour" jsonschema:"required"`
	Times     float64 `yaml:"times" jsonschema:"required" jsonschema_description:"Rate multiplier, 0 to 1000; the rate is capped at 1."`
	Pos       Pos     `yaml:"-" json:"-"`
}

// Sooner gives a periodic rule a shorter period.
type Sooner struct {
	Rule  string `yaml:"rule" jsonschema:"required"`
	Every int    `yaml:"every" jsonschema:"required" jsonschema_description:"The rule's period in days for the privileged, shorter than its own."`
	Pos   Pos    `yaml:"-" json:"-"`
}

// PrivilegeNames returns the privileges' names in order.
func (s *Scenario) PrivilegeNames() []string {
	var out []string // nil without privileges
	for _, p := range s.Privileges {
		out = append(out, p.Name)
	}
	return out
}

// reservedContrib are contribution names the engine uses itself.
var reservedContrib = []string{"baseline", "clamp", "recovery", "release"}

func (v *validator) privileges() {
	s := v.s
	if len(s.Privileges) > maxPrivileges {
		v.d.add(s.Privileges[maxPrivileges].Pos, "privileges: at most %d privileges", maxPrivileges)
	}
	var names, rules, sanctions []string
	var poss []Pos
	periodic := map[string]int{}
	for _, r := range s.Scoring.Rules {
		rules = append(rules, r.Name)
		if r.Every > 0 {
			periodic[r.Name] = r.Every
		}
	}
	blocks := map[string]bool{}
	for _, x := range s.Sanctions {
		sanctions = append(sanctions, x.Name)
		blocks[x.Name] = len(x.Blocks) > 0 || x.DenyAccount
	}
	for k, p := range s.Privileges {
		names = append(names, p.Name)
		poss = append(poss, p.Pos)
		at := func(field string) Pos { return v.at(p.Pos, "privileges[%d].%s", k, field) }
		switch p.Target {
		case "self", "household":
		default:
			v.d.add(at("target"), "privilege %s: target must be self or household, got %q", p.Name, p.Target)
		}
		// the ledger books waived charges under the privilege's name
		switch {
		case slices.Contains(rules, p.Name):
			v.d.add(p.Pos, "privilege %s: a rule has this name, and the ledger books both by name; choose another", p.Name)
		case slices.Contains(reservedContrib, p.Name):
			v.d.add(p.Pos, "privilege %s: the ledger uses this name itself; choose another", p.Name)
		}
		if len(p.Boosts)+len(p.Waives)+len(p.Lifts)+len(p.Sooner) == 0 {
			v.d.add(p.Pos, "privilege %s: grants nothing; give boosts, waives, lifts or sooner", p.Name)
		}
		seen := map[string]bool{}
		for j, b := range p.Boosts {
			bp := v.at(b.Pos, "privileges[%d].boosts[%d].behaviour", k, j)
			if v.known(bp, "behaviour", b.Behaviour, v.behaviourNames()) && seen[b.Behaviour] {
				v.d.add(bp, "privilege %s: behaviour %s is boosted twice", p.Name, b.Behaviour)
			}
			seen[b.Behaviour] = true
			if !(b.Times >= 0 && b.Times <= MaxBoost) {
				v.d.add(v.at(b.Pos, "privileges[%d].boosts[%d].times", k, j), "privilege %s: boosts.times must be in [0, %d], got %g", p.Name, MaxBoost, b.Times)
			}
		}
		for j, r := range p.Waives {
			v.known(v.at(p.Pos, "privileges[%d].waives[%d]", k, j), "rule", r, rules)
		}
		for j, x := range p.Lifts {
			xp := v.at(p.Pos, "privileges[%d].lifts[%d]", k, j)
			if v.known(xp, "sanction", x, sanctions) && !blocks[x] {
				v.d.add(xp, "privilege %s: sanction %s blocks nothing, so there is nothing to lift", p.Name, x)
			}
		}
		for j, so := range p.Sooner {
			rp := v.at(so.Pos, "privileges[%d].sooner[%d].rule", k, j)
			if !v.known(rp, "rule", so.Rule, rules) {
				continue
			}
			every, ok := periodic[so.Rule]
			switch {
			case !ok:
				v.d.add(rp, "privilege %s: rule %s is an event rule; sooner needs a periodic rule (every:)", p.Name, so.Rule)
			case so.Every < 1 || so.Every >= every:
				v.d.add(v.at(so.Pos, "privileges[%d].sooner[%d].every", k, j), "privilege %s: sooner.every must be 1 to %d days (shorter than rule %s's every: %d), got %d",
					p.Name, every-1, so.Rule, every, so.Every)
			}
		}
	}
	v.unique("privilege", names, poss)
}

// compilePrivileges compiles the privileges' conditions into p.
func (s *Scenario) compilePrivileges(p *Program, cond func(Expr, string) rule.Bool) {
	for _, x := range s.Privileges {
		p.PrivilegeWhen = append(p.PrivilegeWhen, cond(x.When, "privileges."+x.Name+".when"))
	}
}

// Boost returns the product of the rate multipliers that the privileges
// in the bit set held give behaviour b (1 without any).
func (s *Scenario) Boost(b string, held uint32) float64 {
	m := 1.0
	for k, p := range s.Privileges {
		if held>>uint(k)&1 == 0 {
			continue
		}
		for _, x := range p.Boosts {
			if x.Behaviour == b {
				m *= x.Times
			}
		}
	}
	return m
}

// BoostedRate is rate x times, capped at 1: the rate a privileged agent
// draws a boosted behaviour at.
func BoostedRate(rate, times float64) float64 { return math.Min(1, rate*times) }
