package rule

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// hoistSchemas returns two copies of the table schema: one that hoists
// (with its registry) and one that compiles everything in place.
func hoistSchemas() (hoisted, inPlace *Schema) {
	h, p := tableSchema(), tableSchema()
	h.Hoist = &Hoisted{}
	return h, p
}

// withColumns is v with the hoisted columns of h filled in.
func withColumns(h *Hoisted, v *View) *View {
	cols := h.NewColumns(len(v.Score))
	h.Fill(cols, v, 0, len(v.Score))
	w := *v
	w.StaticNum, w.StaticBool = cols.Num, cols.Bool
	return &w
}

// genExpr writes a random expression of the given type and depth over
// every kind of leaf: constants, static columns (traits, group, region,
// age, children), day, state (score, tier, flags, detention, partner,
// acquaintances), aggregates and tables.
func genExpr(s *rng.Stream, num bool, depth int) string {
	pick := func(xs ...string) string { return xs[s.Below(uint64(len(xs)))] }
	if depth == 0 || s.Float() < 0.25 {
		if num {
			return pick("1", "2.5", "0.1", "7", "100", "score", "children", "day", "partner.score",
				"acq.mean(score)", "pop.mean(score)", "pop.share(score < 600, group)", "line(children * 3)",
				"repay(group, score)", "(party_member ? 90 : 100)", "10 * (journalist ? 1 : 0)")
		}
		return pick("party_member", "journalist", `group == "uyghur"`, `region == "south"`, `age in ["young"]`,
			`tier == "average"`, "flags.enemy_of_state", "detained", "has_partner", "day == 7", "day == 0", "true",
			"sanctions.travel_ban", "children > 1")
	}
	a := func() string { return genExpr(s, true, depth-1) }
	b := func() string { return genExpr(s, false, depth-1) }
	if num {
		switch s.Below(9) {
		case 0:
			return "-(" + a() + ")"
		case 1:
			return "(" + b() + " ? " + a() + " : " + a() + ")"
		case 2:
			return pick("min", "max") + "(" + a() + ", " + a() + ")"
		case 3:
			return "abs(" + a() + ")"
		case 4:
			return "clamp(" + a() + ", " + a() + ", " + a() + ")"
		case 5:
			return "floor(" + a() + ")"
		default:
			return "(" + a() + " " + pick("+", "-", "*", "/") + " " + a() + ")"
		}
	}
	switch s.Below(6) {
	case 0:
		return "!(" + b() + ")"
	case 1:
		return "(" + b() + " ? " + b() + " : " + b() + ")"
	case 2:
		return "(" + a() + " " + pick("<", "<=", ">", ">=", "==", "!=") + " " + a() + ")"
	default:
		return "(" + b() + " " + pick("&&", "||", "and", "or") + " " + b() + ")"
	}
}

// sameNum fails unless the hoisted and in-place compilations give the
// same bits for every agent, per agent and in batches.
func sameNum(t *testing.T, src string, h, p Num, vh, vp *View, idxs [][]int32) {
	t.Helper()
	a := &Arena{}
	for i := range int32(len(vp.Score)) {
		if x, y := h.Fn(vh, i), p.Fn(vp, i); math.Float64bits(x) != math.Float64bits(y) {
			t.Fatalf("%s, agent %d: hoisted %v, in place %v", src, i, x, y)
		}
	}
	for _, idx := range idxs {
		x, y := make([]float64, len(idx)), make([]float64, len(idx))
		h.Batch(vh, idx, x, a)
		p.Batch(vp, idx, y, a)
		for k := range idx {
			if math.Float64bits(x[k]) != math.Float64bits(y[k]) {
				t.Fatalf("%s, agent %d: hoisted batch %v, in place %v", src, idx[k], x[k], y[k])
			}
		}
	}
}

func sameBool(t *testing.T, src string, h, p Bool, vh, vp *View, idxs [][]int32) {
	t.Helper()
	a := &Arena{}
	for i := range int32(len(vp.Score)) {
		if x, y := h.Fn(vh, i), p.Fn(vp, i); x != y {
			t.Fatalf("%s, agent %d: hoisted %v, in place %v", src, i, x, y)
		}
	}
	for _, idx := range idxs {
		x, y := make([]bool, len(idx)), make([]bool, len(idx))
		h.Batch(vh, idx, x, a)
		p.Batch(vp, idx, y, a)
		for k := range idx {
			if x[k] != y[k] {
				t.Fatalf("%s, agent %d: hoisted batch %v, in place %v", src, idx[k], x[k], y[k])
			}
			if x[k] && h.Skip != nil && h.Skip(vh) {
				t.Fatalf("%s: Skip says false today, agent %d is true", src, idx[k])
			}
		}
	}
}

