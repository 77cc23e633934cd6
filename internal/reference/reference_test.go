package reference

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestDeterminism(t *testing.T) {
	a := RunBenchmark(2000, 30, 7)
	b := RunBenchmark(2000, 30, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed gave different results:\n%+v\n%+v", a, b)
	}
	c := RunBenchmark(2000, 30, 8)
	if reflect.DeepEqual(a, c) {
		t.Fatalf("different seeds gave identical results: %+v", a)
	}
}

func TestWattsStrogatz(t *testing.T) {
	for _, n := range []int{11, 50, 2000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		off, nbrs := wattsStrogatz(n, 5, 0.1, r)
		if len(off) != n+1 || int(off[n]) != len(nbrs) {
			t.Fatalf("n=%d: malformed adjacency", n)
		}
		edges := map[[2]int32]int{}
		for i := 0; i < n; i++ {
			seen := map[int32]bool{}
			for _, j := range nbrs[off[i]:off[i+1]] {
				if j == int32(i) {
					t.Fatalf("n=%d: self loop at %d", n, i)
				}
				if seen[j] {
					t.Fatalf("n=%d: duplicate edge %d-%d", n, i, j)
				}
				seen[j] = true
				a, b := int32(i), j
				if a > b {
					a, b = b, a
				}
				edges[[2]int32{a, b}]++
			}
		}
		for e, c := range edges {
			if c != 2 {
				t.Fatalf("n=%d: edge %v seen %d times (graph not undirected)", n, e, c)
			}
		}
		if len(edges) != 5*n {
			t.Fatalf("n=%d: %d edges, want %d", n, len(edges), 5*n)
		}
		if mean := float64(len(nbrs)) / float64(n); mean != 10 {
			t.Fatalf("n=%d: mean degree %v, want 10", n, mean)
		}
		if n == 2000 {
			// Fraction of edges that are not lattice edges ~ 0.1 (slightly
			// less, as a rewired end may land within lattice distance).
			far := 0
			for e := range edges {
				d := int(e[1] - e[0])
				if d > n/2 {
					d = n - d
				}
				if d > 5 {
					far++
				}
			}
			frac := float64(far) / float64(len(edges))
			if frac < 0.085 || frac > 0.115 {
				t.Fatalf("rewired fraction %.4f, want about 0.1", frac)
			}
		}
	}
}

func TestPopulationAndPartners(t *testing.T) {
	const n = 20001
	w := newWorld(n, rand.New(rand.NewPCG(3, 4)))
	paired := 0
	cnt := map[string]int{}
	for i := 0; i < n; i++ {
		if q := w.partner[i]; q >= 0 {
			paired++
			if q == int32(i) || w.partner[q] != int32(i) {
				t.Fatalf("partner relation not symmetric at %d", i)
			}
		}
		if w.groupA[i] {
			cnt["a"]++
		}
		if w.party[i] {
			cnt["party"]++
		}
		if w.journalist[i] {
			cnt["journalist"]++
		}
		if w.infant[i] {
			cnt["infant"]++
		}
	}
	if want := (n / 2) &^ 1; paired != want {
		t.Fatalf("%d agents paired, want %d", paired, want)
	}
	for k, p := range map[string]float64{"a": 0.55, "party": 0.08, "journalist": 0.002, "infant": 0.10} {
		checkBinomial(t, k, cnt[k], float64(n)*p, float64(n)*p*(1-p))
	}
}

func TestZeroDays(t *testing.T) {
	res := RunBenchmark(3000, 0, 1)
	want := map[string]float64{"a": 1000, "b": 950}
	total := 0
	for g, m := range want {
		gr := res.Groups[g]
		total += gr.N
		if gr.MeanScore != m {
			t.Errorf("group %s mean %v, want %v", g, gr.MeanScore, m)
		}
		if gr.TierShare[TierAverage] != 1 || gr.TierShare[TierTrustworthy] != 0 || gr.TierShare[TierUntrustworthy] != 0 {
			t.Errorf("group %s tiers %v, want all average", g, gr.TierShare)
		}
		if gr.TravelBan != 0 || gr.SchoolBlock != 0 || gr.Flagged != 0 {
			t.Errorf("group %s has sanctions/flags at day 0: %+v", g, gr)
		}
	}
	if total != 3000 {
		t.Errorf("groups hold %d agents, want 3000", total)
	}
}

