// The run: section (agents, days, ledger) and the scenario's name.

package scenario

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

func (v *validator) run() {
	r := v.s.Run
	if _, given := v.s.pos["name"]; given && !ValidName(v.s.Name) {
		v.d.add(v.at(Pos{Line: 1, Col: 1}, "name"), "name %q: a scenario name is 1 to %d letters, digits, - and _, starting with a letter or digit (it names run directories)", v.s.Name, MaxNameLen)
	}
	if r.Agents < 2 || r.Agents > MaxAgents {
		v.d.add(v.at(r.Pos, "run.agents"), "run.agents must be between 2 and %d, got %d", MaxAgents, r.Agents)
	}
	if r.Days < 1 || r.Days > MaxDays {
		v.d.add(v.at(r.Pos, "run.days"), "run.days must be between 1 and %d, got %d", MaxDays, r.Days)
	}
	if _, err := ParseLedger(r.Ledger); err != nil {
		v.d.add(v.at(r.Pos, "run.ledger"), "run.ledger: %v", err)
	}
}

// MaxNameLen bounds a scenario name's length.
const MaxNameLen = 64

// ValidName reports whether s can name a scenario: 1 to MaxNameLen ASCII
// letters, digits, '-' and '_', starting with a letter or digit. Such a
// name is a single path component that cannot be taken for a flag or a
// hidden file, and the run ids made from it are ones the lab lists.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// Ledger says which agents' score changes are recorded one by one.
type Ledger struct {
	All      bool
	Fraction float64 // 0 = none
}

// ParseLedger parses none | all | sample:FRACTION.
func ParseLedger(s string) (Ledger, error) {
	switch {
	case s == "none":
		return Ledger{}, nil
	case s == "all":
		return Ledger{All: true, Fraction: 1}, nil
	case strings.HasPrefix(s, "sample:"):
		var f float64
		if _, err := fmtSscan(strings.TrimPrefix(s, "sample:"), &f); err != nil || f <= 0 || f > 1 || math.IsNaN(f) {
			return Ledger{}, errors.New("sample:FRACTION needs a fraction in (0, 1], e.g. sample:0.001")
		}
		return Ledger{Fraction: f}, nil
	}
	return Ledger{}, errors.New("use none, all or sample:FRACTION (e.g. sample:0.001), got " + `"` + s + `"`)
}

func fmtSscan(s string, f *float64) (int, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	*f = x
	return 1, err
}
