// The phases: section.

package scenario

func (v *validator) phases() {
	var names []string
	var poss []Pos
	sc := v.scenarioSchema()
	var rules []string
	for _, r := range v.s.Scoring.Rules {
		rules = append(rules, r.Name)
	}
	prevDay := -1
	for _, p := range v.s.Phases {
		names = append(names, p.Name)
		poss = append(poss, p.Pos)
		if p.Day < 0 || p.Day >= MaxDays {
			v.d.add(p.Pos, "phase %s: day must be >= 0, got %d", p.Name, p.Day)
		}
		if p.Day < prevDay {
			v.d.add(p.Pos, "phase %s: phases must be listed in order of day", p.Name)
		}
		prevDay = p.Day
		for _, r := range p.Regions {
			v.known(p.Pos, "region", r, sc.Regions)
		}
		for _, r := range p.Rules {
			v.known(p.Pos, "rule", r, rules)
		}
		for _, r := range p.Sanctions {
			v.known(p.Pos, "sanction", r, sc.Sanctions)
		}
	}
	v.unique("phase", names, poss)
}
