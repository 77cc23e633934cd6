package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"pgregory.net/rapid"
)

// genScenario draws a random valid scenario using most of the language.
func genScenario(t *rapid.T) string {
	var b strings.Builder
	nr := rapid.IntRange(1, 3).Draw(t, "regions")
	ng := rapid.IntRange(1, 3).Draw(t, "groups")
	groups := []string{"g0", "g1", "g2"}[:ng]
	b.WriteString("name: prop\npopulation:\n  regions:\n")
	for r := 0; r < nr; r++ {
		share := 1.0 / float64(nr)
		var gs []string
		for g := range groups {
			gs = append(gs, fmt.Sprintf("%s: %g", groups[g], 1.0/float64(ng)))
		}
		fmt.Fprintf(&b, "    - {name: r%d, share: %g, groups: {%s}, cameras_per_1000: %d}\n", r, share, strings.Join(gs, ", "), rapid.IntRange(0, 300).Draw(t, "cams"))
	}
	b.WriteString("  traits:\n    - {name: member, p: 0.3, where: [{group: g0, p: 0.6}]}\n    - {name: press, p: 0.05}\n")
	fmt.Fprintf(&b, "  households: {partnered: %g, children: %g}\n", rapid.Float64Range(0, 1).Draw(t, "partnered"), rapid.Float64Range(0, 2).Draw(t, "kids"))
	model := rapid.SampledFrom([]string{"watts-strogatz", "homophilous", "none"}).Draw(t, "model")
	fmt.Fprintf(&b, "network: {model: %s, degree: %d, rewire: 0.2, homophily: 0.7}\n", model, 2*rapid.IntRange(1, 4).Draw(t, "halfdeg"))
	fmt.Fprintf(&b, "relationships: {form_rate: %g, break_rate: %g, selectivity: %g}\n",
		rapid.Float64Range(0, 0.2).Draw(t, "form"), rapid.Float64Range(0, 0.1).Draw(t, "break"), rapid.Float64Range(0, 5).Draw(t, "sel"))
	b.WriteString("surveillance:\n  channels:\n    - {name: pay, detect: 0.9}\n    - {name: cam, per_camera: 0.01}\n    - {name: net, detect: 1, where: [{region: r0, detect: 0.5}]}\n")
	nb := rapid.IntRange(1, 4).Draw(t, "behaviours")
	b.WriteString("behaviours:\n")
	for k := 0; k < nb; k++ {
		fmt.Fprintf(&b, "  - {name: b%d, channel: %s, context: %s, rate: %g, penalised: %v, gravity: %d, chill: {peers: %g, self: %g, memory: %d}%s}\n",
			k, rapid.SampledFrom([]string{"pay", "cam", "net"}).Draw(t, "ch"), rapid.SampledFrom([]string{"commerce", "online", "travel"}).Draw(t, "ctx"),
			rapid.Float64Range(0, 0.5).Draw(t, "rate"), rapid.Bool().Draw(t, "pen"), rapid.IntRange(0, 10).Draw(t, "grav"),
			rapid.Float64Range(0, 1).Draw(t, "peers"), rapid.Float64Range(0, 1).Draw(t, "self"), rapid.IntRange(1, 20).Draw(t, "mem"),
			rapid.SampledFrom([]string{"", ", eligible: member", ", eligible: \"!flags.marked\""}).Draw(t, "elig"))
	}
	lo, hi := 0, rapid.IntRange(500, 2000).Draw(t, "hi")
	fmt.Fprintf(&b, "chilling: {visible: %s}\n", rapid.SampledFrom([]string{`"detained"`, `tier == "t0"`, `"sanctions.s0 || detained"`}).Draw(t, "vis"))
	fmt.Fprintf(&b, "scoring:\n  range: [%d, %d]\n  initial: [{group: g0, score: %d}, {score: %d}]\n  rules:\n", lo, hi, hi/2, hi/3)
	for k := 0; k < nb; k++ {
		fmt.Fprintf(&b, "    - {name: e%d, on: b%d, amount: %d%s}\n", k, k, rapid.IntRange(-100, 50).Draw(t, "amt"),
			rapid.SampledFrom([]string{"", ", set_flags: [marked]", ", when: member"}).Draw(t, "extra"))
	}
	b.WriteString("    - {name: flagger, every: 3, when: score < 10, amount: 0, set_flags: [marked]}\n")
	fmt.Fprintf(&b, "    - {name: pl, every: %d, when: partner.score < score, amount: -0.05 * (score - partner.score)}\n", rapid.IntRange(1, 5).Draw(t, "every"))
	b.WriteString("    - {name: ac, every: 2, amount: \"-5 * acq.share(tier == \\\"t2\\\") + 0.1 * acq.count\"}\n")
	fmt.Fprintf(&b, "  recovery: {target: %d, rate: %g, direction: %s, unless_flags: [marked]}\n", hi/2, rapid.Float64Range(0, 5).Draw(t, "rec"),
		rapid.SampledFrom([]string{"up", "down", "both"}).Draw(t, "dir"))
	fmt.Fprintf(&b, "tiers:\n  levels: [{name: t0, min: %d}, {name: t1, min: %d}, {name: t2}]\n", hi/2, hi/4)
	b.WriteString("  caps: [{group: g0, best: t1}]\n")
	b.WriteString("sanctions:\n")
	fmt.Fprintf(&b, "  - {name: s0, when: tier == \"t2\", context: travel, blocks: [b0], deny_account: true}\n")
	fmt.Fprintf(&b, "  - {name: s1, target: children, school: true, when: score < %d && partner.score < %d, context: education}\n", hi/3, hi/3)
	fmt.Fprintf(&b, "  - {name: s2, when: score < %d, context: liberty, detain: {release_after: %d%s}}\n", hi/6, rapid.IntRange(0, 6).Draw(t, "rel"),
		rapid.SampledFrom([]string{"", fmt.Sprintf(", release_score: %d", hi/2)}).Draw(t, "rs"))
	if rapid.Bool().Draw(t, "phases") {
		b.WriteString("phases:\n  - {name: pilot, day: 0, regions: [r0], rules: [pl, ac]}\n  - {name: all, day: 3}\n")
	}
	return b.String()
}

