// Package sensitivity estimates which parameters drive a model output from
// the designs of internal/sweep: Morris elementary effects (mu, mu*, sigma)
// over trajectories, and Sobol first-order and total indices (Saltelli et
// al. 2010, Jansen 1999) with bootstrap confidence intervals, computed as
// SALib computes them.
//
// It works on plain slices (unit-cube design points and outputs), knows
// nothing about runs or files, and uses the standard library and gonum's
// normal quantile only. Its tests check the estimators on functions with
// known answers (a linear model, the Ishigami function with its output
// shifted) and hold Sobol to internal/sensitivity/salibref, an independent
// implementation of SALib's algorithm, on Ishigami and on a real sweep.
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
// index with bootstrap interval half-widths (NaN when undefined).
type SobolIndex struct {
	S1, S1Conf float64
	ST, STConf float64
}

// SobolOptions configure Sobol. The zero value gives SALib's defaults
// except for the number of resamples (1,000 rather than 100, for
// half-widths stable to about 2%).
type SobolOptions struct {
	Resamples int     // bootstrap resamples of the base rows; 0 means DefaultResamples
	Level     float64 // confidence level of the intervals, in (0, 1); 0 means 0.95
	Seed      uint64  // seed of the resampling
}

// SobolResult is the outcome of Sobol.
type SobolResult struct {
	Indices  []SobolIndex // one per parameter, in design order
	Rows     int          // base rows N of the design
	RowsUsed int          // rows whose A, B and every AB_i have an output
	Missing  int          // outputs that are NaN or infinite (failed or missing runs, undefined metric)
	// SkippedResamples counts bootstrap resamples left out of the
	// intervals because the output did not vary within them.
	SkippedResamples int
	Warnings         []string
}

// Sobol estimates first-order and total Sobol indices from outputs in the
// layout of sweep.Saltelli: y[j*(k+2)] = f(A_j), y[j*(k+2)+i] =
// f(AB_j^(i)) for i = 1..k, y[j*(k+2)+k+1] = f(B_j). It computes what
// SALib's sobol.analyze computes without second order (Herman and Usher
// 2017; Iwanaga, Usher and Herman 2022):
//
//   - the outputs are standardised, y <- (y - mean(y)) / sd(y) over every
//     output used, so that a constant added to the output changes nothing;
//   - V = var(f(A) ∪ f(B)) (divisor 2N);
//   - S1_i = mean(f(B) (f(AB_i) - f(A))) / V (Saltelli et al. 2010, Comput.
//     Phys. Commun. 181:259-270, table 2 (b));
//   - ST_i = mean((f(A) - f(AB_i))^2) / (2 V) (Jansen 1999; table 2 (f));
//   - the half-width of an interval is z_{1-(1-level)/2} times the standard
//     deviation of the index over bootstrap resamples of the N base rows
//     (drawn with replacement, one draw shared by every index).
//
// The first-order estimator is not invariant to a shift of the output: on
// uncentred outputs its variance grows with the square of their mean,
// which is why the outputs are centred first.
//
// A base row with a missing output (NaN, or infinite as a ratio against
// zero can be; in A, B or any AB_i) is dropped from every
// index and every statistic, the standardisation included, and the
// result says how many were. Warnings name dropped rows, an N too small
// for stable indices, intervals wider than ±0.1 and an output that does
// not vary (its indices are NaN). An error means the outputs do not form
// the layout, the options are out of range, or fewer than two rows are
// complete.
func Sobol(y []float64, k int, opt SobolOptions) (SobolResult, error) {
	opt, err := sobolDefaults(y, k, opt)
	if err != nil {
		return SobolResult{}, err
	}
	res := SobolResult{Rows: len(y) / (k + 2)}
	rows := res.completeRows(y, k)
	n := len(rows)
	if n < 2 {
		return res, fmt.Errorf("sobol: %d complete base rows; at least 2 are needed", n)
	}
	if n < 256 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("N = %d: Sobol indices need N of several hundred to a few thousand to be stable; read the intervals", n))
	}
	res.Indices = make([]SobolIndex, k)
	fa, fb, fab, varies := standardise(rows, k)
	if !varies {
		res.undefined("the output does not vary: every index is undefined")
		return res, nil
	}
	idx := make([]int, n)
	for j := range idx {
		idx[j] = j
	}
	s1, st := make([]float64, k), make([]float64, k)
	if !sobolEstimate(fa, fb, fab, idx, s1, st) {
		res.undefined("the output does not vary over the base rows A and B: every index is undefined")
		return res, nil
	}
	boot1, bootT := res.bootstrap(fa, fb, fab, opt)
	wide := res.setIndices(s1, st, boot1, bootT, twoSidedZ(opt.Level))
	if res.SkippedResamples > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("in %d of %d bootstrap resamples the output does not vary; the intervals use the other %d",
			res.SkippedResamples, opt.Resamples, opt.Resamples-res.SkippedResamples))
	}
	if wide {
		res.Warnings = append(res.Warnings, "some intervals are wider than ±0.1: increase design.samples (or replicates, which average out noise)")
	}
	return res, nil
}

