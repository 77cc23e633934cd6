package scenario

import (
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// randomWorld is a view of n agents of scenario s with every column
// filled at random within the scenario's names, and the population
// aggregates and extra scores the program reads.
func randomWorld(s *Scenario, p *Program, n int, seed uint64) *rule.View {
	sc := s.Schema()
	r := rng.NewStream(seed)
	below := func(k int) uint8 { return uint8(r.Below(uint64(max(k, 1)))) }
	v := &rule.View{Day: int32(r.Below(400)), Score: make([]int32, n), Tier: make([]uint8, n), Group: make([]uint8, n),
		Region: make([]uint8, n), Age: make([]uint8, n), Traits: make([]uint32, n), Flags: make([]uint32, n),
		Sanctions: make([]uint32, n), Partner: make([]int32, n), Kids: make([]uint8, n), Detained: make([]bool, n),
		Rand: rng.Key(seed, "rule/draw")}
	lo, hi := s.Scoring.Range[0], s.Scoring.Range[1]
	var src, dst []int32
	for i := range n {
		v.Score[i] = int32(math.Round((lo + r.Float()*(hi-lo)) * rule.Scale))
		v.Tier[i], v.Group[i], v.Region[i], v.Age[i] = below(len(sc.Tiers)), below(len(sc.Groups)), below(len(sc.Regions)), below(len(sc.Ages))
		v.Traits[i], v.Flags[i], v.Sanctions[i] = uint32(r.Uint64()), uint32(r.Uint64()), uint32(r.Uint64())
		v.Partner[i] = -1
		if r.Float() < 0.6 {
			v.Partner[i] = int32(r.Below(uint64(n)))
		}
		v.Kids[i] = below(4)
		v.Detained[i] = r.Float() < 0.1
		for range r.Below(6) {
			src, dst = append(src, int32(i)), append(dst, int32(r.Below(uint64(n))))
		}
	}
	v.Graph = netgraph.FromEdges(n, src, dst)
	v.Pop = make([]float64, p.Pop.Size)
	for k := range v.Pop {
		v.Pop[k] = lo + r.Float()*(hi-lo)
	}
	for range sc.Scores {
		col := make([]int32, n)
		for i := range col {
			col[i] = int32(r.Below(uint64(1000 * rule.Scale)))
		}
		v.Scores = append(v.Scores, col)
	}
	return v
}

// programExprs lists a program's day expressions in a fixed order.
func programExprs(p *Program) (nums []rule.Num, bools []rule.Bool) {
	nums = append(append(nums, p.Rate...), p.RuleAmount...)
	bools = append(append(append(append(bools, p.Eligible...), p.Visible), p.RuleWhen...), p.SanctionWhen...)
	bools = append(bools, p.PrivilegeWhen...)
	for _, x := range p.Institutions {
		nums = append(nums, x.Score, x.Believes, x.Success)
		bools = append(bools, x.Applicants)
	}
	for _, a := range p.Pop.List {
		nums, bools = append(nums, a.Num), append(bools, a.Cond)
	}
	return nums, bools
}

// Every built-in's expressions give the same bits hoisted as compiled in
// place, per agent and in batches, on states unlike the one the columns
// were filled from (only the population is the same).
func TestBuiltinsHoistedAgreeWithInPlace(t *testing.T) {
	for _, name := range specBuiltins {
		s, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		ph := s.compileWith(newDiags(s.File, s.Source, nil), true)
		pp := s.compileWith(newDiags(s.File, s.Source, nil), false)
		const n = 3000
		setup := randomWorld(s, pp, n, 1)
		cols := ph.Hoisted.NewColumns(n)
		ph.Hoisted.Fill(cols, setup, 0, n)
		nh, bh := programExprs(ph)
		np, bp := programExprs(pp)
		idx := make([]int32, 0, n)
		for i := n - 1; i >= 0; i -= 3 {
			idx = append(idx, int32(i))
		}
		a := &rule.Arena{}
		for day := range 3 {
			vp := randomWorld(s, pp, n, uint64(10+day))
			vp.Group, vp.Region, vp.Age, vp.Traits, vp.Kids = setup.Group, setup.Region, setup.Age, setup.Traits, setup.Kids
			vp.Day = int32([]int{0, 1, 200}[day])
			vh := *vp
			vh.StaticNum, vh.StaticBool = cols.Num, cols.Bool
			for k := range nh {
				if nh[k].Fn == nil {
					continue
				}
				x, y := make([]float64, len(idx)), make([]float64, len(idx))
				nh[k].Batch(&vh, idx, x, a)
				np[k].Batch(vp, idx, y, a)
				for j, i := range idx {
					h, p := nh[k].Fn(&vh, i), np[k].Fn(vp, i)
					if math.Float64bits(h) != math.Float64bits(p) || math.Float64bits(x[j]) != math.Float64bits(y[j]) {
						t.Fatalf("%s, number %d, agent %d: hoisted %v (batch %v), in place %v (batch %v)", name, k, i, h, x[j], p, y[j])
					}
				}
			}
			for k := range bh {
				if bh[k].Fn == nil {
					continue
				}
				x, y := make([]bool, len(idx)), make([]bool, len(idx))
				bh[k].Batch(&vh, idx, x, a)
				bp[k].Batch(vp, idx, y, a)
				skip := bh[k].Skip != nil && bh[k].Skip(&vh)
				for j, i := range idx {
					h, p := bh[k].Fn(&vh, i), bp[k].Fn(vp, i)
					if h != p || x[j] != y[j] || (skip && p) {
						t.Fatalf("%s, condition %d, agent %d: hoisted %v (batch %v, skip %v), in place %v (batch %v)", name, k, i, h, x[j], skip, p, y[j])
					}
				}
			}
		}
	}
}

// xinjiang-pilot's standing assessment, the sum of eight ternaries that
// the rehabilitation rule's condition and amount both read, is one column;
// with the profile's amount and the rates of calls abroad and VPN use,
// four columns of 8 bytes.
// The profile rule (day == 0) is decided once a day. Fails when hoisting
// is off.
func TestXinjiangHoisted(t *testing.T) {
	s, err := Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	standing := 0
	for _, x := range p.Hoisted.List {
		if strings.HasPrefix(x.Key, `(- (?: (== $group "uyghur") 90 100) (* 10 (+ `) && strings.Count(x.Key, "?:") == 9 {
			standing++
		}
	}
	if standing != 1 || p.Hoisted.NNum != 4 || p.Hoisted.NBool != 0 || p.Hoisted.BytesPerAgent() != 32 {
		t.Errorf("%d standing-assessment columns of %d numbers and %d conditions, want 1 of 4 and 0", standing, p.Hoisted.NNum, p.Hoisted.NBool)
	}
	profile := p.RuleWhen[0]
	if profile.Skip == nil || profile.Skip(&rule.View{Day: 0}) || !profile.Skip(&rule.View{Day: 1}) {
		t.Error("the profile rule's day == 0 is not decided per day")
	}
}

// No built-in that the memory figures are measured on gains a column: the
// benchmark scenario has no static sub-expression with an operation.
func TestBenchmarkHoistsNothing(t *testing.T) {
	s, err := Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Hoisted.BytesPerAgent(); b != 0 {
		t.Errorf("benchmark hoists %d bytes per agent", b)
	}
}
