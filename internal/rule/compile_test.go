package rule

import (
	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"strings"
	"testing"
)

var schema = &Schema{
	Tiers:     []string{"trustworthy", "average", "untrustworthy"},
	Groups:    []string{"han", "uyghur"},
	Regions:   []string{"north", "south"},
	Ages:      []string{"young", "adult"},
	Traits:    []string{"party_member", "journalist"},
	Flags:     []string{"enemy_of_state"},
	Sanctions: []string{"travel_ban"},
}

// A three-agent world: 0 and 1 are partners; 0-1-2 is a path.
func testView() *View {
	return &View{
		Day:       5,
		Score:     []int32{1000_000, 800_500, 950_000},
		Tier:      []uint8{1, 2, 1},
		Group:     []uint8{0, 1, 1},
		Region:    []uint8{0, 0, 1},
		Age:       []uint8{1, 0, 1},
		Traits:    []uint32{0b01, 0b10, 0},
		Flags:     []uint32{0, 1, 0},
		Sanctions: []uint32{0, 1, 0},
		Partner:   []int32{1, 0, -1},
		Kids:      []uint8{2, 2, 0},
		Detained:  []bool{false, false, false},
		Graph:     netgraph.FromEdges(3, []int32{0, 1}, []int32{1, 2}),
	}
}

func TestNumbers(t *testing.T) {
	v := testView()
	cases := []struct {
		src   string
		agent int32
		want  float64
	}{
		{"1/7", 0, 1.0 / 7},
		{"-0.01 * (score - partner.score)", 0, -0.01 * (1000 - 800.5)},
		{"score", 1, 800.5},
		{"children + day", 0, 7},
		{"party_member ? 0.2 : -1", 0, 0.2},
		{"party_member ? 0.2 : -1", 1, -1},
		{"acq.count", 1, 2},
		{"acq.mean(score)", 1, 975},
		{"acq.min(score)", 1, 950},
		{"acq.max(score)", 1, 1000},
		{"acq.share(tier == \"average\")", 1, 1},
		{"acq.count(group == \"uyghur\")", 1, 1},
		{"min(score, 900) + max(1, 2) + abs(-3)", 0, 905},
		{"clamp(score, 0, 10)", 0, 10},
		{"2 ** 3 + 7 % 4", 0, 11},
		{"floor(score / 3)", 1, 266},
	}
	for _, c := range cases {
		n, err := CompileNum(c.src, schema)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		got := n.Value
		if !n.Const {
			got = n.Fn(v, c.agent)
		}
		if diff := got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s for agent %d: got %v, want %v", c.src, c.agent, got, c.want)
		}
	}
}

func TestConditions(t *testing.T) {
	v := testView()
	cases := []struct {
		src   string
		agent int32
		want  bool
	}{
		{`tier == "average"`, 0, true},
		{`tier != "average"`, 1, true},
		{`group == "uyghur" && region == "north"`, 1, true},
		{`group in ["han"]`, 0, true},
		{`group not in ["han"]`, 0, false},
		{`age == "young" or journalist`, 1, true},
		{`flags.enemy_of_state`, 1, true},
		{`not flags.enemy_of_state`, 0, true},
		{`sanctions.travel_ban`, 1, true},
		{`has_partner`, 2, false},
		{`partner.group == group`, 0, false},
		{`partner.tier == "untrustworthy"`, 0, true},
		{`score < 850 && partner.score < 850`, 0, false},
		{`detained`, 0, false},
	}
	for _, c := range cases {
		b, err := CompileBool(c.src, schema)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := b.Fn(v, c.agent); got != c.want {
			t.Errorf("%s for agent %d: got %v, want %v", c.src, c.agent, got, c.want)
		}
	}
}

