// Package progress reports how far a long command has got, one way for
// every command: on a terminal a bar redrawn in place with the count, the
// elapsed time and an estimate of the time left; anywhere else (a log
// file, a pipe, a batch job's output) a plain line at every tenth of the
// work and at least every so often while it goes on.
//
// A Meter writes only to the writer it is given and reads the time only
// from its clock, so tests drive it deterministically. It knows nothing of
// what is counted (days, runs, twin runs): the caller names the unit.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Options shape a Meter; the zero value gives plain lines on the wall
// clock.
type Options struct {
	// Bar redraws one line in place (use IsTerminal); otherwise each
	// report is a line of its own.
	Bar bool
	// Every is, for plain lines, the longest silence while work goes on
	// (a line is also written at every tenth of the work). Default 10 s.
	Every time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Redraw is the shortest interval between two redraws of a bar.
const Redraw = 100 * time.Millisecond

// barWidth is the number of cells of the bar itself.
const barWidth = 30

// Meter reports the progress of counted work. It is safe for concurrent
// use (a sweep reports from its workers).
type Meter struct {
	mu     sync.Mutex
	w      io.Writer
	total  int
	unit   string
	opt    Options
	start  time.Time
	last   time.Time // of the last line or redraw
	tenth  int       // last tenth of the work reported in plain lines
	done   int
	detail string
	shown  bool // a bar is on the screen
}

// New starts a meter for total units of work (total <= 0: unknown, then
// no percentage and no estimate), named unit in its lines ("days", "runs
// done").
func New(w io.Writer, total int, unit string, o Options) *Meter {
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Meter{w: w, total: total, unit: unit, opt: o, start: o.Now(), done: -1}
	m.last = m.start
	return m
}

// IsTerminal reports whether w is a terminal, where a bar can be redrawn.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Set reports that done units are finished; detail, when not empty, is
// added to the line ("2 failed").
func (m *Meter) Set(done int, detail string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if done == m.done && detail == m.detail {
		return
	}
	m.done, m.detail = done, detail
	now := m.opt.Now()
	finished := m.total > 0 && done >= m.total
	if m.opt.Bar {
		switch {
		case finished:
			// Done: clear the bar, so that what the command prints next
			// starts on a clean line.
			m.clear()
		case now.Sub(m.last) >= Redraw || !m.shown:
			m.last = now
			m.draw(now)
		}
		return
	}
	tenth := 0
	if m.total > 0 {
		tenth = 10 * min(done, m.total) / m.total
	}
	first := m.total <= 0 && m.last.Equal(m.start) && done > 0
	if tenth > m.tenth || now.Sub(m.last) >= m.opt.Every || first {
		m.tenth = max(m.tenth, tenth)
		m.last = now
		fmt.Fprintln(m.w, "nosedive: "+m.line(now))
	}
}

// Note writes a line of its own (a failure, a warning) without tearing
// the bar: the bar is cleared, the line written and the bar drawn again.
func (m *Meter) Note(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shown {
		fmt.Fprint(m.w, "\r\x1b[K")
	}
	fmt.Fprintln(m.w, line)
	if m.shown {
		m.draw(m.opt.Now())
	}
}

// Finish clears the bar (a bar also clears itself when the work is
// done), leaving the screen as it was; plain lines stay. Call it before
// printing anything else, also when the work stopped early.
func (m *Meter) Finish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
}

func (m *Meter) clear() {
	if m.shown {
		fmt.Fprint(m.w, "\r\x1b[K")
		m.shown = false
	}
}

// line is a report without the "nosedive: " prefix:
// "3/12 runs done (25%), elapsed 9s, eta 26s; 1 failed".
func (m *Meter) line(now time.Time) string {
	el := now.Sub(m.start)
	var b strings.Builder
	if m.total > 0 {
		fmt.Fprintf(&b, "%d/%d %s (%.0f%%), elapsed %s, eta %s", m.done, m.total, m.unit,
			100*float64(min(m.done, m.total))/float64(m.total), duration(el), m.eta(el))
	} else {
		fmt.Fprintf(&b, "%d %s, elapsed %s", m.done, m.unit, duration(el))
	}
	if m.detail != "" {
		b.WriteString("; " + m.detail)
	}
	return b.String()
}

// draw writes the bar over the current line:
// "runs done  25% [=======>                      ] 3/12, elapsed 9s, eta 26s".
func (m *Meter) draw(now time.Time) {
	m.shown = true
	el := now.Sub(m.start)
	if m.total <= 0 {
		fmt.Fprintf(m.w, "\r\x1b[K%s %d, elapsed %s", m.unit, m.done, duration(el))
	} else {
		done := min(max(m.done, 0), m.total)
		cells := barWidth * done / m.total
		bar := strings.Repeat("=", cells)
		if cells < barWidth {
			bar += ">" + strings.Repeat(" ", barWidth-cells-1)
		}
		fmt.Fprintf(m.w, "\r\x1b[K%s %3.0f%% [%s] %d/%d, elapsed %s, eta %s", m.unit, 100*float64(done)/float64(m.total),
			bar, done, m.total, duration(el), m.eta(el))
	}
	if m.detail != "" {
		fmt.Fprint(m.w, "; "+m.detail)
	}
}

// eta extrapolates the time left from the pace so far ("-" before the
// first unit is done).
func (m *Meter) eta(el time.Duration) string {
	if m.done <= 0 {
		return "-"
	}
	left := max(m.total-m.done, 0)
	return duration(time.Duration(float64(el) / float64(m.done) * float64(left)))
}

// duration rounds to what a person reads: milliseconds below a second,
// tenths of a second below ten seconds, seconds above.
func duration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Days is a meter of a run's days in the form runner's progress callbacks
// take: report(day, days) moves it, finish ends it. A bar with count,
// elapsed time and ETA when w is a terminal, plain lines otherwise.
func Days(w io.Writer, days int) (report func(day, days int), finish func()) {
	m := New(w, days, "days", Options{Bar: IsTerminal(w)})
	return func(d, _ int) { m.Set(d, "") }, m.Finish
}