// checkBinomial fails if obs is more than 5 standard deviations from exp.
func checkBinomial(t *testing.T, name string, obs int, exp, variance float64) {
	t.Helper()
	sd := math.Sqrt(variance)
	if z := (float64(obs) - exp) / sd; math.Abs(z) > 5 {
		t.Errorf("%s: observed %d, expected %.1f (sd %.1f, z=%.2f)", name, obs, exp, sd, z)
	}
}

func TestEventFrequencies(t *testing.T) {
	const n, days = 5000, 100
	w := simulate(n, days, 11)
	st := w.stats
	for name, c := range map[string]counter{
		"buy_alcohol":           st.alcohol,
		"visit_nightclub":       st.nightclub,
		"nightclub_detected":    st.nightclubDetected,
		"buy_nappies":           st.nappies,
		"publish_investigation": st.publish,
	} {
		if c.draws == 0 {
			t.Errorf("%s: no draws", name)
			continue
		}
		checkBinomial(t, name, c.hits, c.expected, c.variance)
	}
	if st.alcohol.draws != n*days || st.nightclub.draws != n*days {
		t.Errorf("alcohol/nightclub drawn %d/%d times, want %d", st.alcohol.draws, st.nightclub.draws, n*days)
	}
	// The mean chill must have dropped below 1 by then (some untrustworthy agents).
	if st.alcohol.expected >= float64(n*days)/7 {
		t.Errorf("chill never dropped below 1")
	}
	// Independent, hard-coded rate check on the nightclub detection.
	checkBinomial(t, "nightclub_detection_rate", st.nightclubDetected.hits,
		0.6*float64(st.nightclub.hits), 0.24*float64(st.nightclub.hits))
}

// TestDailyDelta compares the summed one-day change of the scores with its
// expectation computed independently from the start-of-day state.
func TestDailyDelta(t *testing.T) {
	const n = 5000
	r := rand.New(rand.NewPCG(21, 22))
	w := newWorld(n, r)
	for day := 1; day <= 120; day++ {
		before := append([]float64(nil), w.score...)
		tiers := append([]uint8(nil), w.tier...)
		flagged := append([]bool(nil), w.flagged...)
		w.step(r)
		if day != 1 && day != 40 && day != 120 {
			continue
		}
		var exp, variance, obs float64
		for i := 0; i < n; i++ {
			s := before[i]
			deg, bad := 0, 0
			for _, j := range w.nbrs[w.off[i]:w.off[i+1]] {
				deg++
				if tiers[j] == tierUntrustworthy {
					bad++
				}
			}
			c := 1.0
			if deg > 0 {
				c = 1 - 0.5*float64(bad)/float64(deg)
			}
			if day == 1 && c != 1 {
				t.Fatalf("chill %v on day 1", c)
			}
			pa, pn := c/7, c/30*0.6
			e := -5*pa - 10*pn
			v := 25*pa*(1-pa) + 100*pn*(1-pn)
			if w.infant[i] {
				e += 2.0 / 3
				v += 4 * (1.0 / 3) * (2.0 / 3)
			}
			if q := w.partner[i]; q >= 0 {
				if before[q] < s {
					e -= 0.01 * (s - before[q])
				}
				if w.party[q] {
					e += 0.2
				}
			}
			rec := 0.0
			if s < 1000 {
				rec = math.Min(0.5, 1000-s)
			}
			if w.journalist[i] && !flagged[i] {
				pp := c / 15
				e += pp*(-300) + (1-pp)*rec
				v += pp * (1 - pp) * (300 + rec) * (300 + rec)
			} else if !flagged[i] {
				e += rec
			}
			exp += e
			variance += v
			obs += w.score[i] - s
		}
		if z := (obs - exp) / math.Sqrt(variance); math.Abs(z) > 5 {
			t.Errorf("day %d: summed delta %.1f, expected %.1f (z=%.2f)", day, obs, exp, z)
		}
	}
}

