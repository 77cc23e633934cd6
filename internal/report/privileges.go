package report

import (
	"fmt"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// privilegeLines describes each privilege for the model section, citing
// its source through src (which also lists it among the references).
func privilegeLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, x := range sc.Privileges {
		var eff []string
		for _, b := range x.Boosts {
			eff = append(eff, fmt.Sprintf("%s at %g times the rate", b.Behaviour, b.Times))
		}
		if len(x.Waives) > 0 {
			eff = append(eff, "charges of "+strings.Join(x.Waives, ", ")+" waived")
		}
		if len(x.Lifts) > 0 {
			eff = append(eff, "not blocked by "+strings.Join(x.Lifts, ", "))
		}
		for _, so := range x.Sooner {
			eff = append(eff, fmt.Sprintf("%s every %d days", so.Rule, so.Every))
		}
		who := "the person"
		if x.Target == "household" {
			who = "the person and their partner"
		}
		what := fmt.Sprintf("when %s, for %s, in %s: %s", x.When.Src, who, x.Context, strings.Join(eff, "; "))
		out = append(out, Line{x.Name, what, src(x.Source)})
	}
	return out
}