func TestRefs(t *testing.T) {
	n, _ := CompileNum("-0.01 * (score - partner.score)", schema)
	if !n.Refs.Partner || n.Refs.Acq {
		t.Errorf("refs %+v, want partner only", n.Refs)
	}
	b, _ := CompileBool(`acq.share(tier == "untrustworthy") > 0.5`, schema)
	if b.Refs.Partner || !b.Refs.Acq {
		t.Errorf("refs %+v, want acq only", b.Refs)
	}
	c, _ := CompileNum("3 * 4", schema)
	if !c.Const || c.Value != 12 {
		t.Errorf("3 * 4 not folded: %+v", c)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		src, want string
		col       int
		cond      bool
	}{
		{"scroe + 1", `unknown name "scroe" (did you mean "score"?)`, 0, false},
		{`tier == "trustwrthy"`, `unknown tier "trustwrthy" (did you mean "trustworthy"?)`, 8, true},
		{"score +", "syntax error", 6, false},
		{"score", "expected a condition (true/false), got a number", 0, true},
		{"tier", "expected a number, got a tier name", 0, false},
		{"1 / 0", "division by zero", 2, false},
		{"score && true", "&& needs conditions on both sides, got a number and a condition", 6, true},
		{"flags.enemy", `unknown flag "enemy"`, 6, true},
		{"partner.partner.score", "only name.field is supported", 16, false},
		{"acq.share(score)", "acq.share needs a condition", 10, false},
		{"acq.share(acq.count > 1)", "cannot be nested", 14, false},
		{"foo(1)", `unknown function "foo"`, 0, false},
		{"[1, 2]", "lists may only hold names", 1, false},
		{`group == region`, "cannot compare a group name with a region name", 6, true},
		{"", "empty expression", 0, false},
	}
	for _, c := range cases {
		var err error
		if c.cond {
			_, err = CompileBool(c.src, schema)
		} else {
			_, err = CompileNum(c.src, schema)
		}
		if err == nil {
			t.Errorf("%q: no error, want %q", c.src, c.want)
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error %T, want *Error", c.src, err)
			continue
		}
		if !strings.Contains(e.Msg, c.want) {
			t.Errorf("%q: %q, want it to contain %q", c.src, e.Msg, c.want)
		}
		if e.Col != c.col {
			t.Errorf("%q: column %d, want %d (%s)", c.src, e.Col, c.col, e.Msg)
		}
	}
}

// The per-agent evaluation must not allocate.
func TestNoAllocations(t *testing.T) {
	v := testView()
	n, err := CompileNum(`party_member ? -0.01 * (score - partner.score) + acq.share(tier == "untrustworthy") : 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { n.Fn(v, 0) }); a != 0 {
		t.Errorf("%v allocations per evaluation", a)
	}
}

func BenchmarkPartnerRule(b *testing.B) {
	v := testView()
	n, _ := CompileNum("-0.01 * (score - partner.score)", schema)
	c, _ := CompileBool("partner.score < score", schema)
	b.ReportAllocs()
	s := 0.0
	for b.Loop() {
		if c.Fn(v, 0) {
			s += n.Fn(v, 0)
		}
	}
	_ = s
}

// FuzzCompile checks the compiler never panics and that a compiled
// expression evaluates without panicking on a valid view.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"1/7", "-0.01 * (score - partner.score)", `tier == "average"`, `acq.share(tier == "untrustworthy") > 0.3`,
		"party_member ? 1 : 2", `group in ["han", "uyghur"]`, "min(score, 3)", "flags.enemy_of_state && !journalist", "score +", "((", "1 ** 2"} {
		f.Add(s)
	}
	v := testView()
	f.Fuzz(func(t *testing.T, src string) {
		if n, err := CompileNum(src, schema); err == nil {
			for i := int32(0); i < 3; i++ {
				_ = n.Fn(v, i)
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("%q: error of type %T", src, err)
		}
		if b, err := CompileBool(src, schema); err == nil {
			for i := int32(0); i < 3; i++ {
				_ = b.Fn(v, i)
			}
		}
	})
}

// Refs.Others names exactly the state read of agents other than the one
// evaluated: the engine keeps a start-of-day copy only of those.
func TestRefsOthers(t *testing.T) {
	for src, want := range map[string]Fields{
		"score < 850 && tier == \"average\" && flags.enemy_of_state && sanctions.travel_ban && !detained && has_partner": 0,
		"partner.score < score":                                       FieldScore,
		"partner.tier == \"untrustworthy\"":                           FieldTier,
		"partner.detained || partner.has_partner":                     FieldDetained | FieldPartner,
		"acq.share(tier == \"untrustworthy\") > 0.5":                  FieldTier | FieldDetained,
		"acq.count(flags.enemy_of_state) > 0":                         FieldFlags | FieldDetained,
		"acq.share(sanctions.travel_ban) > 0 && partner.party_member": FieldSanctions | FieldDetained,
		"acq.count > 3": FieldDetained,
	} {
		x, err := CompileBool(src, schema)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if x.Refs.Others != want {
			t.Errorf("%s: Others = %b, want %b", src, x.Refs.Others, want)
		}
	}
}
