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

	"github.com/nosedive-lab/nosedive/internal/daily"
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
	Name            string   `json:"name"` // the run's label (not hashed: results do not depend on it)
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
	// Version is the nosedive version that started the run; only the same
	// version resumes it.
	Version string `json:"version"`
	// SpecSHA256 is Hash() of the fields above, set by WriteSpec.
	SpecSHA256 string `json:"spec_sha256"`
}

// WriteSpec stores the run's spec, with its hash, in the unfinished
// directory.
func (w *RunWriter) WriteSpec(s *Spec) error {
	s.SpecSHA256 = s.Hash()
	return w.writeFile(SpecFile, func(fh io.Writer) error {
		enc := json.NewEncoder(fh)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// ReadSpec reads and validates an unfinished run directory's spec: a
// regular file of at most MaxSpecBytes, strict JSON (no unknown fields),
// values in range and a matching hash (see Spec.Validate).
func ReadSpec(dir string) (*Spec, error) {
	path := filepath.Join(dir, SpecFile)
	b, err := readRegular(path, MaxSpecBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not an unfinished run (no %s): %w", dir, SpecFile, err)
		}
		return nil, err
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, invalid(path, "", "%v", err)
	}
	if dec.More() {
		return nil, invalid(path, "", "data after the JSON object")
	}
	if err := s.Validate(path); err != nil {
		return nil, err
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
	Days   []*daily.Day
	Ledger []daily.LedgerEntry
	Trace  traceRecord
}

// Checkpoint writes a consistent snapshot: the engine state (written by
// engineState) and the outputs collected so far, framed as
//
//	magic | header length | header JSON | payload length | payload | SHA-256 of everything before
//
// into checkpoints/ckpt-DAY.bin via a temporary file, fsync and rename; only
// the newest two are kept. The header names the run it belongs to (seed,
// version, scenario hash and the spec's hash), so a checkpoint of any other
// run is refused by ReadCheckpoint.
func (w *RunWriter) Checkpoint(day int, spec *Spec, engineState func(io.Writer) error) error {
	dir := filepath.Join(w.tmp, CheckpointsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var payload bytes.Buffer
	if err := engineState(&payload); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	engineLen := payload.Len()
	if err := gob.NewEncoder(&payload).Encode(writerState{Days: w.days, Ledger: w.ledger, Trace: w.trace}); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	hdr, _ := json.Marshal(checkpointHeader{Day: day, Seed: spec.Seed, Version: spec.Version,
		ScenarioSHA256: spec.ScenarioSHA256, SpecSHA256: spec.Hash(), EngineBytes: engineLen})
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
	Seed           uint64 `json:"seed"`
	Version        string `json:"version"`
	ScenarioSHA256 string `json:"scenario_sha256"`
	SpecSHA256     string `json:"spec_sha256"`
	EngineBytes    int    `json:"engine_bytes"`
}

// listCheckpoints returns checkpoint files, oldest first. The checkpoints
// directory must be a real directory, not a symlink.
func listCheckpoints(dir string) ([]string, error) {
	cdir := filepath.Join(dir, CheckpointsDir)
	fi, err := os.Lstat(cdir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, invalid(cdir, "", "not a directory (%s); refusing to read it", fi.Mode().Type())
	}
	entries, err := os.ReadDir(cdir)
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

// ReadCheckpoint reads and verifies one checkpoint file of the run spec
// describes. The file must be a regular file of at most limit bytes (it is
// read whole into memory). A damaged file is ErrCorruptCheckpoint (resume
// falls back to an older one); a file that is not a regular file, too
// large, or written for another run (seed, version, scenario or any other
// field of the spec) is an *InvalidError naming the field.
func ReadCheckpoint(path string, spec *Spec, limit int64) (*Checkpoint, error) {
	b, err := readRegular(path, limit)
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
	switch {
	case hdr.Version != spec.Version:
		return nil, invalid(path, "version", "written by nosedive %q, this is %q: finish the run with the version that started it", hdr.Version, spec.Version)
	case hdr.Seed != spec.Seed:
		return nil, invalid(path, "seed", "written for seed %d, this run has seed %d", hdr.Seed, spec.Seed)
	case hdr.ScenarioSHA256 != spec.ScenarioSHA256:
		return nil, invalid(path, "scenario_sha256", "written for another scenario (sha256 %.12s, this run %.12s)", hdr.ScenarioSHA256, spec.ScenarioSHA256)
	case hdr.SpecSHA256 != spec.Hash():
		return nil, invalid(path, "spec_sha256", "written for another run (spec sha256 %.12s, this run %.12s: agents, days, ledger, overrides or scenario file differ)", hdr.SpecSHA256, spec.Hash())
	case hdr.Day < 0 || hdr.Day > spec.Days:
		return nil, invalid(path, "day", "%d is out of range [0, %d]", hdr.Day, spec.Days)
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
// reporting (through warn) any newer damaged one it had to skip. It returns
// nil, nil when there is none, and stops at the first checkpoint that is
// not a damaged one of this run (an *InvalidError: a symlink, a file over
// limit bytes, a checkpoint of another run).
func LatestCheckpoint(dir string, spec *Spec, limit int64, warn func(error)) (*Checkpoint, error) {
	list, err := listCheckpoints(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	for k := len(list) - 1; k >= 0; k-- {
		c, err := ReadCheckpoint(list[k], spec, limit)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrCorruptCheckpoint) {
			return nil, err
		}
		if warn != nil {
			warn(err)
		}
	}
	return nil, nil
}

// Days returns the daily records a checkpoint holds (to be validated
// before use: see runner).
func (c *Checkpoint) Days() []*daily.Day { return c.state.Days }

// Ledger returns the ledger entries a checkpoint holds.
func (c *Checkpoint) Ledger() []daily.LedgerEntry { return c.state.Ledger }

// RestoreOutputs puts a checkpoint's collected outputs back into the writer.
func (w *RunWriter) RestoreOutputs(c *Checkpoint) {
	w.days, w.ledger, w.trace = c.state.Days, c.state.Ledger, c.state.Trace
}

// CollectedDays returns the daily records collected so far.
func (w *RunWriter) CollectedDays() []*daily.Day { return w.days }
