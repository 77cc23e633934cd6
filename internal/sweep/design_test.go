package sweep

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T, text string) *Sweep {
	t.Helper()
	s, err := Load("test.yaml", []byte(text), ".")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const head = "name: t\nscenario: xinjiang-pilot\nagents: 300\ndays: 10\n"

func TestGridOrderAndSets(t *testing.T) {
	s := load(t, head+`replicates: 2
parameters:
  - {path: population.regions.south.cameras_per_1000, also: [population.regions.north.cameras_per_1000], values: [50, 200.5]}
  - {path: tiers.caps.0.best, values: [average, trustworthy, "untrustworthy"]}
`)
	var got [][]string
	for _, p := range s.Points {
		got = append(got, p.Values)
	}
	want := [][]string{{"50", "average"}, {"50", "trustworthy"}, {"50", "untrustworthy"},
		{"200.5", "average"}, {"200.5", "trustworthy"}, {"200.5", "untrustworthy"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("grid points (-got +want):\n%s", diff)
	}
	if !s.Params[0].Numeric || s.Params[1].Numeric {
		t.Errorf("numeric: %v %v", s.Params[0].Numeric, s.Params[1].Numeric)
	}
	wantSets := []string{"population.regions.south.cameras_per_1000=200.5", "population.regions.north.cameras_per_1000=200.5", "tiers.caps.0.best=average"}
	if diff := cmp.Diff(s.PointSets(3), wantSets); diff != "" {
		t.Errorf("sets (-got +want):\n%s", diff)
	}
	if s.Runs() != 12 || s.Run(7).ID != "p0003-r01" || s.Run(7).Point != 3 || s.Run(7).Replicate != 1 {
		t.Errorf("runs: %d, run 7 = %+v", s.Runs(), s.Run(7))
	}
}

func TestCommonRandomNumbers(t *testing.T) {
	s := load(t, head+"replicates: 3\nparameters:\n  - {path: tiers.caps.0.best, values: [average, trustworthy]}\n")
	if s.SeedOf(0, 1) != s.SeedOf(1, 1) || s.SeedOf(0, 0) == s.SeedOf(0, 1) {
		t.Error("with common random numbers, a replicate's seed must not depend on the point, and replicates must differ")
	}
	s.CRN = false
	if s.SeedOf(0, 1) == s.SeedOf(1, 1) {
		t.Error("without common random numbers, points must get their own seeds")
	}
	for p := range 2 {
		for r := range 3 {
			if s.SeedOf(p, r) > math.MaxInt64 {
				t.Error("seed above int64")
			}
		}
	}
}

func TestListDesign(t *testing.T) {
	s := load(t, head+`parameters:
  - path: tiers.caps.0.best
  - path: run.ledger
design:
  type: list
  points:
    - {tiers.caps.0.best: average, run.ledger: none}
    - {tiers.caps.0.best: trustworthy, run.ledger: "sample:0.5"}
`)
	if len(s.Points) != 2 || s.Points[1].Values[1] != "sample:0.5" {
		t.Errorf("points: %+v", s.Points)
	}
}

func TestLatinHypercubeStrata(t *testing.T) {
	const n, k = 37, 4
	pts := LatinHypercube(n, k, 9)
	for j := range k {
		seen := make([]bool, n)
		for _, p := range pts {
			seen[int(p[j]*n)] = true
		}
		for i, ok := range seen {
			if !ok {
				t.Fatalf("dimension %d: stratum %d empty", j, i)
			}
		}
	}
	if diff := cmp.Diff(LatinHypercube(n, k, 9), pts); diff != "" {
		t.Error("not deterministic")
	}
}

func TestMorrisTrajectories(t *testing.T) {
	const r, k, p = 25, 5, 6
	pts := MorrisTrajectories(r, k, p, 3)
	if len(pts) != r*(k+1) {
		t.Fatalf("%d points", len(pts))
	}
	delta := MorrisDelta(p)
	for tr := range r {
		moved := map[int]bool{}
		for j := range k {
			a, b := pts[tr*(k+1)+j], pts[tr*(k+1)+j+1]
			changed := -1
			for d := range k {
				if a[d] != b[d] {
					if changed >= 0 {
						t.Fatalf("trajectory %d step %d changes two coordinates", tr, j)
					}
					changed = d
				}
			}
			if changed < 0 || moved[changed] || math.Abs(math.Abs(b[changed]-a[changed])-delta) > 1e-12 {
				t.Fatalf("trajectory %d step %d: bad move %v -> %v", tr, j, a, b)
			}
			moved[changed] = true
		}
		for _, x := range pts[tr*(k+1) : (tr+1)*(k+1)] {
			for _, v := range x {
				lvl := v * (p - 1)
				if v < 0 || v > 1 || math.Abs(lvl-math.Round(lvl)) > 1e-12 {
					t.Fatalf("coordinate %v off the %d-level grid", v, p)
				}
			}
		}
	}
}

func TestContinuousValues(t *testing.T) {
	s := load(t, head+`parameters:
  - {path: population.regions.south.cameras_per_1000, min: 10, max: 400, integer: true}
  - {path: tiers.caps.0.best, values: [average, trustworthy]}
design: {type: sobol, samples: 8}
`)
	if len(s.Points) != 8*4 {
		t.Fatalf("%d points, want N x (k + 2) = 32", len(s.Points))
	}
	for _, p := range s.Points {
		if strings.Contains(p.Values[0], ".") {
			t.Errorf("integer parameter got %s", p.Values[0])
		}
	}
	// AB^(1) takes coordinate 1 from B, the rest from A.
	a, ab1, b := s.Points[0].Unit, s.Points[1].Unit, s.Points[3].Unit
	if ab1[0] != b[0] || ab1[1] != a[1] {
		t.Errorf("Saltelli layout: A %v AB1 %v B %v", a, ab1, b)
	}
}

// TestLargeDesignValidatesQuickly: a grid of 10^4 points is checked on a
// sample (every distinct value included), not point by point.
func TestLargeDesignValidatesQuickly(t *testing.T) {
	vals := make([]string, 100)
	for i := range vals {
		vals[i] = strconv.Itoa(10 + i)
	}
	list := "[" + strings.Join(vals, ", ") + "]"
	s := load(t, head+"parameters:\n  - {path: population.regions.south.cameras_per_1000, values: "+list+"}\n  - {path: population.regions.north.cameras_per_1000, values: "+list+"}\n")
	if len(s.Points) != 10000 {
		t.Fatalf("%d points", len(s.Points))
	}
	if n := len(pointsToValidate(s)); n > maxValidated {
		t.Errorf("%d points validated", n)
	}
	_, err := Load("test.yaml", []byte(head+"parameters:\n  - {path: population.regions.south.cameras_per_1000, values: "+strings.Replace(list, "109", "-5", 1)+"}\n  - {path: population.regions.north.cameras_per_1000, values: "+list+"}\n"), ".")
	if err == nil || !strings.Contains(err.Error(), "=-5 does not apply") {
		t.Errorf("a bad value among 10^4 points: %v", err)
	}
}
