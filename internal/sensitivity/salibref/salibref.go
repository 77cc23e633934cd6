// Package salibref is a reference implementation of the Sobol' first- and
// total-order estimators exactly as SALib's SALib.analyze.sobol.analyze
// computes them with calc_second_order=False. It exists so that tests can
// hold nosedive's own estimators (internal/sensitivity) to a third party's
// definition; nothing outside tests imports it.
//
// It was written from SALib's published source and the papers it follows,
// never from nosedive's code:
//
//   - SALib, src/SALib/analyze/sobol.py (github.com/SALib/SALib; read at
//     commits c6caadce and 00d8e477, and in a fork of current main,
//     edithatogo/SALib at 89795f59, which has the constant-output guard of
//     SALib pull request #505, merged 2022).
//     Herman, J. and Usher, W. (2017), SALib: an open-source Python library
//     for sensitivity analysis, Journal of Open Source Software 2(9).
//   - Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. and
//     Tarantola, S. (2010), Variance based sensitivity analysis of model
//     output. Design and estimator for the total sensitivity index,
//     Computer Physics Communications 181(2):259-270: the first-order
//     estimator (Table 2, b) and Jansen's total-order estimator (Table 2, f).
//   - Jansen, M. J. W. (1999), Analysis of variance designs for model
//     output, Computer Physics Communications 117:35-43.
//
// What SALib computes, step by step, and what this package does:
//
//  1. All N*(D+2) outputs (A, B and every AB_i together) are standardised,
//     Y = (Y - mean(Y)) / std(Y), with numpy's population std (ddof=0).
//     The estimators below are invariant to the scale but not to the
//     location of Y, so the centring is part of the definition.
//  2. S1_i = mean(fB * (fAB_i - fA)) / var(fA ++ fB) and
//     ST_i = 0.5 * mean((fA - fAB_i)^2) / var(fA ++ fB), where ++ joins the
//     two vectors into one of length 2N and var is numpy's np.var (ddof=0).
//  3. One matrix of bootstrap draws, N row indices drawn with replacement
//     for each of num_resamples resamples, is drawn once and used for every
//     input and for both indices; the same index picks the row of fA, fB
//     and fAB_i. Each resample gives S1_i and ST_i by step 2 (with the
//     variance of the resampled fA ++ fB). The half-width is
//     Z * std(resampled estimates, ddof=1), Z = norm.ppf(0.5 + conf/2).
//  4. Constant outputs (SALib pull request #505): if every standardised
//     value of fA ++ fB is the same (np.ptp == 0), S1_i and ST_i are 0, not
//     0/0; if every resampled value of fA ++ fB over all resamples is the
//     same, the half-widths are 0.
//
// Checked (salibref_test.go): against the lines of sobol.py run by numpy on
// the same outputs and draws (agreement to 4e-16 relative; 1.5e-15 over six
// cases when written, including N = 1 and the constant guard), a tiny case
// worked in exact fractions, the analytic Ishigami indices, and the
// calibration of the half-widths against the spread over independent
// samples.
//
// Where this port differs from SALib, and why:
//
//   - Random draws: SALib uses numpy's generator; this package draws from
//     math/rand/v2's PCG seeded with (seed, pcgStream), resample by
//     resample. Half-widths therefore agree with SALib's in distribution,
//     not digit for digit. Point estimates do not depend on the draws.
//   - Sums are compensated (Neumaier), where numpy sums pairwise; results
//     agree with SALib's to rounding (about 1e-15 relative), not bit for bit.
//   - Z is computed as sqrt(2) * erfinv(conf), which equals scipy's
//     norm.ppf(0.5 + conf/2), with math.Erfinv (gonum is not a direct
//     dependency of nosedive, and this needs no new one).
//   - All outputs identical: SALib divides 0 by 0 when standardising and
//     returns NaN, unless rounding in the mean makes std(Y) tiny but
//     nonzero, when the guard of step 4 returns 0 instead. This package
//     checks for identical outputs before standardising and always returns
//     NaN for every index and half-width: the indices are undefined.
//   - Bad arguments, which SALib reports with RuntimeError or ValueError
//     (or, for some, silently returns NaN), panic here: they are
//     programmer errors in a test. See Sobol.
package salibref

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// pcgStream is the second PCG seed word; with the caller's seed it fixes
// the bootstrap draws.
const pcgStream = 0x5a11b5eed

