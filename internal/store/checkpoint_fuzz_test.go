package store

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/metrics"
)

// FuzzReadCheckpoint feeds arbitrary bytes (seeded with a valid checkpoint
// and damaged variants) to the reader: it must reject or accept, never
// panic, and whatever it accepts must carry the checksum it verified.
func FuzzReadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	w := &RunWriter{tmp: dir, root: dir, id: "x"}
	w.days = []*metrics.Day{{Day: 0, Cells: []metrics.Cell{{Agents: 3, Tier: []int64{1, 2}}}}}
	if err := w.Checkpoint(1, "abc", func(wr io.Writer) error {
		_, err := wr.Write([]byte("engine-state"))
		return err
	}); err != nil {
		f.Fatal(err)
	}
	list, _ := listCheckpoints(dir)
	valid, _ := os.ReadFile(list[0])
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(checkpointMagic))
	f.Add([]byte{})
	path := filepath.Join(f.TempDir(), "c.bin")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadCheckpoint(path, "abc")
		if err == nil && (c == nil || c.Day != 1 || string(c.Engine) != "engine-state") {
			// A different valid checkpoint is astronomically unlikely to
			// arise (it needs a matching SHA-256); anything accepted must
			// be the one we wrote.
			t.Fatalf("accepted unexpected checkpoint %+v", c)
		}
	})
}
