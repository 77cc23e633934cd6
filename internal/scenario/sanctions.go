// The sanctions: section.

package scenario

func (v *validator) sanctions() {
	var names []string
	var poss []Pos
	if len(v.s.Sanctions) > maxSanctions {
		// at the first sanction past the limit
		v.d.add(v.s.Sanctions[maxSanctions].Pos, "sanctions: at most %d sanctions", maxSanctions)
	}
	for _, x := range v.s.Sanctions {
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
		switch x.Target {
		case "self":
			if x.School {
				v.d.add(x.Pos, "sanction %s: school admission blocks apply to children; set target: children", x.Name)
			}
		case "children":
			if len(x.Blocks) > 0 || x.DenyAccount || x.Detain != nil {
				v.d.add(x.Pos, "sanction %s: a sanction on children can only block school admission", x.Name)
			}
		default:
			v.d.add(x.Pos, "sanction %s: target must be self or children, got %q", x.Name, x.Target)
		}
		if x.Severity < 0 || x.Severity > 10 {
			v.d.add(x.Pos, "sanction %s: severity must be in [0, 10], got %g", x.Name, x.Severity)
		}
		for _, b := range x.Blocks {
			v.known(x.Pos, "behaviour", b, v.behaviourNames())
		}
		if d := x.Detain; d != nil {
			if d.ReleaseAfter < 0 || d.ReleaseAfter > MaxDays {
				v.d.add(d.Pos, "sanction %s: detain.release_after must be >= 0 days", x.Name)
			}
			if d.ReleaseScore != nil && len(v.s.Scoring.Range) == 2 &&
				(*d.ReleaseScore < v.s.Scoring.Range[0] || *d.ReleaseScore > v.s.Scoring.Range[1]) {
				v.d.add(d.Pos, "sanction %s: detain.release_score is outside scoring.range", x.Name)
			}
		}
	}
	v.unique("sanction", names, poss)
	detains := 0
	for _, x := range v.s.Sanctions {
		if x.Detain != nil {
			detains++
			if detains == 2 {
				v.d.add(x.Pos, "sanction %s: only one sanction may detain people", x.Name)
			}
		}
	}
}
