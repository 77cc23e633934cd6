package store

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSlug(t *testing.T) {
	for _, c := range []struct{ label, want string }{
		{"", ""},
		{"Cap lifted", "cap-lifted"},
		{"  --Cap  lifted (what-if)!  ", "cap-lifted-what-if"},
		{"Ünïcode only: ü", "n-code-only"},
		{"日本", ""},
		{strings.Repeat("ab ", 30), strings.TrimSuffix(strings.Repeat("ab-", 13), "-") + "-a"},
	} {
		got := Slug(c.label)
		if got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.label, got, c.want)
		}
		if len(got) > maxSlug || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") {
			t.Errorf("Slug(%q) = %q: longer than %d or dashes at an end", c.label, got, maxSlug)
		}
	}
	at := time.Date(2026, 12, 6, 20, 15, 5, 0, time.UTC)
	if got := BaseID("xinjiang-pilot", "Cap lifted", 7, at); got != "xinjiang-pilot-cap-lifted-s7-20261206-201505" {
		t.Errorf("BaseID = %q", got)
	}
	if got := BaseID("benchmark", "!!", 7, at); got != "benchmark-s7-20261206-201505" {
		t.Errorf("BaseID without a usable label = %q", got)
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"", "Cap lifted", "Ünïcode 日本", strings.Repeat("x", MaxNameLength)} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{strings.Repeat("x", MaxNameLength+1), "a\nb", "\x1b[31mred", "\u0085", "\xff"} {
		if err := ValidName(bad); err == nil {
			t.Errorf("ValidName(%q) accepted", bad)
		}
	}
}

// Writers claiming the same base id at once (the same scenario, seed and
// second) each get a distinct directory: base, base-2, ... base-N.
func TestCreateUniqueInParallel(t *testing.T) {
	root := t.TempDir()
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			w, err := CreateUnique(root, "s-s1-20261206-201505")
			if err != nil {
				t.Error(err)
				return
			}
			ids[k] = w.ID()
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for k := 1; k <= n; k++ {
		id := "s-s1-20261206-201505"
		if k > 1 {
			id = fmt.Sprintf("%s-%d", id, k)
		}
		if !seen[id] {
			t.Errorf("no writer got %s: %v", id, ids)
		}
	}
	if e, _ := os.ReadDir(root); len(e) != n {
		t.Errorf("%d directories claimed, want %d", len(e), n)
	}
}
