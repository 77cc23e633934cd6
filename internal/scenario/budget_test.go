package scenario

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// Each budget lets through a file exactly at it and stops one just past it,
// at the place that goes past.
func TestBudgetBoundaries(t *testing.T) {
	keys := func(n int, flow bool) string {
		var b strings.Builder
		if flow {
			b.WriteString("m: {")
		} else {
			b.WriteString("m:\n")
		}
		for i := 0; i < n; i++ {
			if flow {
				b.WriteString("k" + strconv.Itoa(i) + ": 1, ")
			} else {
				b.WriteString("  k" + strconv.Itoa(i) + ": 1\n")
			}
		}
		if flow {
			b.WriteString("}\n")
		}
		return b.String()
	}
	indented := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(strings.Repeat(" ", i) + "k:\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name     string
		at, past string
		pos      Pos // where the one past is stopped
		budget   string
	}{
		{"flow depth", "a: " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1),
			"a: " + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), Pos{Line: 1, Col: 3 + MaxDepth}, "depth"},
		{"block depth", indented(MaxDepth), indented(MaxDepth + 1), Pos{Line: MaxDepth + 1, Col: MaxDepth + 1}, "depth"},
		{"compact list depth", strings.Repeat("- ", MaxDepth) + "x", strings.Repeat("- ", MaxDepth+1) + "x", Pos{Line: 1, Col: 2*MaxDepth + 1}, "depth"},
		{"list under a key at its column", "a:\n" + strings.Repeat(" ", 0) + "- " + strings.Repeat("[", MaxDepth-2) + strings.Repeat("]", MaxDepth-2),
			"a:\n- " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1), Pos{Line: 2, Col: 2 + MaxDepth - 1}, "depth"},
		{"block keys", keys(MaxKeys, false), keys(MaxKeys+1, false), Pos{Line: MaxKeys + 2, Col: 3}, "key"},
		{"flow keys", keys(MaxKeys, true), keys(MaxKeys+1, true), Pos{Line: 1, Col: 0}, "key"},
		{"line", "a: " + strings.Repeat("x", MaxLineBytes-3), "a: " + strings.Repeat("x", MaxLineBytes-2), Pos{Line: 1, Col: MaxLineBytes + 1}, "line"},
		{"line of multi-byte characters", "a: " + strings.Repeat("é", (MaxLineBytes-3)/2), "a: " + strings.Repeat("é", (MaxLineBytes-3)/2) + "xx",
			Pos{Line: 1, Col: 4 + (MaxLineBytes-3)/2 + 1}, "line"},
		{"nodes", "l:\n" + strings.Repeat("- 1\n", MaxNodes/5), "l:\n" + strings.Repeat("- 1\n", MaxNodes/2), Pos{}, "node"},
		{"a block scalar's lines are not counted", "a: |\n" + strings.Repeat("  - [[[[: x\n", MaxNodes), "", Pos{}, ""},
		{"a quoted scalar's lines are not counted", "a: \"" + strings.Repeat("[[[[, ]: x\n", MaxNodes) + "\"", "", Pos{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Prescan("b.yaml", []byte(tc.at)); err != nil {
				t.Errorf("at the budget: %v", err)
			}
			if tc.past == "" {
				return
			}
			err := Prescan("b.yaml", []byte(tc.past))
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("past the budget: %v, want one diagnostic", err)
			}
			if want := "(the loader's " + tc.budget + " budget)"; !strings.HasSuffix(es[0].Msg, want) {
				t.Errorf("past the budget: %q, want it to end in %q", es[0].Msg, want)
			}
			if tc.pos.Line > 0 && (es[0].Line != tc.pos.Line || tc.pos.Col > 0 && es[0].Col != tc.pos.Col) {
				t.Errorf("past the budget: at %d:%d, want %d:%d", es[0].Line, es[0].Col, tc.pos.Line, tc.pos.Col)
			}
		})
	}
}
