package rule

import "testing"

// TestNeverTrue: conditions decided false by the bounds, and conditions
// that can hold or that the folder cannot decide (answered false).
func TestNeverTrue(t *testing.T) {
	b := Bounds{ScoreMin: 0, ScoreMax: 100, LastDay: 364}
	cases := []struct {
		src   string
		never bool
	}{
		{"false", true},
		{"!true", true},
		{"not (score >= 0)", true},
		{"score > 100", true},
		{"score >= 100", false},
		{"score < 0", true},
		{"score - 10 >= 95", true},
		{"2 * score > 200", true},
		{"-score > 0", true},
		{"day >= 365", true},
		{"day == 364", false},
		{"day < 0 || score > 150", true},
		{"day < 0 || score > 50", false},
		{"score > 200 && journalist", true},
		{"journalist", false},
		{"score < 300 ? false : false", true},
		{"score < 300 ? true : false", false},
		{"score == 150", true},
		{"score != 150", false},
		{"partner.score > 1000", false}, // not decided
		{"acq.mean(score) > 1000", false},
		{"tier == \"bad\"", false},
		{"children > 255", true},
		{"score / 2 > 100", false}, // division is not folded
	}
	for _, c := range cases {
		if got := NeverTrue(c.src, b); got != c.never {
			t.Errorf("NeverTrue(%q) = %v, want %v", c.src, got, c.never)
		}
	}
}
