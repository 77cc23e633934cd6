package population

import (
	"math"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

const src = `name: p
population:
  regions:
    - {name: east, share: 0.25, groups: {a: 0.5, b: 0.5}}
    - {name: west, share: 0.75, groups: {a: 0.2, b: 0.8}}
  ages: {young: 0.3, old: 0.7}
  traits:
    - name: member
      p: 0.1
      where: [{group: a, region: west, p: 0.5}]
  households:
    partnered: 0.5
    children: 1.0
    where: [{age: old, children: 0}]
network: {model: homophilous, degree: 6, homophily: 0.5}
scoring: {range: [0, 10], initial: [{score: 5}]}
tiers: {levels: [{name: all}]}
`

func TestGenerate(t *testing.T) {
	sc, err := scenario.Load("p.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40000
	p := Generate(sc, n, 1)
	count := map[[2]uint8]int{}
	var members, westA, young, kidsYoung, kidsOld int
	for i := 0; i < n; i++ {
		count[[2]uint8{p.Region[i], p.Group[i]}]++
		if p.Region[i] == 1 && p.Group[i] == 0 {
			westA++
			if p.Traits[i]&1 != 0 {
				members++
			}
		}
		if p.Age[i] == 0 {
			young++
			kidsYoung += int(p.Kids[i])
		} else {
			kidsOld += int(p.Kids[i])
		}
	}
	east := count[[2]uint8{0, 0}] + count[[2]uint8{0, 1}]
	if east != n/4 {
		t.Errorf("east has %d agents, want exactly %d", east, n/4)
	}
	near := func(what string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s: %v, want %v ± %v", what, got, want, tol)
		}
	}
	near("west group a share", float64(westA)/float64(n*3/4), 0.2, 0.015)
	near("trait override in west/a", float64(members)/float64(westA), 0.5, 0.03)
	near("young share", float64(young)/n, 0.3, 0.015)
	near("children per young agent", float64(kidsYoung)/float64(young), 1.0, 0.05)
	if kidsOld != 0 {
		t.Errorf("old agents have %d children, want 0 (override)", kidsOld)
	}
	paired := 0
	for i, q := range p.Partner {
		if q >= 0 {
			paired++
			if p.Partner[q] != int32(i) {
				t.Fatalf("partners not symmetric at %d", i)
			}
		}
	}
	if paired != n/2 {
		t.Errorf("%d agents paired, want %d", paired, n/2)
	}
	if d := p.Graph.MeanDegree(); d < 5.9 || d > 6 {
		t.Errorf("mean degree %v", d)
	}
}

func TestApportion(t *testing.T) {
	got := apportion(10, []float64{0.333, 0.333, 0.334})
	if got[0]+got[1]+got[2] != 10 || got[2] != 4 {
		t.Errorf("apportion: %v", got)
	}
}

// Byte columns that are 0 for everyone share one array; the others keep
// their own.
func TestZeroColumnsShared(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil) // one region, one age band, no children
	if err != nil {
		t.Fatal(err)
	}
	p := Generate(sc, 1000, 1)
	if &p.Region[0] != &p.Age[0] || &p.Age[0] != &p.Kids[0] {
		t.Error("benchmark's region, age and children columns are all 0 but not shared")
	}
	sc, err = scenario.Load("p.yaml", []byte(src), nil) // two regions and ages, children
	if err != nil {
		t.Fatal(err)
	}
	p = Generate(sc, 1000, 1)
	if &p.Region[0] == &p.Age[0] || &p.Age[0] == &p.Kids[0] || &p.Region[0] == &p.Kids[0] {
		t.Error("columns with values share an array")
	}
}
