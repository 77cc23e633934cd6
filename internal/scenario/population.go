// The population: section: regions and their groups, age bands, traits and
// households.

package scenario

import (
	"math"
)

func (v *validator) shares(p Pos, what string, sh Shares) {
	sum := 0.0
	var names []string
	var poss []Pos
	for _, x := range sh {
		if x.Value < 0 || x.Value > 1 {
			v.d.add(x.Pos, "%s.%s must be a share in [0, 1], got %g", what, x.Name, x.Value)
		}
		sum += x.Value
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
	}
	v.unique(what, names, poss)
	if len(sh) == 0 {
		v.d.add(p, "%s: needs at least one entry", what)
	} else if math.Abs(sum-1) > 1e-6 {
		v.d.add(p, "%s: shares sum to %.6g, not 1", what, sum)
	}
	if len(sh) > maxCategories {
		v.d.add(p, "%s: at most %d entries", what, maxCategories)
	}
}

func (v *validator) population() {
	pop := v.s.Population
	v.regions()
	v.shares(v.at(pop.Pos, "population.ages"), "population.ages", pop.Ages)
	v.traits()
	v.households()
}

// regions checks the regions, their shares and their groups.
func (v *validator) regions() {
	pop := v.s.Population
	if len(pop.Regions) == 0 {
		v.d.add(pop.Pos, "population.regions: needs at least one region")
	}
	if len(pop.Regions) > maxCategories {
		v.d.add(pop.Pos, "population.regions: at most %d regions", maxCategories)
	}
	var names []string
	var poss []Pos
	sum := 0.0
	for k, r := range pop.Regions {
		names = append(names, r.Name)
		poss = append(poss, r.Pos)
		if r.Share <= 0 || r.Share > 1 {
			v.d.add(v.at(r.Pos, "population.regions[%d].share", k), "region %s: share must be in (0, 1], got %g", r.Name, r.Share)
		}
		sum += r.Share
		v.shares(v.at(r.Pos, "population.regions[%d].groups", k), "region "+r.Name+": groups", r.Groups)
		if r.CamerasPer1000 < 0 || r.CamerasPer1000 > 1000 {
			v.d.add(v.at(r.Pos, "population.regions[%d].cameras_per_1000", k), "region %s: cameras_per_1000 must be in [0, 1000], got %g", r.Name, r.CamerasPer1000)
		}
	}
	v.unique("region", names, poss)
	if len(pop.Regions) > 0 && math.Abs(sum-1) > 1e-6 {
		v.d.add(pop.Pos, "population.regions: shares sum to %.6g, not 1", sum)
	}
	if len(v.s.GroupNames()) > maxCategories {
		v.d.add(pop.Pos, "at most %d groups", maxCategories)
	}
}

// traits checks the traits' names and probabilities.
func (v *validator) traits() {
	pop := v.s.Population
	if len(pop.Traits) > maxTraits {
		v.d.add(v.at(pop.Pos, "population.traits"), "population.traits: at most %d traits", maxTraits)
	}
	var names []string
	var poss []Pos
	builtin := map[string]bool{"score": true, "tier": true, "group": true, "region": true, "age": true, "children": true,
		"has_partner": true, "detained": true, "flags": true, "sanctions": true, "partner": true, "acq": true, "day": true}
	for _, t := range pop.Traits {
		names = append(names, t.Name)
		poss = append(poss, t.Pos)
		if builtin[t.Name] {
			v.d.add(t.Pos, "trait name %q is reserved for a built-in field", t.Name)
		}
		v.prob(t.Pos, "trait "+t.Name+": p", t.P)
		for _, w := range t.Where {
			v.where(w.Pos, w.Region, w.Group, w.Age)
			v.prob(w.Pos, "trait "+t.Name+": where.p", w.P)
		}
	}
	v.unique("trait", names, poss)
}

// households checks the partnered share and the number of children.
func (v *validator) households() {
	h := v.s.Population.Households
	v.prob(h.Pos, "households.partnered", h.Partnered)
	if h.Children < 0 || h.Children > 20 {
		v.d.add(h.Pos, "households.children must be in [0, 20], got %g", h.Children)
	}
	for _, w := range h.Where {
		v.where(w.Pos, w.Region, w.Group, w.Age)
		if w.Children < 0 || w.Children > 20 {
			v.d.add(w.Pos, "households.where.children must be in [0, 20], got %g", w.Children)
		}
	}
}

func (v *validator) where(p Pos, region, group, age string) {
	sc := v.scenarioSchema()
	v.known(p, "region", region, sc.Regions)
	v.known(p, "group", group, sc.Groups)
	v.known(p, "age band", age, sc.Ages)
}
