// The scoring: section: range, starting scores, rules and recovery.

package scenario

import (
	"fmt"
	"math"
)

// PartneredEvent is the event a rule scores with `on: partnered`: a
// partnership formed yesterday (both partners), scored on the day after
// with the new partner readable as partner.*.
const PartneredEvent = "partnered"

func (v *validator) scoring() {
	rangeOK := v.scoringRange()
	v.initialScores(rangeOK)
	v.rules()
	v.recovery()
}

// scoringRange checks scoring.range and reports whether it is usable to
// check scores against.
func (v *validator) scoringRange() (rangeOK bool) {
	sc := v.s.Scoring
	rangeOK = len(sc.Range) == 2 && sc.Range[0] < sc.Range[1]
	if !rangeOK {
		v.d.add(v.at(sc.Pos, "scoring.range"), "scoring.range must be [min, max] with min < max")
	} else if math.Abs(sc.Range[0]) > 2e6 || math.Abs(sc.Range[1]) > 2e6 {
		rangeOK = false
		v.d.add(v.at(sc.Pos, "scoring.range"), "scoring.range must stay within ±2,000,000 points")
	}
	return rangeOK
}

// initialScores checks scoring.initial: each entry a fixed score inside
// the range (when rangeOK) or a from expression.
func (v *validator) initialScores(rangeOK bool) {
	sc := v.s.Scoring
	if len(sc.Initial) == 0 {
		v.d.add(sc.Pos, "scoring.initial: needs at least one starting score")
	}
	for k, b := range sc.Initial {
		v.where(b.Pos, b.Region, b.Group, "")
		_, hasScore := v.s.pos[fmt.Sprintf("scoring.initial[%d].score", k)]
		switch {
		case hasScore && b.From.IsSet():
			v.d.add(b.Pos, "scoring.initial[%d]: give score or from, not both", k)
		case !hasScore && !b.From.IsSet():
			v.d.add(b.Pos, "scoring.initial[%d]: missing key \"score\" (or from, an expression)", k)
		}
		if rangeOK && hasScore && (b.Score < sc.Range[0] || b.Score > sc.Range[1]) {
			v.d.add(b.Pos, "initial score %g is outside scoring.range", b.Score)
		}
	}
}

// rules checks scoring.rules and the flags they set.
func (v *validator) rules() {
	sc := v.s.Scoring
	if len(sc.Rules) > maxRules {
		v.d.add(sc.Pos, "scoring.rules: at most %d rules", maxRules)
	}
	if len(v.scenarioSchema().Flags) > maxFlags {
		v.d.add(sc.Pos, "at most %d flags", maxFlags)
	}
	var names []string
	var poss []Pos
	for _, r := range sc.Rules {
		names = append(names, r.Name)
		poss = append(poss, r.Pos)
		switch {
		case r.On != "" && r.Every != 0:
			v.d.add(r.Pos, "rule %s: give on (an event rule) or every (a periodic rule), not both", r.Name)
		case r.On == PartneredEvent:
		case r.On != "":
			v.ruleOn(r.Pos, r.On)
		case r.Every < 0 || r.Every > MaxDays:
			v.d.add(r.Pos, "rule %s: every must be a number of days >= 1, got %d", r.Name, r.Every)
		case r.Every == 0:
			v.d.add(r.Pos, "rule %s: needs on (a behaviour) or every (days)", r.Name)
		}
		if !r.Amount.IsSet() && len(r.SetFlags) == 0 {
			v.d.add(r.Pos, "rule %s: needs an amount", r.Name)
		}
		for _, f := range r.SetFlags {
			if !validName(f) {
				v.d.add(r.Pos, "rule %s: flag name %q: use letters, digits and _ only", r.Name, f)
			}
		}
		if r.Name == "baseline" || r.Name == "clamp" || r.Name == "recovery" || r.Name == "release" {
			v.d.add(r.Pos, "rule name %q is reserved", r.Name)
		}
	}
	v.unique("rule", names, poss)
}

// recovery checks scoring.recovery, when given.
func (v *validator) recovery() {
	rc := v.s.Scoring.Recovery
	if rc == nil {
		return
	}
	if rc.Rate < 0 || rc.Rate > 1e6 {
		v.d.add(rc.Pos, "recovery.rate must be >= 0 points per day, got %g", rc.Rate)
	}
	switch rc.Direction {
	case "up", "down", "both":
	default:
		v.d.add(rc.Pos, "recovery.direction must be up, down or both, got %q", rc.Direction)
	}
	for _, f := range rc.UnlessFlags {
		v.known(rc.Pos, "flag", f, v.scenarioSchema().Flags)
	}
}
