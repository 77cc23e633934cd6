package audit

import (
	"math"
	"testing"
)

func TestEveryHeadlineFigureHasAKindAndMeaning(t *testing.T) {
	for _, name := range HeadlineNames {
		if _, ok := HeadlineKind(name); !ok {
			t.Errorf("%s: no kind", name)
		}
		if HeadlineMeaning(name) == "" {
			t.Errorf("%s: no meaning", name)
		}
	}
	if len(headline) != len(HeadlineNames) {
		t.Errorf("%d kinds for %d headline figures", len(headline), len(HeadlineNames))
	}
	// A sweep's per-group column takes its figure's kind.
	if k, ok := HeadlineKind("mean_score_han"); !ok || k != Score {
		t.Errorf("mean_score_han: %v %v", k, ok)
	}
	if k, ok := HeadlineKind("ever_sanctioned_uyghur"); !ok || k != Share {
		t.Errorf("ever_sanctioned_uyghur: %v %v", k, ok)
	}
	if got := HeadlineMeaning("detained_other"); got != "share detained at the end, group other" {
		t.Errorf("detained_other: %q", got)
	}
	if _, ok := HeadlineKind("policy_rate"); ok {
		t.Error("policy_rate is not a headline figure")
	}
}

// Intervals are printed in the figure's unit and clipped to its range:
// a share's t-interval of 0.882 +- 0.157 ends at 100%, a count's of
// 5 +- 11.4 starts at 0; a score is not clipped.
func TestFormatIntervalClipsToTheRange(t *testing.T) {
	for _, c := range []struct {
		name   string
		iv     Interval
		total  int
		want   string
		figure float64
		fwant  string
	}{
		{"sanctioned_law_abiding", Interval{Mean: 0.882, Lo: 0.724, Hi: 1.039, N: 3}, 3, "88.2% [72.4, 100.0]", 0.05, "5.0%"},
		{"cascaded", Interval{Mean: 5, Lo: -6.4, Hi: 16.4, N: 3}, 3, "5.0 [0.0, 16.4]", 5, "5.0"},
		{"gap_worst_tier", Interval{Mean: 0.025, Lo: -0.01, Hi: 0.06, N: 3}, 3, "2.5 pts [0.0, 6.0]", 0.025, "2.5 pts"},
		{"mean_score", Interval{Mean: -3, Lo: -9, Hi: 3, N: 4}, 4, "-3.0 [-9.0, 3.0]", -3, "-3.0"},
		{"gini", Interval{Mean: 0.4, Lo: -0.87, Hi: 1.67, N: 2}, 3, "0.400 [0.000, 1.000] (n=2)", 0.4, "0.400"},
		{"ever_sanctioned", Interval{Mean: 0.05, N: 1}, 1, "5.0%", math.NaN(), "n/a"},
		{"ever_sanctioned", Interval{}, 3, "-", 0, "0.0%"},
		{"policy_rate", Interval{Mean: 0.123456, Lo: -0.1, Hi: 0.3, N: 2}, 2, "0.1235 [-0.1, 0.3]", 0.123456, "0.1235"},
	} {
		if got := FormatInterval(c.iv, c.total, c.name); got != c.want {
			t.Errorf("FormatInterval(%s) = %q, want %q", c.name, got, c.want)
		}
		if got := FormatFigure(c.figure, c.name); got != c.fwant {
			t.Errorf("FormatFigure(%s, %v) = %q, want %q", c.name, c.figure, got, c.fwant)
		}
	}
}
