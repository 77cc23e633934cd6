package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenSources: the token comes one way at most, from a flag, a file's first
// line or the environment; errors name the way it came.
func TestTokenSources(t *testing.T) {
	dir := t.TempDir()
	good := strings.Repeat("a1", 12)
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	ok := file("ok", good+" \r\nsecond line\n")
	empty := file("empty", "\n")
	big := file("big", strings.Repeat("x", 4097))
	for _, tc := range []struct {
		flag, file, env string
		want, err       string
	}{
		{want: ""},
		{flag: good, want: good},
		{env: good, want: good},
		{file: ok, want: good},
		{flag: good, env: good, err: "give the token one way: --token, --token-file or $NOSEDIVE_TOKEN"},
		{file: empty, err: "--token-file " + empty + ": the file is empty"},
		{file: big, err: "--token-file " + big + ": not a regular file of at most 4 KiB"},
		{file: dir, err: "--token-file " + dir + ": not a regular file of at most 4 KiB"},
		{file: filepath.Join(dir, "none"), err: "--token-file " + filepath.Join(dir, "none") + ": stat "},
		{env: "x", err: "$NOSEDIVE_TOKEN: "},
		{flag: "x", err: "--token: "},
	} {
		got, err := Token(tc.flag, tc.file, tc.env)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%+v: got %q, %v", tc, got, err)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%+v: error %v, want it to start %q", tc, err, tc.err)
		}
	}
}

func TestCheckSizes(t *testing.T) {
	ok := DefaultLimits
	for _, c := range []struct {
		runs, workers, conns, perClient int
		want                            string
	}{
		{1, 0, ok.MaxConns, ok.MaxConnsPerClient, ""},
		{64, 1024, 1, 1, ""},
		{0, 0, 1, 1, "--max-runs must be between 1 and 64, got 0"},
		{65, 0, 1, 1, "--max-runs must be between 1 and 64, got 65"},
		{1, -1, 1, 1, "--workers must be between 0 (default) and 1024, got -1"},
		{1, 1025, 1, 1, "--workers must be between 0 (default) and 1024, got 1025"},
		{1, 0, 0, 0, "--max-conns and --max-conns-per-client must be at least 1, and per client at most in all; got 0 and 0"},
		{1, 0, 4, 5, "--max-conns and --max-conns-per-client must be at least 1, and per client at most in all; got 4 and 5"},
	} {
		l := DefaultLimits
		l.MaxConns, l.MaxConnsPerClient = c.conns, c.perClient
		err := CheckSizes(c.runs, c.workers, l)
		if got := fmt.Sprint(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
