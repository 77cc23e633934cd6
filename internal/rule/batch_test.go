package rule

import (
	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"math"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// randomView is a world of n agents with every column filled at random:
// partners (some missing), a random graph, detained agents, flags.
func randomView(n int, seed uint64) *View {
	s := rng.NewStream(seed)
	v := &View{Day: 7, Score: make([]int32, n), Tier: make([]uint8, n), Group: make([]uint8, n),
		Region: make([]uint8, n), Age: make([]uint8, n), Traits: make([]uint32, n), Flags: make([]uint32, n),
		Sanctions: make([]uint32, n), Partner: make([]int32, n), Kids: make([]uint8, n), Detained: make([]bool, n)}
	var src, dst []int32
	for i := range n {
		v.Score[i] = int32(s.Below(1_300_000))
		v.Tier[i] = uint8(s.Below(3))
		v.Group[i] = uint8(s.Below(2))
		v.Region[i] = uint8(s.Below(2))
		v.Age[i] = uint8(s.Below(2))
		v.Traits[i] = uint32(s.Uint64() & 3)
		v.Flags[i] = uint32(s.Below(2))
		v.Sanctions[i] = uint32(s.Below(2))
		v.Partner[i] = -1
		if s.Float() < 0.6 {
			v.Partner[i] = int32(s.Below(uint64(n)))
		}
		v.Kids[i] = uint8(s.Below(3))
		v.Detained[i] = s.Float() < 0.1
		deg := int(s.Below(3))
		for range deg {
			src, dst = append(src, int32(i)), append(dst, int32(s.Below(uint64(n))))
		}
	}
	v.Graph = netgraph.FromEdges(n, src, dst).Compact()
	return v
}

// Every kind of node, and every expression shape the built-in scenarios use.
var batchCases = []string{
	"1/7", "score", "-score", "children + day", "-0.01 * (score - partner.score)", "0.2",
	"party_member ? 0.2 : -1", "acq.count", "acq.mean(score)", "-0.005 * acq.mean(score)",
	"-1 * acq.count(tier == \"untrustworthy\")", "-2 * acq.count(tier in [\"average\", \"untrustworthy\"])",
	"-5 * acq.share(tier == \"untrustworthy\")", "0.004 * (acq.mean(score) - 2.5)", "acq.min(score) + acq.max(score)",
	"min(score, 900) + max(1, 2) + abs(-3)", "clamp(score, 0, 10)", "2 ** 3 + 7 % 4", "floor(score / 3)",
	"score / (score - 500)", "age == 'young' ? 1/14 : 1/60", "journalist ? 1/30000 : 1/400000",
	"partner.score", "partner.score * 2 - score / 3", "score - partner.score + 1",
}

var batchConds = []string{
	"true", "has_infant_free", "journalist && !flags.enemy_of_state", "journalist && score >= 50", "score < 50",
	"partner.score < score", "partner.party_member", "tier == \"untrustworthy\"", "tier != \"average\"",
	"\"average\" == tier", "tier in [\"average\", \"untrustworthy\"]", "tier not in [\"trustworthy\"]",
	"group == \"uyghur\" || region == \"south\"", "age == \"young\" and not party_member",
	"partner.tier == \"untrustworthy\"", "partner.group == group", "has_partner && partner.score < 850 && score < 850",
	"sanctions.travel_ban", "detained || partner.detained", "children > 0",
	"acq.share(tier == \"untrustworthy\") > 0.3", "score > 900 ? party_member : journalist", "day == 7",
	"score >= partner.score", "score <= 600", "score > 1000",
}

func TestBatchAgreesWithScalar(t *testing.T) {
	v := randomView(3000, 11)
	// Every agent, then an irregular subset in an odd order.
	all := make([]int32, len(v.Score))
	for i := range all {
		all[i] = int32(i)
	}
	var some []int32
	for i := len(all) - 1; i >= 0; i -= 7 {
		some = append(some, int32(i))
	}
	a := &Arena{}
	for _, src := range batchCases {
		x, err := CompileNum(src, schema)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, idx := range [][]int32{all, some, nil} {
			out := make([]float64, len(idx))
			x.Batch(v, idx, out, a)
			for k, i := range idx {
				want := x.Fn(v, i)
				if out[k] != want && !(math.IsNaN(out[k]) && math.IsNaN(want)) {
					t.Fatalf("%s, agent %d: batch %v, scalar %v", src, i, out[k], want)
				}
			}
		}
	}
	s2 := *schema
	s2.Traits = append([]string{}, schema.Traits...)
	s2.Traits = append(s2.Traits, "has_infant_free")
	for _, src := range batchConds {
		x, err := CompileBool(src, &s2)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, idx := range [][]int32{all, some} {
			out := make([]bool, len(idx))
			x.Batch(v, idx, out, a)
			for k, i := range idx {
				if want := x.Fn(v, i); out[k] != want {
					t.Fatalf("%s, agent %d: batch %v, scalar %v", src, i, out[k], want)
				}
			}
		}
	}
	if a.fTop != 0 || a.bTop != 0 || a.eTop != 0 || a.iTop != 0 {
		t.Errorf("the arena was not given back: %+v", *a)
	}
}

func TestBatchDoesNotAllocate(t *testing.T) {
	v := randomView(4096, 3)
	idx := make([]int32, 4096)
	for i := range idx {
		idx[i] = int32(i)
	}
	x, err := CompileNum("-0.01 * (score - partner.score)", schema)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CompileBool("partner.score < score && tier != \"trustworthy\"", schema)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := make([]float64, len(idx)), make([]bool, len(idx))
	a := &Arena{}
	x.Batch(v, idx, out, a) // the arena grows once
	c.Batch(v, idx, ok, a)
	if n := testing.AllocsPerRun(20, func() { x.Batch(v, idx, out, a); c.Batch(v, idx, ok, a) }); n != 0 {
		t.Errorf("%v allocations per evaluation, want 0", n)
	}
}

func BenchmarkRuleKinds(b *testing.B) {
	v := randomView(1<<16, 5)
	idx := make([]int32, 8192)
	for i := range idx {
		idx[i] = int32(i)
	}
	a := &Arena{}
	for _, src := range []string{"-5", "-0.01 * (score - partner.score)", "-5 * acq.share(tier == \"untrustworthy\")"} {
		x, err := CompileNum(src, schema)
		if err != nil {
			b.Fatal(err)
		}
		benchKind(b, src, v, idx, a, x.Fn, x.Batch)
	}
	// Conditions: a selective "and" (right side on a quarter of the
	// agents), and an "or" whose left side decides half of them.
	for _, src := range []string{"journalist && party_member && score < 850 && partner.score < 850", "party_member || tier == \"untrustworthy\""} {
		x, err := CompileBool(src, schema)
		if err != nil {
			b.Fatal(err)
		}
		benchKind(b, src, v, idx, a, x.Fn, x.Batch)
	}
}

// benchKind measures one expression agent by agent (the closure) and as a
// batch kernel.
func benchKind[T any](b *testing.B, src string, v *View, idx []int32, a *Arena,
	fn func(*View, int32) T, batch func(*View, []int32, []T, *Arena)) {
	out := make([]T, len(idx))
	b.Run("scalar/"+src, func(b *testing.B) {
		for b.Loop() {
			for k, i := range idx {
				out[k] = fn(v, i)
			}
		}
		b.ReportMetric(float64(len(idx))*float64(b.N)/b.Elapsed().Seconds(), "agents/s")
	})
	b.Run("batch/"+src, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			batch(v, idx, out, a)
		}
		b.ReportMetric(float64(len(idx))*float64(b.N)/b.Elapsed().Seconds(), "agents/s")
	})
}

