// The network: and relationships: sections.

package scenario

import (
	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

func (v *validator) network() {
	n := v.s.Network
	switch n.Model {
	case "watts-strogatz", "homophilous":
		if n.Degree < 0 || n.Degree%2 != 0 || n.Degree > 1000 {
			v.d.add(v.at(n.Pos, "network.degree"), "network.degree must be an even number in [0, 1000], got %d", n.Degree)
		} else if v.s.Run.Agents > 0 && n.Degree >= v.s.Run.Agents {
			v.d.add(v.at(n.Pos, "network.degree"), "network.degree %d needs more than %d agents", n.Degree, v.s.Run.Agents)
		}
		v.prob(v.at(n.Pos, "network.rewire"), "network.rewire", n.Rewire)
		v.prob(v.at(n.Pos, "network.homophily"), "network.homophily", n.Homophily)
		if n.Model == "homophilous" {
			if _, ok := netgraph.HomophilousRewire(n.Degree, n.Homophily, n.Clustering); !ok {
				v.d.add(v.at(n.Pos, "network.clustering"), "network.clustering %v is out of reach with degree %d and homophily %v: at most %.3f (docs/scenario-language.md, Network)",
					n.Clustering, n.Degree, n.Homophily, netgraph.MaxHomophilousClustering(n.Degree, n.Homophily))
			}
		} else if n.Clustering != 0 {
			v.d.add(v.at(n.Pos, "network.clustering"), "network.clustering applies to the homophilous model only (watts-strogatz's clustering follows from degree and rewire)")
		}
	case "none":
	default:
		v.d.add(v.at(n.Pos, "network.model"), "network.model %q: use watts-strogatz, homophilous or none%s", n.Model,
			rule.Suggest(n.Model, []string{"watts-strogatz", "homophilous", "none"}))
	}
	r := v.s.Relationships
	v.prob(v.at(r.Pos, "relationships.form_rate"), "relationships.form_rate", r.FormRate)
	v.prob(v.at(r.Pos, "relationships.break_rate"), "relationships.break_rate", r.BreakRate)
	if r.Selectivity < 0 || r.Selectivity > 100 {
		v.d.add(r.Pos, "relationships.selectivity must be in [0, 100], got %g", r.Selectivity)
	}
}
