// The tiers: section: levels and caps, and TierOf, the reading of a score
// the engine's tier table is tested against.

package scenario

import (
	"math"
)

func (v *validator) tierIndex(name string) int {
	for i, t := range v.s.Tiers.Levels {
		if t.Name == name {
			return i
		}
	}
	return -1
}

func (v *validator) tiers() {
	t := v.s.Tiers
	if len(t.Levels) == 0 {
		v.d.add(t.Pos, "tiers.levels: needs at least one tier")
		return
	}
	if len(t.Levels) > maxCategories {
		v.d.add(t.Pos, "tiers.levels: at most %d tiers", maxCategories)
	}
	var names []string
	var poss []Pos
	prev := math.Inf(1)
	for i, l := range t.Levels {
		names = append(names, l.Name)
		poss = append(poss, l.Pos)
		last := i == len(t.Levels)-1
		switch {
		case last && l.Min != nil:
			v.d.add(l.Pos, "tier %s: the last (worst) tier takes everyone below the others; remove its min", l.Name)
		case !last && l.Min == nil:
			v.d.add(l.Pos, "tier %s: needs a min (only the last tier has none)", l.Name)
		case !last:
			if *l.Min >= prev {
				v.d.add(l.Pos, "tier %s: min %g must be below the previous tier's min %g (levels go best first)", l.Name, *l.Min, prev)
			}
			prev = *l.Min
		}
	}
	v.unique("tier", names, poss)
	for _, c := range t.Caps {
		v.where(c.Pos, c.Region, c.Group, "")
		b, w := -1, -1
		if c.Best != "" && v.known(c.Pos, "tier", c.Best, names) {
			b = v.tierIndex(c.Best)
		}
		if c.Worst != "" && v.known(c.Pos, "tier", c.Worst, names) {
			w = v.tierIndex(c.Worst)
		}
		if c.Best == "" && c.Worst == "" {
			v.d.add(c.Pos, "tier cap: give best and/or worst")
		}
		if b >= 0 && w >= 0 && b > w {
			v.d.add(c.Pos, "tier cap: best %s is below worst %s", c.Best, c.Worst)
		}
	}
}

// TierOf returns the index of the tier (0 = best) that a score earns an
// agent of the given region and group, caps and floors applied. The engine
// uses an equivalent fixed-point table; tests keep the two in step.
func (s *Scenario) TierOf(score float64, region, group string) int {
	levels := s.Tiers.Levels
	t := len(levels) - 1
	for k, l := range levels[:len(levels)-1] {
		if score >= *l.Min {
			t = k
			break
		}
	}
	best, worst := 0, len(levels)-1
	for _, c := range s.Tiers.Caps {
		if (c.Region == "" || c.Region == region) && (c.Group == "" || c.Group == group) {
			for k, l := range levels {
				if l.Name == c.Best {
					best = max(best, k)
				}
				if l.Name == c.Worst {
					worst = min(worst, k)
				}
			}
		}
	}
	return min(max(t, best), worst)
}
