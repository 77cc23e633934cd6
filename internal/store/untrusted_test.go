package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, id := range []string{"benchmark-s1-20261204-101500", "us-credit-s7-20260102-030405-3", "a", "x.y", strings.Repeat("a", MaxIDLength)} {
		if err := ValidID(id); err != nil {
			t.Errorf("ValidID(%q) = %v, want ok", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../../escaped", "a/b", `a\b`, "/abs", ".tmp-x", "-rf", "a\x00b", "a\nb", strings.Repeat("a", MaxIDLength+1)} {
		if err := ValidID(id); !errors.Is(err, ErrBadID) {
			t.Errorf("ValidID(%q) = %v, want ErrBadID", id, err)
		}
	}
}

// readRegular refuses anything but a regular file within the limit,
// without blocking on FIFOs or reading devices.
func TestReadRegularRefusesNonRegularAndLarge(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("12345"), 0o644)
	if b, err := readRegular(ok, 5); err != nil || string(b) != "12345" {
		t.Errorf("regular file: %q, %v", b, err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink("/dev/zero", link)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	for name, path := range map[string]string{"over the limit": ok, "symlink": link, "fifo": fifo, "directory": dir, "device": "/dev/null"} {
		if _, err := os.Lstat(path); err != nil {
			continue // (no FIFOs or devices here)
		}
		var iv *InvalidError
		if _, err := readRegular(path, 4); !errors.As(err, &iv) {
			t.Errorf("%s: got %v, want an InvalidError", name, err)
		}
	}
}
