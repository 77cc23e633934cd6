package institution

import (
	"math"
	"testing"
)

// FuzzDecide builds two or three groups from bytes (score steps, weights,
// probabilities) and a policy, and checks what must hold for any input:
// no panic, rates and TPRs in [0, 1], boundaries in [0, 1], the parity or
// opportunity constraint to 1e-12, and no constrained policy beating
// max-utility.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{3, 1, 1, 2, 51, 128, 230, 2, 3, 1, 102, 179}, uint8(1), uint8(4))
	f.Add([]byte{2, 0, 0, 0, 255, 255, 255, 1, 9, 0}, uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, pol, loss uint8) {
		var groups []Group
		for len(data) > 0 && len(groups) < 3 {
			n := int(data[0]%8) + 1
			data = data[1:]
			g := Group{}
			s := 0.0
			for k := 0; k < n && len(data) >= 3; k++ {
				s += 1 + float64(data[0]%16)
				g.Scores = append(g.Scores, s)
				g.Weights = append(g.Weights, float64(data[1]%20))
				g.Believed = append(g.Believed, float64(data[2])/255)
				data = data[3:]
			}
			groups = append(groups, g)
		}
		spec := Spec{Policy: Policy(pol % 5), Gain: 1, Loss: 0.25 + float64(loss%40)/4, Threshold: 20, Rate: 0.4}
		ds, err := Decide(spec, groups)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			for _, x := range []float64{d.SelectionRate, d.TPR, d.Boundary} {
				if !(x >= 0 && x <= 1+1e-12) {
					t.Fatalf("%v: %+v has a share outside [0, 1]", spec.Policy, d)
				}
			}
		}
		checkConstraint(t, spec.Policy, groups, ds)
		best, err := Decide(Spec{Policy: MaxUtility, Gain: spec.Gain, Loss: spec.Loss}, groups)
		if err != nil {
			t.Fatal(err)
		}
		if u, b := total(ds), total(best); u > b+1e-9*(1+math.Abs(b)) {
			t.Fatalf("%v: utility %v above max-utility's %v", spec.Policy, u, b)
		}
	})
}
