package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxBytes is the largest size ParseBytes accepts (8 EiB: the Go
// runtime's memory limit is an int64).
const maxBytes = 1 << 63

// ParseBytes parses a size such as 512MiB, 8GiB or 1.5GB (Spec.MaxMemory,
// `nosedive run --max-memory`): a finite, positive decimal number and a
// unit, at least 1 byte and below 8 EiB. NaN, Inf, negative, zero,
// overflowing and trailing-garbage values are refused.
func ParseBytes(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	bad := fmt.Errorf("expected a size such as 512MiB or 8GiB, got %q", s)
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		// Plain decimals only: strconv would also take "NaN", "Inf",
		// hexadecimal floats and underscores.
		if num == "" || strings.Trim(num, "0123456789.eE+-") != "" {
			return 0, bad
		}
		x, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, bad
		}
		b := x * u.mult
		switch {
		case !(b >= 1):
			return 0, fmt.Errorf("%q is below one byte", s)
		case b >= maxBytes:
			return 0, fmt.Errorf("%q is too large (the limit is 8 EiB)", s)
		}
		return uint64(b), nil
	}
	return 0, bad
}
