package scenario

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates (the package's tests do not run
// in parallel, so other goroutines add little).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hostile is one shape of input that once made the loader use memory or
// time far beyond its size. Each is made at full size here (they are too
// big to commit) and, at a small size, seeds FuzzLoad.
type hostile struct {
	name string
	make func(n int) string
	n    int    // the size tested
	want string // a substring of the one diagnostic expected
	seed int    // a size just past the budget, to seed FuzzLoad
}

// benchmarkWith returns the benchmark scenario with one expression
// replaced.
func benchmarkWith(t testing.TB, old, new string) string {
	src, err := BuiltinSource("benchmark")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("benchmark scenario has no %q", old)
	}
	return strings.Replace(string(src), old, new, 1)
}

func hostiles(t testing.TB) []hostile {
	return []hostile{
		{"deep flow nesting", func(n int) string {
			return "name: x\ndeep: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
		}, 100_000, "(the loader's depth budget)", 70},
		{"deep flow mappings", func(n int) string {
			return "name: x\ndeep: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + "\n"
		}, 50_000, "(the loader's depth budget)", 70},
		{"deep block nesting, compact", func(n int) string {
			return "name: x\ndeep:\n" + strings.Repeat("- ", n) + "x\n"
		}, 40_000, "(the loader's depth budget)", 70},
		{"deep block nesting, indented", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\n")
			for i := 0; i < n; i++ {
				b.WriteString(strings.Repeat(" ", i) + "k:\n")
			}
			return b.String()
		}, 1_500, "(the loader's depth budget)", 70},
		{"huge line", func(n int) string {
			return "name: x\ndescription: " + strings.Repeat("word ", n/5) + "\n"
		}, 4_000_000, "(the loader's line budget)", 9000},
		{"many keys in a block mapping", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\nrun:\n")
			for i := 0; i < n; i++ {
				b.WriteString("  k" + strconv.Itoa(i) + ": 1\n")
			}
			return b.String()
		}, 40_000, "(the loader's key budget)", 300},
		{"many keys in a flow mapping", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\nrun: {")
			for i := 0; i < n; i++ {
				b.WriteString("k" + strconv.Itoa(i) + ": 1,\n")
			}
			return b.String() + "}\n"
		}, 300_000, "(the loader's key budget)", 300},
		{"many nodes", func(n int) string {
			return "name: x\nbehaviours:\n" + strings.Repeat("- 1\n", n)
		}, 1_000_000, "(the loader's node budget)", 26000},
		{"many nodes in flow", func(n int) string {
			return "name: x\nbehaviours: [" + strings.Repeat("1,\n", n) + "]\n"
		}, 1_000_000, "(the loader's node budget)", 34000},
		{"alias expansion (billion laughs)", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\nl0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n")
			for i := 1; i < n; i++ {
				b.WriteString("l" + strconv.Itoa(i) + ": &l" + strconv.Itoa(i) + " [" + strings.Repeat("*l"+strconv.Itoa(i-1)+", ", 9) + "*l" + strconv.Itoa(i-1) + "]\n")
			}
			return b.String()
		}, 9, "after expanding aliases (the loader's node budget)", 6},
		{"merge-key expansion", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\nm0: &m0 {")
			for i := 0; i < 250; i++ {
				b.WriteString("k" + strconv.Itoa(i) + ": 1, ")
			}
			b.WriteString("}\nl:\n")
			for i := 1; i < n; i++ {
				b.WriteString("  - {<<: *m0}\n")
			}
			return b.String()
		}, 2_000, "after expanding aliases (the loader's node budget)", 420},
		{"many long unknown keys", func(n int) string {
			var b strings.Builder
			b.WriteString("name: x\n")
			for i := 0; i < n; i++ {
				b.WriteString(strconv.Itoa(i) + strings.Repeat("x", 8000) + ": 1\n")
			}
			return b.String()
		}, 250, `unknown key "0xxxx`, 3},
	}
}