// sobolDefaults checks the layout of y and the options, and returns the
// options with their defaults filled in.
func sobolDefaults(y []float64, k int, opt SobolOptions) (SobolOptions, error) {
	if k < 1 || len(y)%(k+2) != 0 || len(y) == 0 {
		return opt, fmt.Errorf("sobol: %d outputs do not form blocks of %d (k + 2)", len(y), k+2)
	}
	if opt.Resamples == 0 {
		opt.Resamples = DefaultResamples
	}
	if opt.Level == 0 {
		opt.Level = 0.95
	}
	if opt.Resamples < 2 {
		return opt, fmt.Errorf("sobol: %d bootstrap resamples; at least 2 are needed", opt.Resamples)
	}
	if twoSidedZ(opt.Level) == 0 {
		return opt, fmt.Errorf("sobol: confidence level %g: use 0.90, 0.95 or 0.99", opt.Level)
	}
	return opt, nil
}

// completeRows returns the base rows (blocks of k+2 outputs) without a
// missing output, counts the missing outputs and says how many rows were
// skipped.
func (res *SobolResult) completeRows(y []float64, k int) [][]float64 {
	var rows [][]float64
	for j := 0; j < len(y); j += k + 2 {
		b := y[j : j+k+2]
		miss := 0
		for _, v := range b {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				miss++
			}
		}
		res.Missing += miss
		if miss == 0 {
			rows = append(rows, b)
		}
	}
	n := len(rows)
	res.RowsUsed = n
	if skipped := res.Rows - n; skipped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d base rows skipped: %d of %d outputs missing (failed or missing runs, or the metric is undefined there); every index uses the other %d rows",
			skipped, res.Rows, res.Missing, len(y), n))
	}
	return rows
}

// standardise centres and scales the outputs of rows over all of them and
// splits them into f(A), f(B) and f(AB_i); it reports false, splitting
// nothing, when the outputs do not vary.
func standardise(rows [][]float64, k int) (fa, fb []float64, fab [][]float64, varies bool) {
	n := len(rows)
	all := make([]float64, 0, n*(k+2))
	for _, b := range rows {
		all = append(all, b...)
	}
	mu := mean(all)
	sigma := math.Sqrt(meanSq(all, mu))
	if slices.Min(all) == slices.Max(all) {
		return nil, nil, nil, false
	}
	fa, fb = make([]float64, n), make([]float64, n)
	fab = make([][]float64, k)
	for i := range fab {
		fab[i] = make([]float64, n)
	}
	for j, b := range rows {
		fa[j] = (b[0] - mu) / sigma
		fb[j] = (b[k+1] - mu) / sigma
		for i := range k {
			fab[i][j] = (b[1+i] - mu) / sigma
		}
	}
	return fa, fb, fab, true
}

