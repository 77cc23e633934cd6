package sensitivity

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// The constant levels agree with gonum's quantile to a few ulps (scipy's
// values; gonum's differ in the last bits), and other levels are refused.
func TestTwoSidedZ(t *testing.T) {
	for _, level := range []float64{0.90, 0.95, 0.99} {
		want := distuv.UnitNormal.Quantile(1 - (1-level)/2)
		if got := twoSidedZ(level); math.Abs(got-want) > 1e-15*want {
			t.Errorf("level %v: z %v, gonum %v", level, got, want)
		}
	}
	for _, level := range []float64{0.8, 0.975, 1, -0.5, math.NaN()} {
		if z := twoSidedZ(level); z != 0 {
			t.Errorf("level %v: z %v, want it refused", level, z)
		}
	}
}
