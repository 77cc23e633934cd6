package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindUnfinished: a run directory with a spec is itself; an output
// directory with exactly one .tmp-* child holding a spec gives that child;
// none or several (listed) is an error naming the directory.
func TestFindUnfinished(t *testing.T) {
	out := t.TempDir()
	mk := func(name string, spec bool) string {
		d := filepath.Join(out, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if spec {
			os.WriteFile(filepath.Join(d, SpecFile), []byte("{}"), 0o644)
		}
		return d
	}
	mk(".tmp-nospec", false)
	mk("finished", true) // not .tmp-*: not looked at
	if _, err := FindUnfinished(out); err == nil || err.Error() != out+": no unfinished run here" {
		t.Errorf("none: %v", err)
	}
	a := mk(".tmp-a", true)
	if got, err := FindUnfinished(out); got != a || err != nil {
		t.Errorf("one: %q %v", got, err)
	}
	if got, err := FindUnfinished(a); got != a || err != nil {
		t.Errorf("the run itself: %q %v", got, err)
	}
	b := mk(".tmp-b", true)
	_, err := FindUnfinished(out)
	if err == nil || !strings.HasPrefix(err.Error(), out+" holds 2 unfinished runs; name one:\n  ") ||
		!strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Errorf("two: %v", err)
	}
	if _, err := FindUnfinished(filepath.Join(out, "missing")); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(out, "missing")+": ") {
		t.Errorf("missing: %v", err)
	}
}