// undefined sets every index to NaN and says why.
func (res *SobolResult) undefined(why string) {
	nan := SobolIndex{S1: math.NaN(), S1Conf: math.NaN(), ST: math.NaN(), STConf: math.NaN()}
	for i := range res.Indices {
		res.Indices[i] = nan
	}
	res.Warnings = append(res.Warnings, why)
}

// bootstrap returns every parameter's S1 and ST over opt.Resamples
// resamples of the base rows, counting the resamples whose output does
// not vary (left out).
func (res *SobolResult) bootstrap(fa, fb []float64, fab [][]float64, opt SobolOptions) (boot1, bootT [][]float64) {
	k, n := len(fab), len(fa)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x736f626f6c))
	boot1, bootT = make([][]float64, k), make([][]float64, k)
	bs1, bst := make([]float64, k), make([]float64, k)
	draw := make([]int, n)
	for range opt.Resamples {
		for j := range draw {
			draw[j] = rng.IntN(n)
		}
		if !sobolEstimate(fa, fb, fab, draw, bs1, bst) {
			res.SkippedResamples++
			continue
		}
		for i := range k {
			boot1[i] = append(boot1[i], bs1[i])
			bootT[i] = append(bootT[i], bst[i])
		}
	}
	return boot1, bootT
}

// setIndices fills in the indices and their half-widths (z standard
// deviations of the bootstrap) and reports whether any is wider than ±0.1.
func (res *SobolResult) setIndices(s1, st []float64, boot1, bootT [][]float64, z float64) bool {
	wide := false
	for i := range s1 {
		res.Indices[i] = SobolIndex{S1: s1[i], ST: st[i], S1Conf: z * sd(boot1[i]), STConf: z * sd(bootT[i])}
		wide = wide || res.Indices[i].S1Conf > 0.1 || res.Indices[i].STConf > 0.1
	}
	return wide
}

// sobolEstimate computes S1 and ST of every parameter over the base rows
// rows (indices into fa, fb and fab[i], repeats allowed) into s1 and st.
// It reports false, leaving s1 and st unset, when f(A) ∪ f(B) does not
// vary over those rows.
func sobolEstimate(fa, fb []float64, fab [][]float64, rows []int, s1, st []float64) bool {
	m := float64(len(rows))
	var sum float64
	f0, varies := fa[rows[0]], false
	for _, j := range rows {
		sum += fa[j] + fb[j]
		varies = varies || fa[j] != f0 || fb[j] != f0
	}
	if !varies {
		return false
	}
	mu := sum / (2 * m)
	var ss float64
	for _, j := range rows {
		da, db := fa[j]-mu, fb[j]-mu
		ss += float64(da*da) + float64(db*db)
	}
	v := ss / (2 * m)
	for i, ab := range fab {
		var a1, at float64
		for _, j := range rows {
			d := ab[j] - fa[j]
			a1 += float64(fb[j] * d)
			at += float64(d * d)
		}
		s1[i] = a1 / m / v
		st[i] = at / (2 * m) / v
	}
	return true
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

// meanSq is the mean squared deviation of x from m (numpy's var with
// ddof = 0 when m is the mean).
func meanSq(x []float64, m float64) float64 {
	s := 0.0
	for _, v := range x {
		s += float64((v - m) * (v - m))
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

// twoSidedZ is the standard normal quantile at 1 - (1-level)/2 for the
// levels intervals may use (0 for any other). They are constants (scipy's
// norm.ppf to the last digit) rather than computed, so that intervals are
// the same bytes on every architecture: a quantile function compiled with
// fused multiply-adds on arm64 differs in the last bits (test/fma).
func twoSidedZ(level float64) float64 {
	switch level {
	case 0.90:
		return 1.6448536269514722
	case 0.95:
		return 1.959963984540054
	case 0.99:
		return 2.5758293035489004
	}
	return 0
}
