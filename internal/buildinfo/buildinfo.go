// Package buildinfo says which nosedive made a result: the module version
// and the commit of the source tree it was built from (and whether that
// tree had uncommitted changes), as the go command stamps them into every
// binary it builds in a git checkout (runtime/debug.ReadBuildInfo).
//
// `go build` and `go install` stamp a checkout's commit by default; `go run`
// and `go test` do not (Go 1.26, -buildvcs=auto), and -buildvcs=false turns
// stamping off. A binary that `go run` has just built (it lives in the go
// command's temporary go-build directory, or in its build cache when
// `go run` reuses a build) asks git for the commit of the source tree it
// was compiled from instead, so the README's
// `go run ./cmd/nosedive run ...` records it too. Any other unstamped binary
// reports version "devel" and no commit: nothing it says can be checked.
//
// Non-goals: reading tags (a stamped binary's module version already
// reflects them), or identifying uncommitted changes beyond "modified".
package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Info describes a build.
type Info struct {
	// Module is the main module's version: a release (v1.2.0), a Go
	// pseudo-version of the commit (v0.0.0-20261204195713-189d83c1b2a3, with
	// +dirty when modified), or "" when the binary carries none.
	Module   string
	Commit   string    // full hash of the commit; "" when unknown
	Time     time.Time // the commit's time; zero when unknown
	Modified bool      // the tree had uncommitted changes
	Go       string    // the Go release that built the binary
	// Source is how the commit was found: "build" (stamped by the go
	// command), "git" (asked of git by a `go run` binary) or "" (unknown).
	Source string
}

// Version is the version to record: the module version when there is one,
// else a Go pseudo-version made of the commit (so `go run` and `go build`
// of one tree agree), else "devel".
func (i Info) Version() string {
	if i.Module != "" {
		return i.Module
	}
	if i.Commit == "" {
		return "devel"
	}
	v := "v0.0.0-" + i.Time.UTC().Format("20060102150405") + "-" + short(i.Commit)
	if i.Modified {
		v += "+dirty"
	}
	return v
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// Version is the nosedive version every run, audit and sweep records:
// Read().Version(), unless a release build sets it with
// -ldflags "-X github.com/nosedive-lab/nosedive/internal/buildinfo.Version=v1.2.3".
var Version string

func init() {
	if Version == "" {
		Version = Read().Version()
	}
}

var (
	once sync.Once
	info Info
)

// Read returns the running binary's build information (computed once).
func Read() Info {
	once.Do(func() {
		bi, _ := debug.ReadBuildInfo()
		info = FromBuildInfo(bi)
		if info.Commit == "" && goRunBinary() {
			if g, ok := fromGit(sourceRoot()); ok {
				g.Go = info.Go
				info = g
			}
		}
	})
	return info
}

// FromBuildInfo reads the version and VCS settings of a build.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	if bi == nil {
		return Info{Go: runtime.Version()}
	}
	i := Info{Go: bi.GoVersion}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		i.Module = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Commit, i.Source = s.Value, "build"
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "vcs.time":
			i.Time, _ = time.Parse(time.RFC3339, s.Value)
		}
	}
	return i
}

// goRunBinary reports whether the executable is one `go run` built (and
// so was compiled from the source tree as it is now): it lives in an exe
// directory of the go command's temporary tree (GOTMPDIR/go-buildN/b001/exe/)
// or, when `go run` reuses a build, in the build cache
// (GOCACHE/xx/<64 hex digits>-d/).
func goRunBinary() bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	return isGoRunPath(exe)
}

var cachedExeDir = regexp.MustCompile(`^[0-9a-f]{64}-d$`)

func isGoRunPath(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	sub := filepath.Base(filepath.Dir(dir))
	return cachedExeDir.MatchString(filepath.Base(dir)) && len(sub) == 2 && strings.Trim(sub, "0123456789abcdef") == ""
}

// sourceRoot is the module root this file was compiled from ("" when the
// build trimmed paths).
func sourceRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file))) // internal/buildinfo/buildinfo.go
}

// fromGit asks git for the commit of the tree at root, as the go command
// would stamp it: the HEAD commit and its time, modified when
// `git status --porcelain` lists anything.
func fromGit(root string) (Info, bool) {
	if root == "" {
		return Info{}, false
	}
	git := func(args ...string) (string, bool) {
		out, err := exec.Command("git", append([]string{"-C", root, "-c", "log.showsignature=false"}, args...)...).Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	head, ok := git("log", "-1", "--format=%H:%ct")
	if !ok {
		return Info{}, false
	}
	hash, secs, ok := strings.Cut(head, ":")
	if !ok || len(hash) < 40 {
		return Info{}, false
	}
	var ct int64
	for _, c := range secs {
		if c < '0' || c > '9' {
			return Info{}, false
		}
		ct = ct*10 + int64(c-'0')
	}
	status, ok := git("status", "--porcelain")
	if !ok {
		return Info{}, false
	}
	return Info{Commit: hash, Time: time.Unix(ct, 0).UTC(), Modified: status != "", Source: "git"}, true
}
