package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FindUnfinished finds the unfinished run directory that `nosedive
// resume` continues: dir itself when it holds a spec (SpecFile), else
// dir's only .tmp-* child that holds one. None, several, or a dir that
// cannot be read is an error naming dir (and, for several, each of them).
func FindUnfinished(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, SpecFile)); err == nil {
		return dir, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %v", dir, err)
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), SpecFile)); err == nil {
				found = append(found, filepath.Join(dir, e.Name()))
			}
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: no unfinished run here", dir)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s holds %d unfinished runs; name one:\n  %s", dir, len(found), strings.Join(found, "\n  "))
}
