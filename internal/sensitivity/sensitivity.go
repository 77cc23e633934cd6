// Package sensitivity estimates which parameters drive a model output from
// the designs of internal/sweep: Morris elementary effects (mu, mu*, sigma)
// over trajectories, and Sobol first-order and total indices (Saltelli
// 2010, Jansen 1999) with bootstrap confidence intervals.
//
// It works on plain slices (unit-cube design points and outputs), knows
// nothing about runs or files, and uses the standard library only. Its
// tests check the estimators on functions with known answers (a linear
// model, the Ishigami function).
package sensitivity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// z975 is the 0.975 quantile of the standard normal.
const z975 = 1.959963984540054

// DefaultResamples is the number of bootstrap resamples.
const DefaultResamples = 1000

// MorrisIndex is one parameter's elementary-effect statistics (Campolongo
// et al. 2007): mu (mean effect, signed), mu* (mean absolute effect: the
// importance), sigma (spread: interactions or non-linearity) and a 95%
// bootstrap interval half-width for mu*. Effects are per unit of the
// parameter's range (the design's unit cube), so they compare across
// parameters.
type MorrisIndex struct {
	MuStar, MuStarConf float64
	Mu, Sigma          float64
	N                  int // elementary effects used
}

// Morris computes elementary-effect statistics from r trajectories of k+1
// points each (points[t*(k+1)+j], unit-cube coordinates) and their outputs
// y. A NaN output (a failed or missing run) drops the two effects that
// use it. It returns warnings for small or incomplete samples.
func Morris(points [][]float64, y []float64, k int, seed uint64) ([]MorrisIndex, []string, error) {
	if k < 1 || len(points) != len(y) || len(points)%(k+1) != 0 {
		return nil, nil, fmt.Errorf("morris: %d points and %d outputs do not form trajectories of %d points", len(points), len(y), k+1)
	}
	r := len(points) / (k + 1)
	ee := make([][]float64, k)
	for t := range r {
		for j := range k {
			a, b := t*(k+1)+j, t*(k+1)+j+1
			i := -1
			for d := range k {
				if points[a][d] != points[b][d] {
					if i >= 0 {
						return nil, nil, fmt.Errorf("morris: points %d and %d differ in more than one coordinate", a, b)
					}
					i = d
				}
			}
			if i < 0 {
				return nil, nil, fmt.Errorf("morris: points %d and %d are equal", a, b)
			}
			if math.IsNaN(y[a]) || math.IsNaN(y[b]) {
				continue
			}
			ee[i] = append(ee[i], (y[b]-y[a])/(points[b][i]-points[a][i]))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d75737461))
	out := make([]MorrisIndex, k)
	var warn []string
	if r < 10 {
		warn = append(warn, fmt.Sprintf("only %d trajectories: Morris rankings are usually stable from about 10 (20 to 50 for close calls)", r))
	}
	for i, e := range ee {
		if len(e) < r {
			warn = append(warn, fmt.Sprintf("parameter %d: %d of %d elementary effects (runs missing or failed)", i, len(e), r))
		}
		out[i] = MorrisIndex{N: len(e), Mu: mean(e), MuStar: meanAbs(e), Sigma: sd(e)}
		if len(e) >= 2 {
			boot := make([]float64, DefaultResamples)
			res := make([]float64, len(e))
			for b := range boot {
				for j := range res {
					res[j] = e[rng.IntN(len(e))]
				}
				boot[b] = meanAbs(res)
			}
			out[i].MuStarConf = z975 * sd(boot)
		} else {
			out[i].MuStarConf = math.NaN()
		}
	}
	return out, warn, nil
}

// SobolIndex is one parameter's first-order (S1) and total (ST) Sobol
// index with 95% bootstrap interval half-widths.
type SobolIndex struct {
	S1, S1Conf float64
	ST, STConf float64
}

// Sobol estimates first-order (Saltelli et al. 2010) and total (Jansen
// 1999) indices from outputs in the Saltelli layout of sweep.Saltelli:
// y[j*(k+2)] = f(A_j), y[j*(k+2)+i] = f(AB_j^(i)), y[j*(k+2)+k+1] = f(B_j).
// Blocks with a NaN output are dropped (with a warning). Warnings also say
// when N is too small or an interval too wide for stable indices.
func Sobol(y []float64, k int, seed uint64) ([]SobolIndex, []string, error) {
	if k < 1 || len(y)%(k+2) != 0 || len(y) == 0 {
		return nil, nil, fmt.Errorf("sobol: %d outputs do not form blocks of %d (k + 2)", len(y), k+2)
	}
	var blocks [][]float64
	for j := 0; j < len(y); j += k + 2 {
		b := y[j : j+k+2]
		if slices.ContainsFunc(b, math.IsNaN) {
			continue
		}
		blocks = append(blocks, b)
	}
	n := len(blocks)
	var warn []string
	if dropped := len(y)/(k+2) - n; dropped > 0 {
		warn = append(warn, fmt.Sprintf("%d of %d sample blocks dropped (runs missing or failed)", dropped, len(y)/(k+2)))
	}
	if n < 2 {
		return nil, warn, fmt.Errorf("sobol: %d complete sample blocks; at least 2 are needed", n)
	}
	if n < 256 {
		warn = append(warn, fmt.Sprintf("N = %d: Sobol indices need N of several hundred to a few thousand to be stable; read the intervals", n))
	}
	idx := make([]int, n)
	for j := range idx {
		idx[j] = j
	}
	est := func(idx []int, i int) (s1, st float64) {
		all := make([]float64, 0, 2*len(idx))
		for _, j := range idx {
			all = append(all, blocks[j][0], blocks[j][k+1])
		}
		v := variance(all)
		var a1, at float64
		for _, j := range idx {
			fa, fb, fab := blocks[j][0], blocks[j][k+1], blocks[j][1+i]
			a1 += float64(fb * (fab - fa))
			at += float64((fa - fab) * (fa - fab))
		}
		m := float64(len(idx))
		return a1 / m / v, at / (2 * m) / v
	}
	rng := rand.New(rand.NewPCG(seed, 0x736f626f6c))
	out := make([]SobolIndex, k)
	boot1 := make([][]float64, k)
	bootT := make([][]float64, k)
	res := make([]int, n)
	for range DefaultResamples {
		for j := range res {
			res[j] = rng.IntN(n)
		}
		for i := range k {
			s1, st := est(res, i)
			boot1[i] = append(boot1[i], s1)
			bootT[i] = append(bootT[i], st)
		}
	}
	wide := false
	for i := range k {
		s1, st := est(idx, i)
		out[i] = SobolIndex{S1: s1, ST: st, S1Conf: z975 * sd(boot1[i]), STConf: z975 * sd(bootT[i])}
		wide = wide || out[i].S1Conf > 0.1 || out[i].STConf > 0.1
	}
	if all := y; variance(all) == 0 || math.IsNaN(variance(all)) {
		warn = append(warn, "the output does not vary: every index is undefined")
	} else if wide {
		warn = append(warn, "some intervals are wider than ±0.1: increase design.samples (or replicates, which average out noise)")
	}
	return out, warn, nil
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func meanAbs(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range x {
		s += math.Abs(v)
	}
	return s / float64(len(x))
}

// variance is the sample variance (n-1).
func variance(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	m := mean(x)
	s := 0.0
	for _, v := range x {
		s += float64((v - m) * (v - m))
	}
	return s / float64(len(x)-1)
}

func sd(x []float64) float64 { return math.Sqrt(variance(x)) }
