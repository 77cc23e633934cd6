package scenario

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Pos is a position in a scenario file (1-based line and column). The zero
// Pos means "no position known".
type Pos struct {
	Line, Col int
}

// Diag is one positioned problem found in a scenario file.
type Diag struct {
	File string
	Pos
	Msg string
}

func (d Diag) String() string {
	switch {
	case d.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
	default:
		return fmt.Sprintf("%s: %s", d.File, d.Msg)
	}
}

// Errors is every problem found in one scenario, sorted by position. It is
// the error type returned for bad input; callers map it to exit code 2.
type Errors []Diag

func (e Errors) Error() string {
	var b strings.Builder
	for i, d := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// diags collects diagnostics for one file.
type diags struct {
	file string
	src  []byte // the file's text, to place expression errors
	list []Diag
	// lines holds the offset of each line of src, made on first use by
	// locate (so placing many errors reads the file once).
	lines []int
	// ctx stops the work early; a nil ctx never does. Its error, once
	// seen, is what err returns.
	ctx      context.Context
	canceled error
	// suggestCost is the hint work spent so far (see suggest).
	suggestCost int
}

// lineStarts returns the byte offset where each line of src starts.
func (d *diags) lineStarts() []int {
	if d.lines == nil {
		d.lines = append(make([]int, 0, 64), 0)
		for i, c := range d.src {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	return d.lines
}

// suggestBudget bounds the work of "did you mean" hints in one load, in
// cells of the edit-distance table: past it, hints are left out, so that a
// file of many long unknown names costs no more than a few milliseconds.
const suggestBudget = 20_000_000

// suggest is rule.Suggest with a budget: it compares name only with the
// candidates whose length is close enough for a hint (the others cannot
// be suggested) and gives up once the load's budget is spent.
func (d *diags) suggest(name string, candidates []string) string {
	near := make([]string, 0, 8)
	cost := 0
	for _, c := range candidates {
		if diff := len(c) - len(name); diff <= 3 && diff >= -3 {
			near = append(near, c)
			cost += (len(c) + 1) * (len(name) + 1)
		}
	}
	if len(near) == 0 || d.suggestCost+cost > suggestBudget {
		return ""
	}
	d.suggestCost += cost
	return rule.Suggest(name, near)
}

// context returns the load's context, never nil.
func (d *diags) context() context.Context {
	if d.ctx == nil {
		return context.Background()
	}
	return d.ctx
}

// done reports whether the load was cancelled, remembering the reason.
func (d *diags) done() bool {
	if d.canceled == nil && d.ctx != nil {
		d.canceled = d.ctx.Err()
	}
	return d.canceled != nil
}

func (d *diags) add(p Pos, format string, args ...any) {
	d.list = append(d.list, Diag{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) err() error {
	if d.done() {
		return fmt.Errorf("load %s: %w", d.file, d.canceled)
	}
	if len(d.list) == 0 {
		return nil
	}
	out := make(Errors, len(d.list))
	copy(out, d.list)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Col < out[j].Col
	})
	// Drop exact duplicates (the same problem reached twice).
	uniq := out[:0]
	for i, d := range out {
		if i > 0 && d == out[i-1] {
			continue
		}
		uniq = append(uniq, d)
	}
	return uniq
}