// Sobol returns first-order and total-order indices and their bootstrap
// half-widths as SALib's sobol.analyze computes them (calc_second_order=False).
// fA, fB: outputs at the N rows of matrices A and B; fAB[i]: outputs at the
// N rows of AB_i (A with column i taken from B). confLevel e.g. 0.95.
//
// nBoot is SALib's num_resamples and seed fixes the bootstrap draws (the
// same seed gives the same results). The four slices have len(fAB)
// entries, one per input.
//
// Edge cases:
//   - N = 0, len(fB) != N, len(fAB[i]) != N, nBoot < 1 or confLevel
//     outside (0, 1) panic: SALib rejects them too (N = 0 fails in numpy's
//     randint, nBoot = 0 in np.ptp of an empty array, confLevel in a check).
//   - N = 1 is computed as SALib computes it: every resample is the sample
//     itself, so the half-widths are 0 (up to rounding); the point
//     estimates are defined but carry no information.
//   - nBoot = 1 gives NaN half-widths (std with ddof=1 of one value), as
//     in SALib, unless the constant guard makes them 0.
//   - All outputs identical (zero variance): every index and half-width
//     is NaN. fA and fB identical but some fAB_i not: S1 = ST = 0 with
//     half-widths 0 (SALib's constant-output guard).
//   - NaN outputs propagate to NaN indices and half-widths, as in SALib.
//   - No inputs (len(fAB) = 0) gives four empty slices.
func Sobol(fA, fB []float64, fAB [][]float64, nBoot int, confLevel float64, seed uint64) (s1, s1Conf, st, stConf []float64) {
	n := len(fA)
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	draw := func(_ int, idx []int) {
		for k := range idx {
			idx[k] = rng.IntN(n)
		}
	}
	return analyze(fA, fB, fAB, nBoot, confLevel, draw)
}

// zQuantile returns scipy's norm.ppf(0.5 + conf/2): the standard normal
// quantile that leaves (1-conf)/2 in each tail.
func zQuantile(conf float64) float64 {
	return math.Sqrt2 * math.Erfinv(conf)
}

// analyze is Sobol with the bootstrap draws supplied by draw, which fills
// idx (length N) with the row indices of resample b, for b = 0, ...,
// nBoot-1 in order. Tests give it fixed draws.
func analyze(fA, fB []float64, fAB [][]float64, nBoot int, confLevel float64, draw func(b int, idx []int)) (s1, s1Conf, st, stConf []float64) {
	n, d := len(fA), len(fAB)
	if n == 0 {
		panic("salibref.Sobol: no samples (len(fA) = 0)")
	}
	if len(fB) != n {
		panic(fmt.Sprintf("salibref.Sobol: len(fB) = %d, want len(fA) = %d", len(fB), n))
	}
	for i, col := range fAB {
		if len(col) != n {
			panic(fmt.Sprintf("salibref.Sobol: len(fAB[%d]) = %d, want len(fA) = %d", i, len(col), n))
		}
	}
	if nBoot < 1 {
		panic(fmt.Sprintf("salibref.Sobol: nBoot = %d, want at least 1", nBoot))
	}
	if !(confLevel > 0 && confLevel < 1) {
		panic(fmt.Sprintf("salibref.Sobol: confLevel = %v, want a value in (0, 1)", confLevel))
	}
	s1, s1Conf = make([]float64, d), make([]float64, d)
	st, stConf = make([]float64, d), make([]float64, d)
	if d == 0 {
		return s1, s1Conf, st, stConf
	}

	// Step 1: standardise every output of the sample together.
	if allIdentical(fA, fB, fAB) {
		for _, v := range [][]float64{s1, s1Conf, st, stConf} {
			for i := range v {
				v[i] = math.NaN()
			}
		}
		return s1, s1Conf, st, stConf
	}
	var sum kahan
	total := n * (d + 2)
	for _, col := range append([][]float64{fA, fB}, fAB...) {
		for _, y := range col {
			sum.add(y)
		}
	}
	mean := sum.value() / float64(total)
	sum = kahan{}
	for _, col := range append([][]float64{fA, fB}, fAB...) {
		for _, y := range col {
			sum.add(float64((y - mean) * (y - mean)))
		}
	}
	sd := math.Sqrt(sum.value() / float64(total))
	std := func(col []float64) []float64 {
		out := make([]float64, n)
		for k, y := range col {
			out[k] = (y - mean) / sd
		}
		return out
	}
	a, b := std(fA), std(fB)
	ab := make([][]float64, d)
	for i, col := range fAB {
		ab[i] = std(col)
	}

	// Step 2: point estimates on the identity draw 0, 1, ..., N-1.
	idx := make([]int, n)
	for k := range idx {
		idx[k] = k
	}
	if ptpZero(a, b, idx) {
		// Step 4: SALib's first_order and total_order return 0.
		clear(s1)
		clear(st)
	} else {
		estimate(a, b, ab, idx, s1, st)
	}

	// Step 3: bootstrap. est1[i*nBoot+r], estT[...] hold resample r's
	// estimates for input i.
	est1 := make([]float64, d*nBoot)
	estT := make([]float64, d*nBoot)
	r1, rT := make([]float64, d), make([]float64, d)
	drawsConstant := true // np.ptp(np.r_[A[r], B[r]]) == 0 over all draws
	first := math.NaN()
	for r := range nBoot {
		draw(r, idx)
		for _, k := range idx {
			if k < 0 || k >= n {
				panic(fmt.Sprintf("salibref: draw %d gave row %d, want [0, %d)", r, k, n))
			}
		}
		if r == 0 {
			first = a[idx[0]]
		}
		if drawsConstant {
			for _, k := range idx {
				if a[k] != first || b[k] != first {
					drawsConstant = false
					break
				}
			}
		}
		estimate(a, b, ab, idx, r1, rT)
		for i := range d {
			est1[i*nBoot+r] = r1[i]
			estT[i*nBoot+r] = rT[i]
		}
	}
	z := zQuantile(confLevel)
	for i := range d {
		if drawsConstant {
			s1Conf[i], stConf[i] = 0, 0
			continue
		}
		s1Conf[i] = z * sampleStd(est1[i*nBoot:(i+1)*nBoot])
		stConf[i] = z * sampleStd(estT[i*nBoot:(i+1)*nBoot])
	}
	return s1, s1Conf, st, stConf
}

