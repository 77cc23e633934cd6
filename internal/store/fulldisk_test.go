package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// A full disk while the tables are written gives the kernel's ENOSPC error
// and leaves no run directory, complete or partial. The fault is real: the
// agents table is written to /dev/full, which fails every write with
// ENOSPC.
func TestFullDiskLeavesNothing(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	full.Close()
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pop := population.Generate(sc, 2000, 1)
	eng := sim.New(sc, prog, pop, 3, 1, sim.Options{Workers: 1})
	root := t.TempDir()
	w, err := Create(root, "run")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := eng.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	orig := createFile
	defer func() { createFile = orig }()
	createFile = func(name string) (*os.File, error) {
		if filepath.Base(name) == AgentsFile {
			return os.OpenFile("/dev/full", os.O_WRONLY, 0)
		}
		return orig(name)
	}
	m := &Manifest{Agents: 2000, Days: 3, Ledger: "none", Names: NamesOf(sc, eng.ContribNames())}
	m.Describe(sc, prog)
	_, err = w.Commit(context.Background(), m, eng.Final(), time.Now())
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: %v, want ENOSPC", err)
	}
	w.Abort()
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		t.Errorf("left behind after a full disk: %s", e.Name())
	}
}
