package rng

import (
	"math"
	"testing"
)

func TestFloatUniform(t *testing.T) {
	k := Key(1, "test")
	const n = 200000
	var bins [10]int
	sum := 0.0
	for i := uint64(0); i < n; i++ {
		u := Float(k, i)
		if u < 0 || u >= 1 {
			t.Fatalf("draw %v outside [0, 1)", u)
		}
		bins[int(u*10)]++
		sum += u
	}
	// Chi-square with 9 degrees of freedom; 27.9 is the 0.999 quantile.
	chi := 0.0
	for _, b := range bins {
		d := float64(b) - n/10
		chi += d * d / (n / 10)
	}
	if chi > 27.9 {
		t.Errorf("chi-square %v over 10 bins", chi)
	}
	if m := sum / n; math.Abs(m-0.5) > 0.005 {
		t.Errorf("mean %v", m)
	}
}

func TestKeysAreIndependent(t *testing.T) {
	if Key(1, "a") == Key(1, "b") || Key(1, "a") == Key(2, "a") || Sub(Key(1, "a"), 1) == Sub(Key(1, "a"), 2) {
		t.Error("distinct purposes, seeds or sub-keys collide")
	}
	// Same inputs, same draws (the determinism everything rests on).
	if Float(Key(7, "x"), 42) != Float(Key(7, "x"), 42) {
		t.Error("draws are not a function of their inputs")
	}
	// Neighbouring counters are uncorrelated.
	k := Key(3, "corr")
	var sxy, sx, sy float64
	const n = 100000
	for i := uint64(0); i < n; i++ {
		x, y := Float(k, i), Float(k, i+1)
		sxy += x * y
		sx += x
		sy += y
	}
	if c := sxy/n - (sx/n)*(sy/n); math.Abs(c) > 0.002 {
		t.Errorf("lag-1 covariance %v", c)
	}
}

func TestBelowAndPoisson(t *testing.T) {
	k := Key(5, "below")
	counts := make([]int, 7)
	for i := uint64(0); i < 70000; i++ {
		v := Below(k, i, 7)
		if v >= 7 {
			t.Fatalf("Below(7) gave %d", v)
		}
		counts[v]++
	}
	for v, c := range counts {
		if c < 9400 || c > 10600 {
			t.Errorf("value %d drawn %d times of 70000", v, c)
		}
	}
	sum := 0
	for i := uint64(0); i < 50000; i++ {
		sum += Poisson(k, i, 1.5)
	}
	if m := float64(sum) / 50000; math.Abs(m-1.5) > 0.03 {
		t.Errorf("Poisson(1.5) mean %v", m)
	}
	if Poisson(k, 0, 0) != 0 {
		t.Error("Poisson(0) must be 0")
	}
}
