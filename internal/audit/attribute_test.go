package audit

import (
	"context"
	"math"
	"testing"
)

// A synthetic game with interactions: efficiency (Shapley values add up to
// the total effect) must hold exactly, symmetric rules get equal shares,
// and a null rule gets zero.
func TestShapleyEfficiency(t *testing.T) {
	rules := []string{"a", "b", "c", "null"}
	eval := func(_ context.Context, off []string) (map[string]float64, error) {
		on := map[string]bool{"a": true, "b": true, "c": true, "null": true}
		for _, r := range off {
			on[r] = false
		}
		x := 0.0
		if on["a"] {
			x += 1
		}
		if on["b"] {
			x += 1
		}
		if on["a"] && on["b"] {
			x += 2 // interaction shared equally by a and b
		}
		if on["c"] {
			x += 0.5
		}
		return map[string]float64{"m": x}, nil
	}
	for _, exact := range []bool{true, false} {
		max := ExactMaxRules
		if !exact {
			max = 0
		}
		at, err := Attribute(context.Background(), rules, eval, max, 200, 1)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, r := range rules {
			sum += at.Shapley[r]["m"]
		}
		if math.Abs(sum-at.Total["m"]) > 1e-9 || at.Total["m"] != 4.5 {
			t.Errorf("exact=%v: Shapley values sum to %v, total effect %v (want 4.5)", exact, sum, at.Total["m"])
		}
		if exact {
			if at.Shapley["a"]["m"] != 2 || at.Shapley["b"]["m"] != 2 || at.Shapley["c"]["m"] != 0.5 || at.Shapley["null"]["m"] != 0 {
				t.Errorf("exact Shapley values %v", at.Shapley)
			}
			if at.LeaveOneOut["a"]["m"] != 3 {
				t.Errorf("leave-one-out for a %v, want 3", at.LeaveOneOut["a"]["m"])
			}
		}
	}
}
