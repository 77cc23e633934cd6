package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/metrics"
)

// Files of an unfinished run directory (see docs/store-format.md).
const (
	SpecFile        = "spec.json"
	CheckpointsDir  = "checkpoints"
	checkpointMagic = "NOSEDIVE-CKPT-1\n"
	keepCheckpoints = 2
)

// Spec is everything needed to run (or resume) a run: written into the
// unfinished run directory before the first day.
type Spec struct {
	ID              string   `json:"id"`
	ScenarioFile    string   `json:"scenario_file"`
	ScenarioText    string   `json:"scenario_text"`
	ScenarioSHA256  string   `json:"scenario_sha256"`
	Sets            []string `json:"sets"`
	Agents          int      `json:"agents"`
	Days            int      `json:"days"`
	Seed            uint64   `json:"seed"`
	Ledger          string   `json:"ledger"`
	CheckpointEvery int      `json:"checkpoint_every"`
	Created         string   `json:"created"`
}

// WriteSpec stores the run's spec in the unfinished directory.
func (w *RunWriter) WriteSpec(s *Spec) error {
	return w.writeFile(SpecFile, func(fh *os.File) error {
		enc := json.NewEncoder(fh)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// ReadSpec reads an unfinished run directory's spec.
func ReadSpec(dir string) (*Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not an unfinished run (no %s): %w", dir, SpecFile, err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SpecFile), err)
	}
	return &s, nil
}

// Dir returns the unfinished run directory.
func (w *RunWriter) Dir() string { return w.tmp }

// Keep stops Abort from deleting the unfinished directory (so it can be
// resumed).
func (w *RunWriter) Keep() { w.keep = true }

// Resume opens an existing unfinished run directory for writing.
func Resume(dir, root, id string) *RunWriter {
	return &RunWriter{root: root, tmp: dir, id: id}
}

// writerState is the part of a checkpoint that holds the run's output so far.
type writerState struct {
	Days   []*metrics.Day
	Ledger []metrics.LedgerEntry
}

// Checkpoint writes a consistent snapshot: the engine state (written by
// engineState) and the outputs collected so far, framed as
//
//	magic | header length | header JSON | payload length | payload | SHA-256 of everything before
//
// into checkpoints/ckpt-DAY.bin via a temporary file, fsync and rename; only
// the newest two are kept.
func (w *RunWriter) Checkpoint(day int, scenarioSHA string, engineState func(io.Writer) error) error {
	dir := filepath.Join(w.tmp, CheckpointsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var payload bytes.Buffer
	if err := engineState(&payload); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	engineLen := payload.Len()
	if err := gob.NewEncoder(&payload).Encode(writerState{Days: w.days, Ledger: w.ledger}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	hdr, _ := json.Marshal(checkpointHeader{Day: day, ScenarioSHA256: scenarioSHA, EngineBytes: engineLen})
	final := filepath.Join(dir, fmt.Sprintf("ckpt-%08d.bin", day))
	err := WriteAtomic(final, func(f io.Writer) error {
		h := sha256.New()
		bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
		bw.WriteString(checkpointMagic)
		binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
		bw.Write(hdr)
		binary.Write(bw, binary.LittleEndian, uint64(payload.Len()))
		bw.Write(payload.Bytes())
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := f.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	list, _ := listCheckpoints(w.tmp)
	for len(list) > keepCheckpoints {
		os.Remove(list[0])
		list = list[1:]
	}
	return nil
}

type checkpointHeader struct {
	Day            int    `json:"day"`
	ScenarioSHA256 string `json:"scenario_sha256"`
	EngineBytes    int    `json:"engine_bytes"`
}

// listCheckpoints returns checkpoint files, oldest first.
func listCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, CheckpointsDir))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ckpt-") && strings.HasSuffix(e.Name(), ".bin") {
			out = append(out, filepath.Join(dir, CheckpointsDir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Checkpoint is a loaded, verified checkpoint.
type Checkpoint struct {
	Path   string
	Day    int
	Engine []byte
	state  writerState
}

// ErrCorruptCheckpoint marks a checkpoint that fails verification.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

// ReadCheckpoint reads and verifies one checkpoint file against the run's
// scenario hash.
func ReadCheckpoint(path, scenarioSHA string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fail := func(why string) (*Checkpoint, error) {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrCorruptCheckpoint, why)
	}
	if len(b) < len(checkpointMagic)+4+8+sha256.Size || string(b[:len(checkpointMagic)]) != checkpointMagic {
		return fail("not a nosedive checkpoint, or truncated")
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return fail("checksum mismatch (truncated or damaged)")
	}
	r := bytes.NewReader(body[len(checkpointMagic):])
	var hl uint32
	binary.Read(r, binary.LittleEndian, &hl)
	if int(hl) > r.Len() {
		return fail("bad header length")
	}
	hdrBytes := make([]byte, hl)
	io.ReadFull(r, hdrBytes)
	var hdr checkpointHeader
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return fail("bad header")
	}
	if hdr.ScenarioSHA256 != scenarioSHA {
		return nil, fmt.Errorf("%s: %w: written for another scenario (sha256 %.12s, this run %.12s)", path, ErrCorruptCheckpoint, hdr.ScenarioSHA256, scenarioSHA)
	}
	var pl uint64
	binary.Read(r, binary.LittleEndian, &pl)
	if pl != uint64(r.Len()) || hdr.EngineBytes < 0 || uint64(hdr.EngineBytes) > pl {
		return fail("bad payload length")
	}
	payload := make([]byte, pl)
	io.ReadFull(r, payload)
	c := &Checkpoint{Path: path, Day: hdr.Day, Engine: payload[:hdr.EngineBytes]}
	if err := gob.NewDecoder(bytes.NewReader(payload[hdr.EngineBytes:])).Decode(&c.state); err != nil {
		return fail("bad output state: " + err.Error())
	}
	return c, nil
}

// LatestCheckpoint returns the newest valid checkpoint of an unfinished run,
// reporting (through warn) any newer one it had to skip. It returns nil, nil
// when there is none.
func LatestCheckpoint(dir, scenarioSHA string, warn func(error)) (*Checkpoint, error) {
	list, err := listCheckpoints(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	for k := len(list) - 1; k >= 0; k-- {
		c, err := ReadCheckpoint(list[k], scenarioSHA)
		if err == nil {
			return c, nil
		}
		if warn != nil {
			warn(err)
		}
	}
	return nil, nil
}

// RestoreOutputs puts a checkpoint's collected outputs back into the writer.
func (w *RunWriter) RestoreOutputs(c *Checkpoint) {
	w.days, w.ledger = c.state.Days, c.state.Ledger
}

// CollectedDays returns the daily records collected so far.
func (w *RunWriter) CollectedDays() []*metrics.Day { return w.days }
