package tdist

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func gonum975(df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.975)
}

// The table (mpmath at 50 digits, testdata/gen975.py) agrees with gonum's
// quantile to gonum's accuracy, and with the printed tables.
func TestTableIsGonums(t *testing.T) {
	if len(table975) != 1000 {
		t.Fatalf("%d entries", len(table975))
	}
	worst := 0.0
	for df := 1; df <= 1000; df++ {
		got, want := Quantile975(df), gonum975(df)
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 1e-12 {
		t.Errorf("the table differs from gonum by up to %.3g of the value", worst)
	}
	// Abramowitz and Stegun 1964, table 26.10.
	for _, c := range []struct {
		df   int
		want float64
	}{{1, 12.706}, {2, 4.303}, {10, 2.228}, {30, 2.042}, {120, 1.980}} {
		if got := Quantile975(c.df); math.Abs(got-c.want) > 5e-4 {
			t.Errorf("df %d: %v, the printed table gives %v", c.df, got, c.want)
		}
	}
	if !math.IsNaN(Quantile975(0)) || !math.IsNaN(Quantile975(-3)) {
		t.Error("a quantile below one degree of freedom")
	}
}

// Beyond the table the expansion agrees with mpmath's quantile (printed
// by testdata/gen975.py) to a few units in the last place, where gonum's
// drifts (1.8e-7 at 2^30 degrees of freedom), and it joins the table.
func TestExpansionIsMpmaths(t *testing.T) {
	if z := distuv.UnitNormal.Quantile(0.975); math.Abs(z-z975) > 2*ulp(z) {
		t.Fatalf("z975 %v, gonum's normal quantile %v", z975, z)
	}
	for _, c := range []struct {
		df   int
		want float64
	}{
		{1000, 1.962339080826408},
		{1001, 1.9623367052808796},
		{1500, 1.9615467538950184},
		{5000, 1.9604385517065075},
		{100_000, 1.9599877075346093},
		{1_000_000, 1.9599663568141066},
		{1 << 30, 1.9599639867494036},
	} {
		if got := cornishFisher975(float64(c.df)); math.Abs(got-c.want) > 4*ulp(c.want) {
			t.Errorf("df %d: expansion %v, mpmath %v", c.df, got, c.want)
		}
		if c.df > 1000 && Quantile975(c.df) != cornishFisher975(float64(c.df)) {
			t.Errorf("df %d: not the expansion", c.df)
		}
	}
}

func ulp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) - x }
