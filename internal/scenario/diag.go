package scenario

import (
	"fmt"
	"sort"
	"strings"
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
}

func (d *diags) add(p Pos, format string, args ...any) {
	d.list = append(d.list, Diag{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) err() error {
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
