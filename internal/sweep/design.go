package sweep

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/nosedive-lab/nosedive/internal/yamlfile"
)

// points fills s.Points from the design.
func (l *loader) points(s *Sweep, raw *file) {
	k := len(s.Params)
	var units [][]float64
	switch s.Design.Type {
	case Grid:
		n := 1
		for _, p := range s.Params {
			n *= len(p.Values)
			if n > MaxRuns {
				l.add("parameters", "the grid has more than %d points", MaxRuns)
				return
			}
		}
		for i := range n {
			vals := make([]string, k)
			rest := i
			for j := k - 1; j >= 0; j-- { // the first parameter varies slowest
				nv := len(s.Params[j].Values)
				vals[j] = s.Params[j].Values[rest%nv]
				rest /= nv
			}
			s.Points = append(s.Points, Point{Index: i, Values: vals})
		}
		return
	case List:
		l.listPoints(s, raw)
		return
	case LHS:
		units = LatinHypercube(s.Design.Samples, k, s.Design.Seed)
	case Morris:
		units = MorrisTrajectories(s.Design.Trajectories, k, s.Design.Levels, s.Design.Seed)
	case Sobol:
		units = Saltelli(s.Design.Samples, k)
	}
	for i, u := range units {
		vals := make([]string, k)
		for j := range s.Params {
			vals[j] = s.Params[j].valueAt(u[j])
		}
		s.Points = append(s.Points, Point{Index: i, Values: vals, Unit: u})
	}
}

// valueAt maps a unit-cube coordinate to a parameter value: linearly onto
// [Min, Max] (rounded for integers), or onto equal bins of the levels.
func (p *Param) valueAt(u float64) string {
	if !p.Continuous() {
		i := min(int(u*float64(len(p.Values))), len(p.Values)-1)
		return p.Values[i]
	}
	v := p.Min + float64(u*(p.Max-p.Min))
	if p.Integer {
		return strconv.FormatInt(int64(math.Round(v)), 10)
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

func (l *loader) listPoints(s *Sweep, raw *file) {
	paths := make([]string, len(s.Params))
	for j, p := range s.Params {
		paths[j] = p.Path
	}
	for i, m := range raw.Design.Points {
		if m.Kind != yamlfile.KindMap {
			l.d.Add(m.Pos, "design.points[%d]: expected a mapping of path: value, got %s", i, yamlfile.Describe(m))
			continue
		}
		vals := make([]string, len(s.Params))
		for _, key := range m.Keys {
			if !slices.Contains(paths, key.Value) {
				l.d.Add(key.Pos, "point sets %s, which is not a parameter path%s", key.Value, l.d.Suggest(key.Value, paths))
			}
		}
		for j, p := range s.Params {
			v := m.Get(p.Path)
			if v == nil {
				l.d.Add(m.Pos, "point gives no value for %s (write %s: ~ to leave it as the scenario has it)", p.Path, p.Path)
				continue
			}
			if v.Kind == yamlfile.KindNull {
				continue // ~: the point leaves the path as the scenario has it ("")
			}
			str, ok := valueText(v)
			if !ok || str == "" {
				l.d.Add(v.Pos, "the value of %s must be a single number, word or string", p.Path)
				continue
			}
			vals[j] = str
		}
		s.Points = append(s.Points, Point{Index: i, Values: vals})
	}
	for j := range s.Params {
		num := true
		for _, pt := range s.Points {
			num = num && (isNumber(pt.Values[j]) || pt.Values[j] == "")
		}
		s.Params[j].Numeric = num
	}
}

// LatinHypercube returns n points in [0,1)^k, one in each of n equal
// strata per dimension, from a PCG stream seeded by seed.
func LatinHypercube(n, k int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 0x6c68735f64657369))
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, k)
	}
	for j := range k {
		perm := r.Perm(n)
		for i := range n {
			out[i][j] = (float64(perm[i]) + float64(r.Float64())) / float64(n)
		}
	}
	return out
}

// MorrisTrajectories returns r trajectories of k+1 points each on the
// p-level grid {0, 1/(p-1), ..., 1}^k (Morris 1991): each trajectory starts
// at a random base point and moves one factor at a time, in random order,
// by delta = p / (2(p-1)) up or down. Consecutive points of a trajectory
// differ in exactly one coordinate.
func MorrisTrajectories(r, k, p int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f72726973))
	delta := MorrisDelta(p)
	out := make([][]float64, 0, r*(k+1))
	for range r {
		x := make([]float64, k)
		dir := make([]float64, k)
		for i := range k {
			base := float64(rng.IntN(p/2)) / float64(p-1) // x* <= 1 - delta
			dir[i] = 1
			if rng.IntN(2) == 1 {
				dir[i] = -1
				base += delta
			}
			x[i] = base
		}
		out = append(out, slices.Clone(x))
		for _, i := range rng.Perm(k) {
			x[i] = snap(x[i]+float64(dir[i]*delta), p)
			out = append(out, slices.Clone(x))
		}
	}
	return out
}

// MorrisDelta is the step of a p-level Morris design.
func MorrisDelta(p int) float64 { return float64(p) / (2 * float64(p-1)) }

// snap rounds x to the nearest level of a p-level grid (removing float
// drift so that levels compare exactly).
func snap(x float64, p int) float64 {
	return math.Round(x*float64(p-1)) / float64(p-1)
}

// Saltelli returns the Saltelli (2010) sample for first- and total-order
// Sobol indices without second order: for j = 1..n, rows A_j, AB_j^(1..k),
// B_j, where A and B are the first and last k coordinates of the 2k-dimensional
// Sobol sequence (point 0, all zeros, skipped) and AB^(i) is A with
// coordinate i taken from B. Point j*(k+2)+m is A (m = 0), AB^(m) (1 <= m
// <= k) or B (m = k+1).
func Saltelli(n, k int) [][]float64 {
	seq := NewSobolSeq(2 * k)
	seq.Next() // skip the origin
	out := make([][]float64, 0, n*(k+2))
	for range n {
		x := seq.Next()
		a, b := x[:k], x[k:]
		out = append(out, slices.Clone(a))
		for i := range k {
			ab := slices.Clone(a)
			ab[i] = b[i]
			out = append(out, ab)
		}
		out = append(out, slices.Clone(b))
	}
	return out
}