// Hoisted and in-place evaluation give identical bits, for generated
// expressions of every shape, on days where day == 0 holds and where it
// does not.
func TestHoistedAgreesWithInPlace(t *testing.T) {
	s := rng.NewStream(42)
	base := randomView(1500, 9)
	all := make([]int32, len(base.Score))
	for i := range all {
		all[i] = int32(i)
	}
	var some []int32
	for i := len(all) - 1; i >= 0; i -= 5 {
		some = append(some, int32(i))
	}
	idxs := [][]int32{all, some, nil}
	var later []*View
	for d := range 3 {
		w := randomView(len(base.Score), uint64(20+d))
		w.Group, w.Region, w.Age, w.Traits, w.Kids = base.Group, base.Region, base.Age, base.Traits, base.Kids
		later = append(later, w)
	}
	hoistedAny, skipped := 0, 0
	for n := range 600 {
		num := n%2 == 0
		src := genExpr(s, num, 4)
		hs, ps := hoistSchemas()
		var h, p any
		var errH, errP error
		if num {
			h, errH = CompileNum(src, hs)
			p, errP = CompileNum(src, ps)
		} else {
			h, errH = CompileBool(src, hs)
			p, errP = CompileBool(src, ps)
		}
		if fmt.Sprint(errH) != fmt.Sprint(errP) {
			t.Fatalf("%s: hoisted error %v, in place %v", src, errH, errP)
		}
		if errH != nil {
			continue
		}
		if len(hs.Hoist.List) > 0 {
			hoistedAny++
		}
		// The columns are filled at setup; the days after see other
		// scores, tiers, flags, partners and detentions, and the same
		// population.
		cols := withColumns(hs.Hoist, base)
		for d, day := range []int32{0, 7, 30} {
			vp := *later[d]
			vp.Day = day
			vp.Pop = make([]float64, ps.Pop.Size)
			for k := range vp.Pop {
				vp.Pop[k] = float64((k+d)%3) * 300
			}
			vh := vp
			vh.StaticNum, vh.StaticBool = cols.StaticNum, cols.StaticBool
			if num {
				sameNum(t, src, h.(Num), p.(Num), &vh, &vp, idxs)
			} else {
				hb := h.(Bool)
				if hb.Skip != nil && hb.Skip(&vh) {
					skipped++
				}
				sameBool(t, src, hb, p.(Bool), &vh, &vp, idxs)
			}
		}
	}
	if hoistedAny < 100 || skipped < 10 {
		t.Errorf("only %d expressions hoisted something and %d were skipped on a day: the generator misses the cases", hoistedAny, skipped)
	}
}

// Nothing that can change during a run is hoisted: one case per kind of
// mutable state (and day, which is the same for everyone but changes).
func TestStaticRefusesMutable(t *testing.T) {
	mutable := []string{
		"score + 1", `tier == "average"`, "flags.enemy_of_state && true", "!sanctions.travel_ban", "!detained",
		"!has_partner", `partner.group == "han"`, "partner.score * 2", "!partner.party_member", "acq.count + 1",
		`acq.share(group == "han") * 2`, "pop.mean(score) + 1", "pop.share(score < 600, group) * 2",
		"day + 1", "draw(cdf, group) + 1", "court * 2", "repay(group, score) + 1", "(journalist ? score : 1) * 2",
	}
	for _, src := range mutable {
		hs, _ := hoistSchemas()
		hs.Scores = []string{"court"}
		if _, err := CompileNum(src, hs); err != nil {
			if _, err2 := CompileBool(src, hs); err2 != nil {
				t.Fatalf("%s: %v / %v", src, err, err2)
			}
		}
		for _, st := range hs.Hoist.List {
			// only a static part of the expression may be hoisted, never
			// one that names the mutable state
			for _, name := range []string{"score", "tier", "flags", "sanctions", "detained", "partner", "acq", "pop", "day", "draw", "court"} {
				if strings.Contains(st.Key, name) {
					t.Errorf("%s: hoisted %s", src, st.Key)
				}
			}
		}
	}
	// Each kind of static column is hoisted once it carries an operation,
	// and a bare column read is not.
	for src, want := range map[string]int{
		`group == "uyghur"`: 1, `region != "south"`: 1, `age in ["young"]`: 1, "children + 1": 1, "!party_member": 1,
		"line(children)": 1, "repay(group, 400) * 2": 1, "party_member": 0, "children": 0, "group == group": 1,
		"1 + 2": 0, "children > 0 && score > 1": 1,
	} {
		hs, _ := hoistSchemas()
		if _, err := CompileNum(src, hs); err != nil {
			if _, err2 := CompileBool(src, hs); err2 != nil {
				t.Fatalf("%s: %v / %v", src, err, err2)
			}
		}
		if got := len(hs.Hoist.List); got != want {
			t.Errorf("%s: %d columns, want %d", src, got, want)
		}
	}
}

