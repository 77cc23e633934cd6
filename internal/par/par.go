// Package par runs loops over fixed-size chunks of an index range on all
// cores. Chunk boundaries depend only on the range and the chunk size, never
// on the number of cores, so code whose chunks write disjoint outputs gives
// the same result on any machine.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(lo, hi) for consecutive chunks [lo, hi) of [0, n), each at
// most chunk long, on up to GOMAXPROCS goroutines, and returns when all are
// done.
func For(n, chunk int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for lo := 0; lo < n; lo += chunk {
			fn(lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				lo := c * chunk
				fn(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
