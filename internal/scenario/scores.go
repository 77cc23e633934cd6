package scenario

// Extra scores: further named per-agent scores beside the main one (the
// score that tiers, sanctions by default, recovery, detention and partner
// selectivity read). A platform's score beside the state's, each with its
// range, starting values and its own rules (a rule's score: key); every
// expression reads them by name (sesame, partner.sesame,
// acq.mean(sesame)). They have no tiers and no recovery of their own: a
// condition on the number does what a tier would, and a periodic rule
// what recovery would.

import (
	"fmt"
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// MaxScores is the number of extra scores a scenario may declare.
const MaxScores = 8

// ExtraScore is a named per-agent score beside the main one.
type ExtraScore struct {
	Name        string     `yaml:"name" jsonschema:"required" jsonschema_description:"How expressions and rules (score: NAME) call it; letters, digits and _."`
	Range       []float64  `yaml:"range" jsonschema:"required" jsonschema_description:"[min, max] clamp of the score."`
	Initial     []Baseline `yaml:"initial" jsonschema:"required" jsonschema_description:"Starting values; the first matching entry wins (as scoring.initial)."`
	Source      string     `yaml:"source"`
	Description string     `yaml:"description"`
	Pos         Pos        `yaml:"-" json:"-"`
}

// ScoreNames returns the extra scores' names in order (nil without).
func (s *Scenario) ScoreNames() []string {
	var out []string
	for _, x := range s.Scores {
		out = append(out, x.Name)
	}
	return out
}

// RuleScore returns the index in Scores of the extra score rule r
// changes, or -1 for the main score.
func (s *Scenario) RuleScore(r int) int {
	return slices.Index(s.ScoreNames(), s.Scoring.Rules[r].Score)
}

// ClampName is the contribution name of extra score k's clamp: what the
// range took away or added, as "clamp" is for the main score.
func (s *Scenario) ClampName(k int) string { return "clamp_" + s.Scores[k].Name }

// reservedScoreNames are the names an extra score cannot take: the
// expression language's own.
var reservedScoreNames = []string{"score", "tier", "group", "region", "age", "children", "has_partner", "detained",
	"flags", "sanctions", "partner", "acq", "day", "pop", "draw", "baseline", "true", "false", "nil"}

func (v *validator) scores() {
	s := v.s
	if len(s.Scores) > MaxScores {
		v.d.add(s.Scores[MaxScores].Pos, "scores: at most %d extra scores", MaxScores)
	}
	var names []string
	var poss []Pos
	traits := v.scenarioSchema().Traits
	var rules, privs []string
	for _, r := range s.Scoring.Rules {
		rules = append(rules, r.Name)
	}
	privs = s.PrivilegeNames()
	for k, x := range s.Scores {
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
		switch { // (unique checks the name's spelling)
		case slices.Contains(reservedScoreNames, x.Name):
			v.d.add(v.at(x.Pos, "scores[%d].name", k), "score %s: the expression language uses this name itself; choose another", x.Name)
		case slices.Contains(traits, x.Name):
			v.d.add(v.at(x.Pos, "scores[%d].name", k), "score %s: a trait has this name; choose another", x.Name)
		case slices.ContainsFunc(s.Tables, func(t Table) bool { return t.Name == x.Name }):
			v.d.add(v.at(x.Pos, "scores[%d].name", k), "score %s: a table has this name; choose another", x.Name)
		}
		if c := s.ClampName(k); slices.Contains(rules, c) || slices.Contains(privs, c) {
			v.d.add(x.Pos, "score %s: the ledger books its clamp as %s, which a rule or privilege is called; rename one", x.Name, c)
		}
		path := fmt.Sprintf("scores[%d]", k)
		v.scoreRange(v.at(x.Pos, "%s.range", path), path+".range", x.Range, x.Initial, path)
	}
	v.unique("score", names, poss)
	for i, r := range s.Scoring.Rules {
		if r.Score != "" {
			v.known(v.at(r.Pos, "scoring.rules[%d].score", i), "score", r.Score, names)
		}
	}
	for k, p := range s.Privileges {
		for j, w := range p.Waives {
			if i := slices.Index(rules, w); i >= 0 && s.Scoring.Rules[i].Score != "" {
				v.d.add(v.at(p.Pos, "privileges[%d].waives[%d]", k, j), "privilege %s: rule %s changes score %s; waives gives back charges to the main score only", p.Name, w, s.Scoring.Rules[i].Score)
			}
		}
	}
}

// scoreRange checks an extra score's range and starting values as
// scoring() checks the main score's.
func (v *validator) scoreRange(at Pos, what string, rg []float64, initial []Baseline, path string) {
	ok := len(rg) == 2 && rg[0] < rg[1]
	switch {
	case !ok:
		v.d.add(at, "%s must be [min, max] with min < max", what)
	case math.Abs(rg[0]) > 2e6 || math.Abs(rg[1]) > 2e6:
		ok = false
		v.d.add(at, "%s must stay within ±2,000,000 points", what)
	}
	if len(initial) == 0 {
		v.d.add(v.at(at, "%s.initial", path), "%s.initial: needs at least one starting value", path)
	}
	for k, b := range initial {
		v.where(b.Pos, b.Region, b.Group, "")
		_, hasScore := v.s.pos[fmt.Sprintf("%s.initial[%d].score", path, k)]
		switch {
		case hasScore && b.From.IsSet():
			v.d.add(b.Pos, "%s.initial[%d]: give score or from, not both", path, k)
		case !hasScore && !b.From.IsSet():
			v.d.add(b.Pos, "%s.initial[%d]: missing key \"score\" (or from, an expression)", path, k)
		}
		if ok && hasScore && (b.Score < rg[0] || b.Score > rg[1]) {
			v.d.add(b.Pos, "%s.initial[%d]: starting value %g is outside its range", path, k, b.Score)
		}
	}
}

// compileScores compiles the extra scores' from expressions, with the
// schema of the starting scores (no state yet).
func (s *Scenario) compileScores(d *diags, p *Program, sc *rule.Schema) {
	for k, x := range s.Scores {
		var row []rule.Num
		for j, b := range x.Initial {
			var n rule.Num
			if b.From.IsSet() {
				var err error
				if n, err = rule.CompileNum(b.From.Src, sc); err != nil {
					exprErr(d, b.From, fmt.Sprintf("scores[%d].initial[%d].from", k, j), err, sc)
				}
			}
			row = append(row, n)
		}
		p.ScoreInitial = append(p.ScoreInitial, row)
	}
}
