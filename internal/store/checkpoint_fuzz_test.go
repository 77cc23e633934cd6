package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/daily"
)

// fuzzSpec is the run the fuzzed checkpoints are read for.
var fuzzSpec = &Spec{ID: "x", ScenarioText: "name: x\n", ScenarioSHA256: "abc", Agents: 10, Days: 5, Seed: 7,
	Ledger: "all", Version: "test"}

// reframe builds a checkpoint file around header JSON and payload with a
// valid checksum, as a forger (or another nosedive) would.
func reframe(hdr, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(checkpointMagic)
	binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	b.Write(hdr)
	binary.Write(&b, binary.LittleEndian, uint64(len(payload)))
	b.Write(payload)
	sum := sha256.Sum256(b.Bytes())
	return append(b.Bytes(), sum[:]...)
}

// FuzzReadCheckpoint feeds arbitrary bytes (seeded with a valid checkpoint,
// damaged variants and well-framed checkpoints of other runs) to the
// reader: it must reject or accept, never panic, and whatever it accepts
// must be the checkpoint of this run that was written.
func FuzzReadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	w := &RunWriter{tmp: dir, root: dir, id: "x"}
	w.days = []*daily.Day{{Day: 0, Cells: []daily.Cell{{Agents: 3, Tier: []int64{1, 2}}}}}
	if err := w.Checkpoint(1, fuzzSpec, func(wr io.Writer) error {
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
	// Well framed, checksum right, but for other runs or out of range.
	hl := binary.LittleEndian.Uint32(valid[len(checkpointMagic):])
	var hdr checkpointHeader
	json.Unmarshal(valid[len(checkpointMagic)+4:len(checkpointMagic)+4+int(hl)], &hdr)
	payload := valid[len(checkpointMagic)+4+int(hl)+8 : len(valid)-sha256.Size]
	for _, change := range []func(h *checkpointHeader){
		func(h *checkpointHeader) { h.Seed++ },
		func(h *checkpointHeader) { h.Version = "other" },
		func(h *checkpointHeader) { h.SpecSHA256 = "0" },
		func(h *checkpointHeader) { h.ScenarioSHA256 = "0" },
		func(h *checkpointHeader) { h.Day = -1 },
		func(h *checkpointHeader) { h.Day = 1 << 40 },
		func(h *checkpointHeader) { h.EngineBytes = -3 },
		func(h *checkpointHeader) { h.EngineBytes = 1 << 40 },
	} {
		h := hdr
		change(&h)
		b, _ := json.Marshal(h)
		f.Add(reframe(b, payload))
	}
	b, _ := json.Marshal(hdr)
	f.Add(reframe(b, payload[:len(payload)-1])) // output state cut short
	f.Add(reframe([]byte("{"), payload))
	path := filepath.Join(f.TempDir(), "c.bin")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadCheckpoint(path, fuzzSpec, 1<<20)
		if err == nil && (c == nil || c.Day != 1 || string(c.Engine) != "engine-state") {
			// A different valid checkpoint is astronomically unlikely to
			// arise (it needs a matching SHA-256); anything accepted must
			// be the one we wrote.
			t.Fatalf("accepted unexpected checkpoint %+v", c)
		}
	})
}
