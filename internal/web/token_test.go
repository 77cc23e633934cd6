package web

import (
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