// acq.* over a category test or the score reads the acquaintances' columns
// directly; it must give exactly what the general path (a call per
// acquaintance) gives.
func TestAcqDirectShapesAgree(t *testing.T) {
	v := randomView(5000, 11)
	for _, c := range [][2]string{
		{`acq.share(tier in ["average", "untrustworthy"])`, `acq.share((tier in ["average", "untrustworthy"]) == true)`},
		{`acq.count(tier == "untrustworthy")`, `acq.count((tier == "untrustworthy") == true)`},
		{`acq.share(tier != "trustworthy")`, `acq.share((tier != "trustworthy") == true)`},
		{`acq.share(group not in ["han"])`, `acq.share((group not in ["han"]) == true)`},
		{`acq.count(region == "south")`, `acq.count((region == "south") == true)`},
		{`acq.share(age == "young")`, `acq.share((age == "young") == true)`},
		{`acq.mean(score)`, `acq.mean(score + 0)`},
		{`acq.min(score)`, `acq.min(score + 0)`},
		{`acq.max(score)`, `acq.max(score + 0)`},
	} {
		fast, err := CompileNum(c[0], schema)
		if err != nil {
			t.Fatalf("%s: %v", c[0], err)
		}
		slow, err := CompileNum(c[1], schema)
		if err != nil {
			t.Fatalf("%s: %v", c[1], err)
		}
		for i := range int32(5000) {
			if a, b := fast.Fn(v, i), slow.Fn(v, i); math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("%s: agent %d: %v, the general path gives %v", c[0], i, a, b)
			}
		}
	}
	// partner.tier inside a condition is never read as the agent's own
	x, err := CompileBool(`partner.tier == "untrustworthy"`, schema)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int32(5000) {
		p := v.Partner[i]
		want := p >= 0 && v.Tier[p] == 2
		if x.Fn(v, i) != want {
			t.Fatalf("agent %d: partner.tier test wrong", i)
		}
	}
}
