// Checks of the names a scenario defines and refers to: their spelling,
// uniqueness and reserved words, and "did you mean" for unknown ones.

package scenario

import (
	"strings"
)

// labels are compared as strings in expressions (tier == "x-y") and may
// hold '-'; every other name is an identifier.
var labels = map[string]bool{"region": true, "group": true, "age band": true, "tier": true,
	"population.ages": true}

// reserved words of the expression language, which cannot name a trait,
// flag or sanction.
var reserved = map[string]bool{"and": true, "or": true, "not": true, "in": true, "true": true, "false": true,
	"nil": true, "let": true, "if": true, "else": true, "matches": true, "contains": true, "startsWith": true, "endsWith": true}

func (v *validator) unique(kind string, names []string, poss []Pos) {
	seen := map[string]int{}
	isLabel := labels[kind] || strings.HasSuffix(kind, ": groups")
	for i, n := range names {
		if n == "" {
			continue // the decoder reports the missing name
		}
		switch {
		case isLabel && !validLabel(n):
			v.d.add(poss[i], "%s name %q: use letters, digits, - and _ only, starting with a letter", kind, n)
		case !isLabel && !validName(n):
			v.d.add(poss[i], "%s name %q: use letters, digits and _ only, starting with a letter", kind, n)
		case !isLabel && reserved[n]:
			v.d.add(poss[i], "%s name %q is a word of the expression language; choose another", kind, n)
		}
		if j, ok := seen[n]; ok {
			v.d.add(poss[i], "duplicate %s name %q (first at line %d)", kind, n, poss[j].Line)
		}
		seen[n] = i
	}
}

func validName(s string) bool {
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return s != ""
}

func validLabel(s string) bool {
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && (r >= '0' && r <= '9' || r == '-'))
		if !ok {
			return false
		}
	}
	return s != ""
}

func (v *validator) known(p Pos, kind, name string, names []string) bool {
	if name == "" {
		return true
	}
	set, ok := v.sets[kind]
	if !ok {
		set = make(map[string]bool, len(names))
		for _, n := range names {
			set[n] = true
		}
		if v.sets == nil {
			v.sets = map[string]map[string]bool{}
		}
		v.sets[kind] = set
	}
	if set[name] {
		return true
	}
	v.d.add(p, "unknown %s %q%s", kind, name, v.d.suggest(name, names))
	return false
}