// TestHostileInputsBounded loads each hostile shape at a size that once
// took the loader gigabytes or minutes, and checks that the load is
// refused with the right budget diagnostic while allocating little.
func TestHostileInputsBounded(t *testing.T) {
	const bound = 64 << 20
	for _, h := range hostiles(t) {
		t.Run(h.name, func(t *testing.T) {
			src := []byte(h.make(h.n))
			if len(src) > MaxFileSize {
				t.Fatalf("test input is %d bytes, over the file budget", len(src))
			}
			var err error
			got := allocated(func() { _, err = Load("hostile.yaml", src, nil) })
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Load: %v, want scenario.Errors", err)
			}
			found := false
			for _, d := range es {
				found = found || strings.Contains(d.Msg, h.want)
				if d.Line < 1 {
					t.Errorf("diagnostic %q has no position", d)
				}
			}
			if !found {
				t.Errorf("diagnostics %q, want one containing %q", es, h.want)
			}
			t.Logf("%d bytes: %d KiB allocated", len(src), got>>10)
			if got > bound {
				t.Errorf("Load of %d bytes allocated %d MiB, want at most %d MiB", len(src), got>>20, bound>>20)
			}
		})
	}
}

// Placing an expression error costs time in proportion to the expression,
// not to the square of its line's length, and many errors in a big file
// do not read the file once each.
func TestErrorPlacementLinear(t *testing.T) {
	const bound = 64 << 20
	long := benchmarkWith(t, "when: partner.score < score", "when: score"+strings.Repeat(" + score", 1000)+" + @")
	var rules strings.Builder
	for i := 0; i < 58; i++ {
		rules.WriteString("    - {name: r" + strconv.Itoa(i) + ", every: 1, amount: 1, when: score > @}\n")
	}
	padding := strings.Repeat("# padding padding padding padding padding padding padding padding\n", 30_000)
	many := padding + benchmarkWith(t, "  rules:\n", "  rules:\n"+rules.String())
	for _, tc := range []struct {
		name, src, want string
	}{
		{"long expression", long, "scoring.rules.partner_lower.when"},
		{"many expression errors in a big file", many, "scoring.rules.r57.when"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := allocated(func() { _, err = Load("x.yaml", []byte(tc.src), nil) })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, tc.want)
			}
			t.Logf("%d KiB allocated", got>>10)
			if got > bound {
				t.Errorf("Load allocated %d MiB, want at most %d MiB", got>>20, bound>>20)
			}
		})
	}
}

// countdown is a context that reports cancellation after its first n
// checks: a client that goes away in the middle of a load.
type countdown struct {
	context.Context
	n int
}

func (c *countdown) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestLoadContextCancelled(t *testing.T) {
	src, err := BuiltinSource("xinjiang-pilot")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadContext(ctx, "x.yaml", src, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: got %v, want context.Canceled", err)
	}
	// Cancelled while scanning a big file: the scan stops.
	big := []byte("name: x\nbehaviours:\n" + strings.Repeat("- 1\n", 50_000))
	var got error
	n := allocated(func() { _, got = LoadContext(&countdown{Context: context.Background(), n: 1}, "x.yaml", big, nil) })
	if !errors.Is(got, context.Canceled) {
		t.Errorf("cancelled during the scan: got %v, want context.Canceled", got)
	}
	var es Errors
	if errors.As(got, &es) {
		t.Errorf("a cancelled load returned diagnostics: %v", got)
	}
	if n > 1<<20 {
		t.Errorf("a load cancelled during the scan allocated %d KiB", n>>10)
	}
	// Not cancelled: the same loads succeed.
	if _, err := LoadContext(context.Background(), "x.yaml", src, nil); err != nil {
		t.Errorf("not cancelled: %v", err)
	}
}

// A UTF-8 byte order mark is dropped: the file loads, and positions are
// those an editor shows (the mark takes no column).
func TestByteOrderMark(t *testing.T) {
	src, err := BuiltinSource("benchmark")
	if err != nil {
		t.Fatal(err)
	}
	bom := append([]byte("\ufeff"), src...)
	sc, err := Load("bom.yaml", bom, nil)
	if err != nil {
		t.Fatalf("Load with a BOM: %v", err)
	}
	if sc.Name != "benchmark" {
		t.Errorf("name %q", sc.Name)
	}
	_, err = Load("bom.yaml", []byte("\ufeffnme: x\n"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), `bom.yaml:1:1: scenario: unknown key "nme"`) {
		t.Errorf("got %v, want the unknown key at 1:1", err)
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"benchmark", true}, {"xinjiang-pilot", true}, {"a", true}, {"9_lives", true}, {strings.Repeat("a", 64), true},
		{"", false}, {"-rf", false}, {"_x", false}, {".hidden", false}, {"a/b", false}, {"..", false}, {"a b", false},
		{"a.b", false}, {"é", false}, {strings.Repeat("a", 65), false},
	} {
		if got := ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestResolveContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, name := range []string{"benchmark", "testdata/good/full.yaml"} {
		if _, err := ResolveContext(ctx, name, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", name, err)
		}
	}
}
