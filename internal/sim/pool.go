package sim

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// pool runs a job over every chunk of agents on workers that live as long
// as the engine: starting goroutines for each pass of each day would
// allocate, and the day step allocates nothing.
//
// The workers hold only the pool, and the pool holds the job only while it
// runs, so an engine that is no longer used can be collected; a cleanup
// registered on the engine then stops its workers (see Engine.parallel).
type pool struct {
	n, chunks int
	wake      []chan struct{} // one per worker but the first: the caller is worker 0
	done      sync.WaitGroup
	next      atomic.Int64 // next chunk to take
	job       func(w, lo, hi int) error
	errs      []error // per chunk
}

func newPool(workers, n int) *pool {
	p := &pool{n: n, chunks: (n + ChunkSize - 1) / ChunkSize, wake: make([]chan struct{}, workers-1)}
	p.errs = make([]error, p.chunks)
	for k := range p.wake {
		p.wake[k] = make(chan struct{})
		go p.work(k)
	}
	return p
}

// work is the loop of the worker woken by wake[k] (worker k+1).
func (p *pool) work(k int) {
	for range p.wake[k] {
		p.take(k + 1)
		p.done.Done()
	}
}

// take runs the job on chunks until none are left.
func (p *pool) take(w int) {
	for {
		c := int(p.next.Add(1) - 1)
		if c >= p.chunks {
			return
		}
		lo := c * ChunkSize
		p.errs[c] = p.job(w, lo, min(lo+ChunkSize, p.n))
	}
}

// run runs job on every chunk and returns the first error by chunk order,
// so errors are deterministic too.
func (p *pool) run(job func(w, lo, hi int) error) error {
	p.job = job
	p.next.Store(0)
	clear(p.errs)
	p.done.Add(len(p.wake))
	for _, c := range p.wake {
		c <- struct{}{}
	}
	p.take(0)
	p.done.Wait()
	p.job = nil
	for _, err := range p.errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// stop ends the workers.
func (p *pool) stop() {
	for _, c := range p.wake {
		close(c)
	}
}

// parallel runs fn over every chunk on the engine's workers; fn gets the
// worker index and the chunk's agent range. The first error by chunk order
// wins.
func (e *Engine) parallel(fn func(w, lo, hi int) error) error {
	if e.pool == nil {
		e.pool = newPool(e.opt.Workers, e.n)
		runtime.AddCleanup(e, (*pool).stop, e.pool)
	}
	return e.pool.run(fn)
}
