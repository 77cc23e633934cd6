package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// InputError is bad input found in what a command named: a sweep file or
// directory that is not one, a design point out of range, a metric the
// audit table lacks, a replicate set that cannot be formed, a cluster job
// that cannot be written as asked (`nosedive` exits 2).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func badInput(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// IsDir reports whether dir holds a sweep manifest.
func IsDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ManifestFile))
	return err == nil
}

// Open reads a sweep file, or the sweep stored in a sweep directory; dir
// is that directory, or "" for a file.
func Open(arg string) (s *Sweep, dir string, err error) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		m, err := ReadManifest(arg)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, "", badInput("%s is a directory without %s: give a sweep file or a sweep directory", arg, ManifestFile)
			}
			return nil, "", err
		}
		return m.Sweep, arg, nil
	}
	s, err = ReadFile(arg)
	return s, "", err
}

// OpenResults reads the results of the sweep directory dir (ReadResults),
// after checking that dir is one.
func OpenResults(dir string) (*Results, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, badInput("%s is not a sweep directory", dir)
	}
	if _, err := ReadManifest(dir); errors.Is(err, os.ErrNotExist) {
		return nil, badInput("%s is not a sweep directory (no %s)", dir, ManifestFile)
	}
	return ReadResults(dir)
}
