package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a fake clock that moves only when told to.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)} }

func TestPlainLinesAtEveryTenthAndOnSilence(t *testing.T) {
	c := newClock()
	var b bytes.Buffer
	m := New(&b, 20, "runs done", Options{Now: c.now, Every: 10 * time.Second})
	for i := 1; i <= 20; i++ {
		c.advance(time.Second)
		detail := ""
		if i >= 5 {
			detail = "1 failed"
		}
		m.Set(i, detail)
		if i == 7 {
			c.advance(15 * time.Second) // a long run: the next report is due on time, not on count
		}
	}
	m.Finish()
	want := []string{
		"nosedive: 2/20 runs done (10%), elapsed 2s, eta 18s",
		"nosedive: 4/20 runs done (20%), elapsed 4s, eta 16s",
		"nosedive: 6/20 runs done (30%), elapsed 6s, eta 14s; 1 failed",
		"nosedive: 8/20 runs done (40%), elapsed 23s, eta 35s; 1 failed",
		"nosedive: 10/20 runs done (50%), elapsed 25s, eta 25s; 1 failed",
		"nosedive: 12/20 runs done (60%), elapsed 27s, eta 18s; 1 failed",
		"nosedive: 14/20 runs done (70%), elapsed 29s, eta 12s; 1 failed",
		"nosedive: 16/20 runs done (80%), elapsed 31s, eta 7.8s; 1 failed",
		"nosedive: 18/20 runs done (90%), elapsed 33s, eta 3.7s; 1 failed",
		"nosedive: 20/20 runs done (100%), elapsed 35s, eta 0s; 1 failed",
	}
	if diff := cmp.Diff(strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"), want); diff != "" {
		t.Errorf("lines (-got +want):\n%s", diff)
	}
}

func TestPlainHeartbeatWithinATenth(t *testing.T) {
	c := newClock()
	var b bytes.Buffer
	m := New(&b, 1000, "days", Options{Now: c.now})
	for i := 1; i <= 50; i++ {
		c.advance(time.Second) // 50 s for 5% of the work
		m.Set(i, "")
	}
	want := "nosedive: 10/1000 days (1%), elapsed 10s, eta 16m30s\n" +
		"nosedive: 20/1000 days (2%), elapsed 20s, eta 16m20s\n" +
		"nosedive: 30/1000 days (3%), elapsed 30s, eta 16m10s\n" +
		"nosedive: 40/1000 days (4%), elapsed 40s, eta 16m0s\n" +
		"nosedive: 50/1000 days (5%), elapsed 50s, eta 15m50s\n"
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestUnknownTotal(t *testing.T) {
	c := newClock()
	var b bytes.Buffer
	m := New(&b, 0, "twin runs", Options{Now: c.now, Every: 5 * time.Second})
	for i := 1; i <= 12; i++ {
		c.advance(time.Second)
		m.Set(i, "")
	}
	want := "nosedive: 1 twin runs, elapsed 1s\nnosedive: 6 twin runs, elapsed 6s\nnosedive: 11 twin runs, elapsed 11s\n"
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

func TestBarRedrawsInPlaceAndClears(t *testing.T) {
	c := newClock()
	var b bytes.Buffer
	m := New(&b, 4, "days", Options{Bar: true, Now: c.now})
	c.advance(500 * time.Millisecond)
	m.Set(1, "")
	c.advance(50 * time.Millisecond) // within Redraw: not drawn
	m.Set(2, "")
	c.advance(time.Second)
	m.Set(3, "")
	m.Note("nosedive: run r7 failed: boom")
	c.advance(50 * time.Millisecond)
	m.Set(3, "1 failed") // a new detail, within Redraw: not drawn
	m.Set(4, "")
	m.Finish() // nothing left to clear
	want := "\r\x1b[Kdays  25% [=======>                      ] 1/4, elapsed 500ms, eta 1.5s" +
		"\r\x1b[Kdays  75% [======================>       ] 3/4, elapsed 1.6s, eta 517ms" +
		"\r\x1b[Knosedive: run r7 failed: boom\n" +
		"\r\x1b[Kdays  75% [======================>       ] 3/4, elapsed 1.6s, eta 517ms" +
		"\r\x1b[K" // the last unit clears the bar
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("(-got +want):\n%q\n%q", b.String(), want)
	}
}

func TestNoteWithoutBarIsALine(t *testing.T) {
	var b bytes.Buffer
	m := New(&b, 3, "runs done", Options{Now: newClock().now})
	m.Note("nosedive: run x failed: y")
	m.Finish()
	if b.String() != "nosedive: run x failed: y\n" {
		t.Errorf("%q", b.String())
	}
}

func TestConcurrentReports(t *testing.T) {
	var b bytes.Buffer
	m := New(&b, 100, "runs done", Options{})
	var wg sync.WaitGroup
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); m.Set(i, "") }()
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "nosedive: ") {
			t.Errorf("torn line %q", l)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
}

// Days counts days, in plain lines on a writer that is not a terminal.
func TestDays(t *testing.T) {
	var b bytes.Buffer
	report, finish := Days(&b, 10)
	for d := 1; d <= 10; d++ {
		report(d, 10)
	}
	finish()
	if !strings.HasPrefix(b.String(), "nosedive: 1/10 days (10%), elapsed ") || !strings.Contains(b.String(), "nosedive: 10/10 days (100%)") || strings.Contains(b.String(), "\r") {
		t.Errorf("Days wrote:\n%q", b.String())
	}
}
