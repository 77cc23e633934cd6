package scenario

import (
	"context"
	"testing"
)

// The built-in scenarios, the largest real ones, use a small part of each
// budget: the budgets are generous for real files.
func TestBuiltinsWellInsideBudgets(t *testing.T) {
	for _, name := range builtinNames() {
		src, err := BuiltinSource(name)
		if err != nil {
			t.Fatal(err)
		}
		s := &prescanner{ctx: context.Background(), src: src}
		s.scan()
		if s.msg != "" {
			t.Fatalf("%s: %s", name, s.msg)
		}
		u := s.used
		u.nodes = s.nodes
		t.Logf("%s: %d bytes, depth %d, %d nodes, %d keys, %d-byte line", name, len(src), u.depth, u.nodes, u.keys, u.line)
		if len(src) > MaxFileSize/64 || u.depth > MaxDepth/4 || u.nodes > MaxNodes/20 || u.keys > MaxKeys/20 || u.line > MaxLineBytes/20 {
			t.Errorf("%s uses too much of a budget: %d bytes, %+v", name, len(src), u)
		}
	}
}
