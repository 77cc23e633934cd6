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
	wake      []chan struct{} // one per worker
	done      sync.WaitGroup
	next      atomic.Int64 // next chunk to take
	job       func(w, lo, hi int) error
	errs      []error // per chunk
}

func newPool(workers, n int) *pool {
	p := &pool{n: n, chunks: (n + ChunkSize - 1) / ChunkSize, wake: make([]chan struct{}, workers)}
	p.errs = make([]error, p.chunks)
	for w := range p.wake {
		p.wake[w] = make(chan struct{})
		go p.work(w)
	}
	return p
}

// work is worker w's loop: take chunks until none are left, then wait for
// the next job.
func (p *pool) work(w int) {
	for range p.wake[w] {
		for {
			c := int(p.next.Add(1) - 1)
			if c >= p.chunks {
				break
			}
			lo := c * ChunkSize
			p.errs[c] = p.job(w, lo, min(lo+ChunkSize, p.n))
		}
		p.done.Done()
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
