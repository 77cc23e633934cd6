package store

import (
	"fmt"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// describePrivileges is the manifest's description of a scenario's
// privileges (nil without any).
func describePrivileges(sc *scenario.Scenario, prog *scenario.Program) []PrivilegeInfo {
	var out []PrivilegeInfo
	for k, x := range sc.Privileges {
		info := PrivilegeInfo{Name: x.Name, Target: x.Target, Context: x.Context, Waives: x.Waives, Lifts: x.Lifts,
			Source: x.Source, Description: x.Description}
		for _, b := range x.Boosts {
			info.Boosts = append(info.Boosts, fmt.Sprintf("%s x%g", b.Behaviour, b.Times))
		}
		for _, so := range x.Sooner {
			info.Sooner = append(info.Sooner, fmt.Sprintf("%s every %d", so.Rule, so.Every))
		}
		var via []string
		refs := prog.PrivilegeWhen[k].Refs
		if refs.Partner {
			via = append(via, "partner")
		}
		if x.Target == "household" {
			via = append(via, "household")
		}
		if refs.Acq {
			via = append(via, "acquaintances")
		}
		info.Via = "self"
		if len(via) > 0 {
			info.Via = strings.Join(via, "+")
		}
		out = append(out, info)
	}
	return out
}
