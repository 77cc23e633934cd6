package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFromBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8",
		Main: debug.Module{Path: "github.com/nosedive-lab/nosedive", Version: "v0.0.0-20261204201213-55b730a125d0+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "55b730a125d04a2dd05496ed166a86ecf55e98e1"},
			{Key: "vcs.time", Value: "2026-12-04T20:12:13Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		name    string
		bi      *debug.BuildInfo
		version string
		commit  string
		mod     bool
	}{
		{"go build in a checkout", stamped, "v0.0.0-20261204201213-55b730a125d0+dirty", "55b730a125d04a2dd05496ed166a86ecf55e98e1", true},
		{"unstamped (go run, -buildvcs=false)", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel", "", false},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0", "", false},
		{"no build info", nil, "devel", "", false},
	} {
		i := FromBuildInfo(c.bi)
		if i.Version() != c.version || i.Commit != c.commit || i.Modified != c.mod {
			t.Errorf("%s: version %q commit %q modified %v, want %q %q %v", c.name, i.Version(), i.Commit, i.Modified, c.version, c.commit, c.mod)
		}
	}
}

// TestPseudoVersion: a commit found by asking git gives the version string
// the go command stamps for the same commit, so `go run` and `go build` of
// one tree record the same version.
func TestPseudoVersion(t *testing.T) {
	i := Info{Commit: "55b730a125d04a2dd05496ed166a86ecf55e98e1", Time: time.Date(2026, 12, 4, 20, 12, 13, 0, time.UTC), Modified: true}
	if got, want := i.Version(), "v0.0.0-20261204201213-55b730a125d0+dirty"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	i.Modified = false
	if got, want := i.Version(), "v0.0.0-20261204201213-55b730a125d0"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "a")
	git("commit", "-q", "-m", "one")
	head := git("rev-parse", "HEAD")
	i, ok := fromGit(dir)
	if !ok || i.Commit != head || i.Modified || i.Source != "git" || i.Time.IsZero() {
		t.Fatalf("clean tree: %+v %v, want commit %s unmodified", i, ok, head)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if i, ok := fromGit(dir); !ok || !i.Modified {
		t.Errorf("changed tree: %+v %v, want modified", i, ok)
	}
	if _, ok := fromGit(t.TempDir()); ok {
		t.Error("a directory outside git gave a commit")
	}
}

func TestGoRunBinary(t *testing.T) {
	// The test binary lives in the go command's temporary tree too, but not
	// in an exe directory: only `go run` binaries ask git.
	if goRunBinary() {
		t.Error("a test binary was taken for a go run binary")
	}
	for path, want := range map[string]bool{
		"/tmp/go-build2480898075/b001/exe/nosedive":                                                            true,
		"/root/.cache/go-build/25/2598c6a7b5fe2f256732f904ca4666a758703f23b7213f6a4f038bb5acea5c61-d/nosedive": true,
		"/tmp/go-build2480898075/b001/nosedive.test":                                                           false,
		"/usr/local/bin/nosedive":                                                                              false,
		"/home/me/go/bin/nosedive":                                                                             false,
	} {
		if got := isGoRunPath(path); got != want {
			t.Errorf("%s: go run binary %v, want %v", path, got, want)
		}
	}
}
