// Package tdist gives the 0.975 quantile of Student's t distribution, the
// multiplier of every 95% interval nosedive stores, as the same float64 on
// every machine.
//
// gonum's distuv.StudentsT computes it through math.Exp, math.Log and
// math.Lgamma. Those are assembly on amd64 (Exp with a path chosen by
// whether the processor has FMA) and Go elsewhere, where the compiler may
// fuse multiply-adds, so the last bits of a quantile can differ between
// machines, and with them the stored bounds of an interval; it also loses
// accuracy at many degrees of freedom (1.8e-7 at 2^30). Here the quantile
// is read from a table for 1 to 1,000 degrees of freedom, computed with
// mpmath at 50 digits and rounded once (testdata/gen975.py; decimal
// literals parse to the same float64 everywhere), and beyond it is the
// Cornish-Fisher expansion in 1/ν to the fourth term (Abramowitz and
// Stegun 1964, 26.7.5), computed with every product rounded before it is
// added. The tests hold the table to gonum's quantile and to the printed
// tables, and the expansion to mpmath's values.
package tdist

import "math"

// z975 is the 0.975 quantile of the standard normal.
const z975 = 1.959963984540054

// Quantile975 is the 0.975 quantile of Student's t with df degrees of
// freedom, NaN below one.
func Quantile975(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(table975):
		return table975[df-1]
	}
	return cornishFisher975(float64(df))
}

// cornishFisher975 is the expansion of the t quantile around the normal
// one, t = z + g1/ν + g2/ν² + g3/ν³ + g4/ν⁴, evaluated by Horner's rule in
// 1/ν with rounded products (no fused multiply-add). Beyond 1,000 degrees
// of freedom the first omitted term is below 1e-16 of the value.
func cornishFisher975(nu float64) float64 {
	z := z975
	z2 := z * z
	// g_k(z) as polynomials in z² times z.
	g1 := float64(z*float64(z2+1)) / 4
	g2 := float64(z*float64(float64(float64(5*z2)+16)*z2+3)) / 96
	g3 := float64(z*float64(float64(float64(float64(float64(3*z2)+19)*z2)+17)*z2-15)) / 384
	g4 := float64(z*float64(float64(float64(float64(float64(float64(float64(79*z2)+776)*z2)+1482)*z2)-1920)*z2-945)) / 92160
	x := 1 / nu
	s := float64(g4 * x)
	s = float64(float64(s+g3) * x)
	s = float64(float64(s+g2) * x)
	s = float64(float64(s+g1) * x)
	return z + s
}
