package web

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// A request must never take the lab down or jam it for others. Three
// rules keep it so:
//
//   - every semaphore and lock a handler takes is released by defer
//     (withHeavy, loadedRun.with), so a panic in the middle releases it;
//   - a panic in a handler is answered with a 500 and logged once
//     (recoverPanic); a panic while computing a cached value becomes that
//     value's error for every waiter and is not cached (entry.build);
//   - a damaged run is an error naming its file, answered on that run's
//     requests only (runError).

// PanicError is a panic recovered while serving, turned into an error.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: %v", e.Value) }

// recovered turns a recovered panic value into a *PanicError and logs it
// with its stack (once: the caller does not log it again).
func recovered(l *log.Logger, where string, p any) error {
	e := &PanicError{Value: p, Stack: debug.Stack()}
	l.Printf("web: panic in %s: %v\n%s", where, p, e.Stack)
	return e
}

// headerWriter remembers whether the response has started, so that a
// panic after the first byte is not followed by a second status line.
type headerWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *headerWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush lets event streams through the wrapper.
func (w *headerWriter) Flush() {
	w.wrote = true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (write
// deadlines of event streams).
func (w *headerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanic answers a handler's panic with a 500 (when nothing was
// sent yet) and logs it; http.ErrAbortHandler keeps its meaning.
func (s *Server) recoverPanic(w *headerWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	recovered(s.cfg.Log, r.Method+" "+r.URL.Path, p)
	if !w.wrote {
		httpError(w, http.StatusInternalServerError, "internal error while serving "+r.URL.Path+" (logged by the server); other requests are not affected")
		return
	}
	panic(http.ErrAbortHandler) // a half-sent answer: cut the connection
}

// withHeavy runs f holding the heavy-work slot (replays, twin runs,
// reports: one at a time), or returns ctx's error if the client leaves
// before the slot frees.
func (s *Server) withHeavy(ctx context.Context, f func() error) error {
	select {
	case s.heavy <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.heavy }()
	return f()
}

// entry is a value computed once for concurrent callers. A failure, error
// or panic, is given to the callers waiting for it and then forgotten, so
// that the next request tries again (a sync.Once would keep it).
type entry[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newEntry[T any]() *entry[T] { return &entry[T]{done: make(chan struct{})} }

// build computes the value; only the caller that created the entry calls it.
func (e *entry[T]) build(l *log.Logger, what string, f func() (T, error)) {
	defer close(e.done)
	defer func() {
		if p := recover(); p != nil {
			e.err = recovered(l, what, p)
		}
	}()
	e.val, e.err = f()
}

// wait returns the value once built.
func (e *entry[T]) wait() (T, error) {
	<-e.done
	return e.val, e.err
}

// runError answers a failure to read or compute something of one run:
// a damaged file is named (relative to the store, whose location is not
// the client's business) and said to concern this run only.
func (s *Server) runError(w http.ResponseWriter, id string, err error) {
	msg := strings.ReplaceAll(err.Error(), s.cache.st.root+"/", "")
	var de *store.DamagedError
	if errors.As(err, &de) {
		msg = fmt.Sprintf("run %s cannot be read: %s. Other runs are not affected; run it again, or remove its directory from the store.", id, msg)
	}
	httpError(w, http.StatusInternalServerError, msg)
}
