package par

import (
	"runtime"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 999, 1000, 1001, 12345} {
			seen := make([]int32, n)
			For(n, 1000, func(lo, hi int) {
				if hi-lo > 1000 || lo%1000 != 0 {
					t.Errorf("chunk [%d,%d) is not aligned to 1000", lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("GOMAXPROCS %d, n %d: index %d visited %d times", procs, n, i, c)
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
