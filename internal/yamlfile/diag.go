package yamlfile

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Pos is a position in a file (1-based line and column, the column in
// runes). The zero Pos means "no position known".
type Pos struct {
	Line, Col int
}

// Diag is one positioned problem found in a file.
type Diag struct {
	File string
	Pos
	Msg string
}

// String is the diagnostic as the CLI prints it: FILE:LINE:COL: MSG, or
// FILE: MSG without a position.
func (d Diag) String() string {
	switch {
	case d.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
	default:
		return fmt.Sprintf("%s: %s", d.File, d.Msg)
	}
}

// Errors is every problem found in one file, sorted by position. It is
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

// Diags collects the diagnostics of one file: the tree, the decoder and
// the caller's own checks add to it, and Err returns them together. The
// zero Diags (with File and Src set as needed) is ready to use.
type Diags struct {
	// File names the file in every diagnostic.
	File string
	// Src is the file's text: what Parse parses and Locate reads.
	Src []byte
	// Ctx stops the work early; a nil Ctx never does. Its error, once
	// seen, is what Err returns.
	Ctx context.Context

	list []Diag
	// lines holds the offset of each line of Src, made on first use by
	// LineStarts (so placing many errors reads the file once).
	lines    []int
	canceled error
	// suggestCost is the hint work spent so far (see Suggest).
	suggestCost int
}

// LineStarts returns the byte offset where each line of Src starts.
func (d *Diags) LineStarts() []int {
	if d.lines == nil {
		d.lines = append(make([]int, 0, 64), 0)
		for i, c := range d.Src {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	return d.lines
}

// SuggestBudget bounds the work of "did you mean" hints for one file, in
// cells of the edit-distance table: past it, hints are left out, so that a
// file of many long unknown names costs no more than a few milliseconds.
const SuggestBudget = 20_000_000

// Suggest is rule.Suggest (the one "did you mean" of nosedive) with a
// budget: it compares name only with the candidates whose length is close
// enough for a hint (the others cannot be suggested) and gives up once the
// file's budget is spent.
func (d *Diags) Suggest(name string, candidates []string) string {
	near := make([]string, 0, 8)
	cost := 0
	for _, c := range candidates {
		if diff := len(c) - len(name); diff <= 3 && diff >= -3 {
			near = append(near, c)
			cost += (len(c) + 1) * (len(name) + 1)
		}
	}
	if len(near) == 0 || d.suggestCost+cost > SuggestBudget {
		return ""
	}
	d.suggestCost += cost
	return rule.Suggest(name, near)
}

// Context returns the file's context, never nil.
func (d *Diags) Context() context.Context {
	if d.Ctx == nil {
		return context.Background()
	}
	return d.Ctx
}

// Done reports whether the work was cancelled, remembering the reason.
func (d *Diags) Done() bool {
	if d.canceled == nil && d.Ctx != nil {
		d.canceled = d.Ctx.Err()
	}
	return d.canceled != nil
}

// Add records one diagnostic at p (the zero Pos for none).
func (d *Diags) Add(p Pos, format string, args ...any) {
	d.list = append(d.list, Diag{File: d.File, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// Len is the number of diagnostics added so far.
func (d *Diags) Len() int { return len(d.list) }

// Err returns nil when nothing was added, the context's error (wrapped)
// when the work was cancelled, and otherwise Errors sorted by position
// (stable, so problems at one place keep their order), exact duplicates
// dropped.
func (d *Diags) Err() error {
	if d.Done() {
		return fmt.Errorf("load %s: %w", d.File, d.canceled)
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

// Positions records where each decoded key path was given: "run.days",
// "behaviours[2].rate" (list items by index). The Decoder fills it; later
// semantic checks look positions up in it, and presence in it tells a
// value written as zero from one left out.
type Positions map[string]Pos

// At returns where path was given, or fallback when it was not.
func (p Positions) At(fallback Pos, path string) Pos {
	if q, ok := p[path]; ok {
		return q
	}
	return fallback
}
