package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
)

// The section "Across N replicates": template functions that print an
// audit.Interval, scaled by what the figure is.

// ivScale returns how a replicate figure prints: shares as percentages,
// gaps in percentage points, counts and scores as they are.
func ivScale(name string) (scale float64, prec int, unit string) {
	switch {
	case strings.HasPrefix(name, "gap_"), strings.HasPrefix(name, "difference_"):
		return 100, 1, " pts"
	case name == "gini":
		return 1, 3, ""
	case strings.HasPrefix(name, "ratio_"):
		return 1, 2, ""
	case name == "people":
		return 1, 0, ""
	}
	if k, ok := audit.HeadlineKind(name); ok { // score_change, an institution's figures
		switch k {
		case audit.Share:
			return 100, 1, "%"
		case audit.Gap:
			return 100, 1, " pts"
		case audit.Index:
			return 1, 3, ""
		}
		return 1, 1, ""
	}
	switch {
	case name == "mean_score", name == "cascaded", name == "children_blocked",
		name == "sanctioned_without_own_violation":
		return 1, 1, ""
	}
	return 100, 1, "%"
}

func ivNum(name string, x audit.Num) string {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return "–"
	}
	scale, prec, unit := ivScale(name)
	return strconv.FormatFloat(scale*float64(x), 'f', prec, 64) + unit
}

// ivBound is a bound of an interval, without the unit its mean carries.
func ivBound(name string, x audit.Num) string {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		return "–"
	}
	scale, prec, _ := ivScale(name)
	return strconv.FormatFloat(scale*float64(x), 'f', prec, 64)
}

var replicateFuncs = map[string]any{
	// ivmean is the mean; ivci "[lo, hi]" (– with fewer than two values).
	"ivmean": func(name string, iv audit.Interval) string {
		if iv.N == 0 {
			return "–"
		}
		return ivNum(name, iv.Mean)
	},
	"ivci": func(name string, iv audit.Interval) string {
		if iv.N < 2 {
			return "–"
		}
		return "[" + ivBound(name, iv.Lo) + ", " + ivBound(name, iv.Hi) + "]"
	},
	// iv is "mean [lo, hi]" in one cell.
	"iv": func(name string, iv audit.Interval) string {
		if iv.N == 0 {
			return "–"
		}
		s := ivNum(name, iv.Mean)
		if iv.N >= 2 {
			s += " [" + ivBound(name, iv.Lo) + ", " + ivBound(name, iv.Hi) + "]"
		}
		return s
	},
	"ivvalues": func(name string, iv audit.Interval) string {
		parts := make([]string, len(iv.Values))
		for i, v := range iv.Values {
			parts[i] = ivNum(name, v)
		}
		return strings.Join(parts, ", ")
	},
	"outside": func(iv audit.Interval) bool {
		return iv.N > 0 && (iv.Mean < audit.FourFifths[0] || iv.Mean > audit.FourFifths[1])
	},
	"seeds": func(xs []uint64) string {
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = strconv.FormatUint(x, 10)
		}
		return strings.Join(parts, ", ")
	},
	"sub1": func(n int) int { return n - 1 },
}

func init() {
	for k, v := range replicateFuncs {
		funcs[k] = v
	}
}