// The same sub-expression, however it is spelt, is hoisted once; a
// different one gets its own column.
func TestHoistDedupes(t *testing.T) {
	hs, _ := hoistSchemas()
	for _, src := range []string{
		"score < (group == 'uyghur' ? 90 : 100) - 10 * ((journalist ? 1 : 0) + (party_member ? 1 : 0))",
		"0.008 * (((group == \"uyghur\") ? 90.0 : 100) - 10 * ((journalist ? 1 : 0) + (party_member ? 1 : 0)) - score)",
		"score > 5 && (journalist and !party_member)",
		"score > 6 || (journalist && not party_member)",
		"score + ((party_member ? 1 : 0) + (journalist ? 1 : 0))", // another order: another column
	} {
		var err error
		if strings.HasPrefix(src, "0.008") || strings.HasPrefix(src, "score +") {
			_, err = CompileNum(src, hs)
		} else {
			_, err = CompileBool(src, hs)
		}
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
	}
	if hs.Hoist.NNum != 2 || hs.Hoist.NBool != 1 {
		var keys []string
		for _, s := range hs.Hoist.List {
			keys = append(keys, s.Key)
		}
		t.Fatalf("%d number and %d condition columns, want 2 and 1: %q", hs.Hoist.NNum, hs.Hoist.NBool, keys)
	}
	if got := hs.Hoist.BytesPerAgent(); got != 17 {
		t.Errorf("%d bytes per agent, want 17", got)
	}
}

// A condition that reads only the day is decided once: Skip says whether
// it is false for everyone, and `and` with such a side is skipped too.
func TestUniformSkip(t *testing.T) {
	hs, _ := hoistSchemas()
	v := testView()
	for _, c := range []struct {
		src            string
		known          bool // Skip is not nil
		skipDay0, skip bool // on day 0 and on day 5
	}{
		{"day == 0", true, false, true},
		{"day == 0 && journalist", true, false, true},
		{"journalist and day > 3", true, true, false},
		{"day == 0 || journalist", false, false, false},
		{"day == 0 || day == 1", true, false, true},
		{"journalist", false, false, false},
		{"pop.mean(score) > 500", true, true, false},
	} {
		b, err := CompileBool(c.src, hs)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if (b.Skip != nil) != c.known {
			t.Errorf("%s: Skip known %v, want %v", c.src, b.Skip != nil, c.known)
			continue
		}
		if b.Skip == nil {
			continue
		}
		v.Pop = []float64{400}
		v.Day = 0
		if got := b.Skip(v); got != c.skipDay0 {
			t.Errorf("%s on day 0: Skip %v, want %v", c.src, got, c.skipDay0)
		}
		v.Day, v.Pop[0] = 5, 600
		if got := b.Skip(v); got != c.skip {
			t.Errorf("%s on day 5: Skip %v, want %v", c.src, got, c.skip)
		}
	}
}

// Switching hoisting off (no registry) compiles in place: no columns, no
// Skip. The engine relies on the registry being there.
func TestNoRegistryNoHoisting(t *testing.T) {
	_, ps := hoistSchemas()
	b, err := CompileBool("day == 0 && (group == 'uyghur' ? journalist : party_member)", ps)
	if err != nil {
		t.Fatal(err)
	}
	if b.Skip != nil || ps.Hoist != nil {
		t.Error("compiled without a registry, the expression was hoisted")
	}
}