func TestClampAndTierCap(t *testing.T) {
	if clamp(-3) != 0 || clamp(1301) != 1300 || clamp(500) != 500 {
		t.Fatal("clamp wrong")
	}
	for _, s := range []float64{1050, 1200, 1300} {
		if tierOf(s, false) != tierAverage {
			t.Errorf("group b at %v is not capped at average", s)
		}
		if tierOf(s, true) != tierTrustworthy {
			t.Errorf("group a at %v is not trustworthy", s)
		}
	}
	if tierOf(1049.99, true) != tierAverage || tierOf(900, true) != tierAverage ||
		tierOf(899.99, true) != tierUntrustworthy || tierOf(899.99, false) != tierUntrustworthy {
		t.Error("tier thresholds wrong")
	}

	// Push everybody to the bounds and check the clamp binds on both sides.
	const n = 3000
	r := rand.New(rand.NewPCG(5, 6))
	w := newWorld(n, r)
	for _, start := range []float64{0, 1300} {
		for i := range w.score {
			w.score[i] = start
			w.tier[i] = tierOf(start, w.groupA[i])
		}
		w.step(r)
		atBound := 0
		for i, s := range w.score {
			if s < 0 || s > 1300 {
				t.Fatalf("score %v of agent %d out of range", s, i)
			}
			if s == start {
				atBound++
			}
		}
		if atBound == 0 {
			t.Errorf("clamp at %v never bound", start)
		}
		if start == 1300 {
			res := w.summarise()
			if res.Groups["b"].TierShare[TierTrustworthy] != 0 {
				t.Errorf("group b has trustworthy agents")
			}
			if res.Groups["a"].TierShare[TierTrustworthy] == 0 {
				t.Errorf("group a has no trustworthy agents at 1300")
			}
		}
	}

	// A normal run stays in range and never makes group b trustworthy.
	w = simulate(3000, 200, 9)
	for i, s := range w.score {
		if s < 0 || s > 1300 {
			t.Fatalf("score %v of agent %d out of range", s, i)
		}
		if !w.groupA[i] && w.tier[i] == tierTrustworthy {
			t.Fatalf("group b agent %d trustworthy", i)
		}
	}
}

func TestSanctions(t *testing.T) {
	w := newWorld(200, rand.New(rand.NewPCG(1, 2)))
	var i, q int32 = -1, -1
	for k := range w.partner {
		if w.partner[k] >= 0 {
			i, q = int32(k), w.partner[k]
			break
		}
	}
	w.infant[i], w.infant[q] = true, false
	for _, c := range []struct {
		si, sq float64
		want   bool
	}{{849, 849, true}, {849, 850, false}, {850, 100, false}, {0, 0, true}} {
		w.score[i], w.score[q] = c.si, c.sq
		if got := w.schoolBlock(int(i)); got != c.want {
			t.Errorf("school_block(%v,%v) = %v, want %v", c.si, c.sq, got, c.want)
		}
		if w.schoolBlock(int(q)) {
			t.Errorf("school_block for agent without infant")
		}
	}
	w.tier[i] = tierUntrustworthy
	if !w.travelBan(int(i)) {
		t.Error("untrustworthy agent without travel_ban")
	}
	w.tier[i] = tierAverage
	if w.travelBan(int(i)) {
		t.Error("average agent with travel_ban")
	}
}

// TestFullBenchmark logs the full-size benchmark (100,000 agents, 365 days).
func TestFullBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("full benchmark skipped in short mode")
	}
	start := time.Now()
	res := RunBenchmark(100000, 365, 1)
	t.Logf("wall time %v", time.Since(start))
	for _, g := range []string{"a", "b"} {
		gr := res.Groups[g]
		t.Logf("group %s: N=%d mean=%.2f trustworthy=%.4f average=%.4f untrustworthy=%.4f travel_ban=%.4f school_block=%.4f flagged=%d",
			g, gr.N, gr.MeanScore, gr.TierShare[TierTrustworthy], gr.TierShare[TierAverage],
			gr.TierShare[TierUntrustworthy], gr.TravelBan, gr.SchoolBlock, gr.Flagged)
	}
}