// TestPropertyInvariants runs random valid scenarios and checks the
// invariants every day: scores inside the range, tier counts adding up to
// N, flags never clearing, detained people producing no events, and
// baseline + contributions = score.
func TestPropertyInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		src := genScenario(t)
		sc, err := scenario.Load("prop.yaml", []byte(src), nil)
		if err != nil {
			t.Fatalf("generated scenario does not validate: %v\n%s", err, src)
		}
		prog, err := sc.Compile()
		if err != nil {
			t.Fatal(err)
		}
		n := rapid.IntRange(20, 400).Draw(t, "agents")
		pop := population.Generate(sc, n, uint64(rapid.IntRange(1, 1000).Draw(t, "seed")))
		e := New(sc, prog, pop, 12, 1, Options{Workers: rapid.IntRange(1, 3).Draw(t, "workers")})
		prevFlags := make([]uint32, n)
		prevAttempts := make([]uint16, len(e.attempts))
		nb := len(sc.Behaviours)
		for d := 0; d < 12; d++ {
			wasDetained := append([]bool(nil), e.detained...)
			copy(prevAttempts, e.attempts)
			day, _, err := e.Step()
			if err != nil {
				t.Fatalf("day %d: %v\n%s", d, err, src)
			}
			var tiers int64
			for _, c := range day.Cells {
				for _, x := range c.Tier {
					tiers += x
				}
			}
			if tiers != int64(n) {
				t.Fatalf("day %d: tier counts sum to %d, not %d", d, tiers, n)
			}
			for i := 0; i < n; i++ {
				if e.score[i] < e.lo || e.score[i] > e.hi {
					t.Fatalf("day %d agent %d: score %d outside [%d, %d]", d, i, e.score[i], e.lo, e.hi)
				}
				if e.flags[i]&prevFlags[i] != prevFlags[i] {
					t.Fatalf("day %d agent %d: flags cleared (%b -> %b)", d, i, prevFlags[i], e.flags[i])
				}
				prevFlags[i] = e.flags[i]
				if wasDetained[i] {
					for b := 0; b < nb; b++ {
						if e.attempts[i*nb+b] != prevAttempts[i*nb+b] {
							t.Fatalf("day %d agent %d: detained but produced an event", d, i)
						}
					}
				}
			}
		}
		nc := e.nContrib
		for i := 0; i < n; i++ {
			sum := int64(e.baseline[e.cellOf(int(i))])
			for k := 0; k < nc; k++ {
				sum += int64(e.contrib[i*nc+k])
			}
			if sum != int64(e.score[i]) {
				t.Fatalf("agent %d: baseline + contributions %d != score %d", i, sum, e.score[i])
			}
		}
	})
}
