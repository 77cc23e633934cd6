// Validation of a decoded scenario: validate runs every section's checks
// (one file per section: run.go, population.go, network.go, behaviours.go,
// scoring.go, scores.go, tables.go, tiers.go, sanctions.go, privileges.go,
// phases.go, institutions.go, claims.go), then compiles the expressions.
// This file holds the validator and the checks every section uses.

package scenario

import (
	"fmt"
	"math"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Limits of the engine's narrow types.
const (
	maxCategories = 255 // regions, groups, ages, tiers: uint8 indices
	maxTraits     = 32  // one uint32 bit set
	maxFlags      = 32  // one uint32 bit set
	maxSanctions  = 32  // one uint32 bit set
	maxRules      = 64  // one uint64 mask per region and phase
)

func validate(s *Scenario, d *diags) {
	v := validator{d: d, s: s}
	v.run()
	v.population()
	v.network()
	v.surveillance()
	v.behaviours()
	v.tables()
	v.scoring()
	v.scores()
	v.tiers()
	v.sanctions()
	v.privileges()
	v.phases()
	v.institutions()
	v.claims()
	v.sources()
	// Expressions are compiled whatever the checks above found: they read
	// only the names, which a mistake elsewhere leaves usable.
	s.compile(d)
}

type validator struct {
	d   *diags
	s   *Scenario
	own map[string]string // the scenario's own citations
	// sets holds, by kind, the names known() checks against, made on
	// first use: each kind has one list per scenario, and a set keeps a
	// scenario with many references linear.
	sets   map[string]map[string]bool
	schema *rule.Schema
	// The names of channels and behaviours, made once.
	channelList, behaviourList []string
}

// scenarioSchema is s.Schema(), made once per validation.
func (v *validator) scenarioSchema() *rule.Schema {
	if v.schema == nil {
		v.schema = v.s.Schema()
	}
	return v.schema
}

func (v *validator) prob(p Pos, what string, x float64) {
	if x < 0 || x > 1 || math.IsNaN(x) {
		v.d.add(p, "%s must be a probability in [0, 1], got %g", what, x)
	}
}

// at returns where path was given, or fallback.
func (v *validator) at(fallback Pos, format string, args ...any) Pos {
	if p, ok := v.s.pos[fmt.Sprintf(format, args...)]; ok {
		return p
	}
	return fallback
}
