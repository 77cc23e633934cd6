// Package fma guards the promise of docs/cluster.md that results do not
// depend on the machine: no floating-point expression in nosedive may be
// compiled to a fused multiply-add, which rounds once where amd64 (which
// never fuses at the default GOAMD64=v1) rounds twice, and so changes the
// last bits of a figure on arm64, ppc64le, s390x, riscv64 and amd64 v3.
//
// The Go compiler may fuse x*y + z wherever it sees both operations, also
// across statements and after inlining (p := c*r; sum += p fuses); only an
// explicit conversion, float64(x*y), rounds the product and prevents it.
// Reading the source for such patterns misses the inlined cases, so this
// test reads what the compiler made instead: it compiles every package of
// the module for arm64 and for amd64 v3 with -S and fails on any fused
// instruction whose source line is in the module, naming file and line.
// Where fusion is wanted, write math.FMA: it fuses on every architecture
// (and is listed in allowed below).
package fma

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/nosedive-lab/nosedive"

// targets are the architectures that fuse, with the fused instructions'
// mnemonics.
// cgo says how to compile the packages that link DuckDB (cgo) for the
// target: the environment, or ok false when this machine cannot.
var targets = []struct {
	name string
	env  []string
	op   *regexp.Regexp
	cgo  func() (env []string, ok bool)
}{
	{"arm64", []string{"GOARCH=arm64"}, regexp.MustCompile(`\tF(N)?M(ADD|SUB)[DS]\t`), func() ([]string, bool) {
		if runtime.GOARCH == "arm64" {
			return nil, true
		}
		if _, err := exec.LookPath("aarch64-linux-gnu-gcc"); err != nil {
			return nil, false
		}
		return []string{"CC=aarch64-linux-gnu-gcc", "CXX=aarch64-linux-gnu-g++"}, true
	}},
	{"amd64 v3", []string{"GOARCH=amd64", "GOAMD64=v3"}, regexp.MustCompile(`\tVF(N)?M(ADD|SUB)[0-9]+S[DS]\t`), func() ([]string, bool) {
		return nil, runtime.GOARCH == "amd64"
	}},
}

// allowed lists source lines (path relative to the module root, ":line")
// that use math.FMA on purpose. None do today.
var allowed = map[string]bool{}

var posRE = regexp.MustCompile(`\((/[^)]+\.go):(\d+)\)`)

// fused compiles the packages for one target and returns the module's
// source lines compiled to fused instructions, as "path:line".
func fused(t *testing.T, root string, env []string, op *regexp.Regexp, pkgs []string) []string {
	t.Helper()
	args := append([]string{"build", "-gcflags=" + module + "/...=-S"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	// No VCS stamping: it does not change the code, and a stamped build
	// would be redone for every commit.
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-buildvcs=false"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build for %v: %v\n%s", env, err, tail(out))
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !op.MatchString(line) {
			continue
		}
		m := posRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rel, err := filepath.Rel(root, m[1])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // the standard library or a dependency
		}
		seen[filepath.ToSlash(rel)+":"+m[2]] = true
	}
	var list []string
	for k := range seen {
		if !allowed[k] {
			list = append(list, k)
		}
	}
	sort.Strings(list)
	return list
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// packages lists the module's packages: all of them, and those that build
// without cgo (the ones linking DuckDB need a C compiler for the target).
func packages(t *testing.T, root string) (all, pure []string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{if .GoFiles}}{{.ImportPath}} {{join .Deps " "}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		all = append(all, f[0])
		if !strings.Contains(line, "duckdb-go") {
			pure = append(pure, f[0])
		}
	}
	return all, pure
}

// readSources reads every Go file of the module: go test caches a passing
// result until a file the test opened changes, and the compiler the test
// runs opens the sources in another process, unseen.
func readSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("read sources: %v", err)
	}
}

func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the module twice")
	}
	root := moduleRoot(t)
	all, pure := packages(t, root)
	readSources(t, root)
	if len(pure) < 10 || len(all) <= len(pure) {
		t.Fatalf("%d packages, %d without cgo: %v", len(all), len(pure), all)
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			// The positive control: the scan must see a fusion that is there.
			ctl := fused(t, root, append([]string{"CGO_ENABLED=0"}, tg.env...), tg.op, []string{"./test/fma/testdata/fused"})
			if len(ctl) != 1 || !strings.HasPrefix(ctl[0], "test/fma/testdata/fused/fused.go:") {
				t.Fatalf("the control a*b + c was not seen as fused (got %v): the scan no longer reads the compiler's output", ctl)
			}
			env, pkgs := append([]string{"CGO_ENABLED=0"}, tg.env...), pure
			if cgoEnv, ok := tg.cgo(); ok {
				env, pkgs = append(append([]string{"CGO_ENABLED=1"}, tg.env...), cgoEnv...), all
			} else {
				t.Logf("no C compiler for %s: the %d cgo packages are checked on the other target only", tg.name, len(all)-len(pure))
			}
			if got := fused(t, root, env, tg.op, pkgs); len(got) > 0 {
				t.Errorf("%s: %d source lines compile to a fused multiply-add, so their results differ in the last bits from amd64's; round the product with an explicit conversion, float64(x*y), or use math.FMA on purpose:\n  %s",
					tg.name, len(got), strings.Join(got, "\n  "))
			}
		})
	}
}