// estimate writes SALib's first_order and total_order for every input into
// s1 and st, on the rows idx (with repeats) of the standardised outputs,
// without the constant guard: a zero variance divides as IEEE 754 does, as
// numpy does for a single resample.
func estimate(a, b []float64, ab [][]float64, idx []int, s1, st []float64) {
	m := float64(len(idx))
	var sum kahan
	for _, k := range idx {
		sum.add(a[k])
		sum.add(b[k])
	}
	mu := sum.value() / (2 * m)
	sum = kahan{}
	for _, k := range idx {
		sum.add(float64((a[k] - mu) * (a[k] - mu)))
		sum.add(float64((b[k] - mu) * (b[k] - mu)))
	}
	v := sum.value() / (2 * m) // np.var(np.r_[A, B]), ddof=0
	for i, col := range ab {
		var first, total kahan
		for _, k := range idx {
			first.add(float64(b[k] * (col[k] - a[k])))
			diff := a[k] - col[k]
			total.add(float64(diff * diff))
		}
		s1[i] = first.value() / m / v
		st[i] = 0.5 * (total.value() / m) / v
	}
}

// ptpZero reports whether every value of a and b at the rows idx is the
// same (np.ptp(np.r_[A, B]) == 0; a NaN makes it false, as in numpy).
func ptpZero(a, b []float64, idx []int) bool {
	first := a[idx[0]]
	for _, k := range idx {
		if a[k] != first || b[k] != first {
			return false
		}
	}
	return true
}

// allIdentical reports whether every output of the sample is the same
// number, which makes std(Y) zero and the indices undefined.
func allIdentical(fA, fB []float64, fAB [][]float64) bool {
	first := fA[0]
	for _, col := range append([][]float64{fA, fB}, fAB...) {
		for _, y := range col {
			if y != first {
				return false
			}
		}
	}
	return true
}

// sampleStd is numpy's x.std(ddof=1): NaN for a single value.
func sampleStd(x []float64) float64 {
	var sum kahan
	for _, v := range x {
		sum.add(v)
	}
	mean := sum.value() / float64(len(x))
	sum = kahan{}
	for _, v := range x {
		sum.add(float64((v - mean) * (v - mean)))
	}
	return math.Sqrt(sum.value() / float64(len(x)-1))
}

// kahan is a Neumaier-compensated running sum, so that means over tens of
// thousands of outputs lose no more than a rounding or two.
type kahan struct{ s, c float64 }

func (k *kahan) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *kahan) value() float64 { return k.s + k.c }
