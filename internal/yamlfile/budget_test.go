package yamlfile

import (
	"context"
	"io/fs"
	"testing"

	"github.com/nosedive-lab/nosedive/scenarios"
)

// The built-in scenarios, the largest real files, use a small part of each
// budget: the budgets are generous for real files.
func TestBuiltinsWellInsideBudgets(t *testing.T) {
	names, err := fs.Glob(scenarios.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("built-in scenarios: %v %v", names, err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(scenarios.FS, name)
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
		const maxFileSize = 4 << 20 // a scenario's byte budget
		if len(src) > maxFileSize/64 || u.depth > MaxDepth/4 || u.nodes > MaxNodes/20 || u.keys > MaxKeys/10 || u.line > MaxLineBytes/20 {
			t.Errorf("%s uses too much of a budget: %d bytes, %+v", name, len(src), u)
		}
	}
}
