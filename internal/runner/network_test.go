package runner

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Every built-in with a homophilous network gets what its scenario asks for:
// triangles (clustering near its target, at least 0.1) and the share of ties
// within group and region it names, within 2 percentage points, as
// run.json reports them.
func TestBuiltinNetworksHaveTrianglesAndHomophily(t *testing.T) {
	checked := 0
	for _, bi := range scenario.Builtins() {
		sc, err := scenario.Resolve(bi.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Network.Model != "homophilous" {
			continue
		}
		checked++
		res := runOnce(t, bi.Name, 2)
		b, err := os.ReadFile(filepath.Join(res.Dir, store.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		var m store.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		g := m.Graph
		t.Logf("%s: clustering %.3f (target %.3f), within group and region %.4f (homophily %.2f), within group %.3f, within region %.3f",
			bi.Name, g.Clustering, sc.Network.Clustering, g.WithinGroupAndRegion, sc.Network.Homophily, g.WithinGroup, g.WithinRegion)
		if g.Clustering < 0.1 || math.Abs(g.Clustering-sc.Network.Clustering) > 0.1*sc.Network.Clustering {
			t.Errorf("%s: clustering %.3f, want at least 0.1 and within 10%% of the target %.3f", bi.Name, g.Clustering, sc.Network.Clustering)
		}
		if d := math.Abs(g.WithinGroupAndRegion - sc.Network.Homophily); d > 0.02 {
			t.Errorf("%s: share of ties within group and region %.4f, homophily %.2f (off by %.3f)", bi.Name, g.WithinGroupAndRegion, sc.Network.Homophily, d)
		}
		if g.WithinGroup < g.WithinGroupAndRegion || g.WithinRegion < g.WithinGroupAndRegion {
			t.Errorf("%s: a share within group (%.3f) or region (%.3f) below the share within both (%.3f)", bi.Name, g.WithinGroup, g.WithinRegion, g.WithinGroupAndRegion)
		}
		total := int64(0)
		for _, c := range g.DegreeHistogram {
			total += c
		}
		if total != int64(m.Agents) {
			t.Errorf("%s: degree histogram counts %d agents, want %d", bi.Name, total, m.Agents)
		}
	}
	if checked < 3 {
		t.Fatalf("%d built-ins with a homophilous network, want xinjiang-pilot, nationwide-2020 and nosedive", checked)
	}
}
