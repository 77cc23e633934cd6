package runner

import "testing"

// --max-memory takes finite, positive sizes below 8 EiB and nothing else.
// (Before, NaNGiB, InfGiB, 1e30GiB and 12xGiB were accepted.)
func TestParseBytesClosesTheClass(t *testing.T) {
	good := map[string]uint64{"512MiB": 512 << 20, "8GiB": 8 << 30, "1.5GB": 1_500_000_000, "1B": 1, "2e3KB": 2_000_000, "1TiB": 1 << 40}
	for s, want := range good {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"NaNGiB", "nanGiB", "InfGiB", "+InfGiB", "-InfGiB", "infinityGiB", "-1GiB", "0GiB", "0B",
		"0.1B", "1e30GiB", "9EiB", "8388608TiB", "1e400B", "12xGiB", "0x10GiB", "1_000MiB", "GiB", "", "8", "8 GiB", " 8GiB", "8GiB "} {
		if got, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", s, got)
		}
	}
}
