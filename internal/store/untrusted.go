package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// What an unfinished run directory holds is read as untrusted input: a
// spec.json or a checkpoint may have been damaged, replaced or written by
// someone else (see docs/reliability.md, "Runs on shared machines"). Every
// file is opened only when it is a regular file, read through a size limit,
// and every value is range-checked before it is used.

// Limits on the files of an unfinished run directory.
const (
	// MaxSpecBytes bounds spec.json: the scenario text (at most 4 MiB,
	// which JSON escaping can grow up to six times) and the overrides.
	MaxSpecBytes = 32 << 20
	// DefaultMaxCheckpointBytes bounds a checkpoint when the caller knows
	// no memory limit: a checkpoint is read whole into memory.
	DefaultMaxCheckpointBytes = 64 << 30
	// MaxIDLength bounds a run id (a directory name).
	MaxIDLength = 200
)

// InvalidError says a file of a run directory holds a value nosedive
// refuses: the file, the field (or "" for the file as a whole) and why.
// It is bad input (exit code 2).
type InvalidError struct {
	File, Field, Msg string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: field %s: %s", e.File, e.Field, e.Msg)
}

func invalid(file, field, format string, args ...any) error {
	return &InvalidError{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// MaxNameLength bounds a run's label (run --name) in bytes.
const MaxNameLength = 240 // the lab's label field takes 80 characters: at most 240 bytes

// ValidName checks a run's label: valid UTF-8, at most MaxNameLength
// bytes, no control characters (a label is printed in tables and report
// headers). The empty label (no name) is valid.
func ValidName(name string) error {
	if len(name) > MaxNameLength {
		return fmt.Errorf("the run name is %d bytes, the limit is %d", len(name), MaxNameLength)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("the run name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return fmt.Errorf("the run name %q contains a control character", name)
		}
	}
	return nil
}

// ErrBadID says a run id is not a single, plain path component.
var ErrBadID = errors.New("bad run id")

// ValidID checks that id can name a run directory inside an output
// directory: one path component (no separator, not "." or ".."), not
// empty, not starting with "." (unfinished runs) or "-" (it would read as a
// flag), no control characters, at most MaxIDLength bytes.
func ValidID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrBadID)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadID, len(id), MaxIDLength)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("%w: %q contains a path separator", ErrBadID, id)
	case id[0] == '.' || id[0] == '-':
		return fmt.Errorf("%w: %q starts with %q", ErrBadID, id, id[:1])
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q contains a control character", ErrBadID, id)
		}
	}
	return nil
}

// readRegular reads a file that must be a regular file (not a symlink,
// device, FIFO or directory) of at most limit bytes. The check is made on
// the path (Lstat) and again on the open file, so a file swapped in between
// is refused too; the read goes through an io.LimitReader, so a file that
// grows while it is read is refused rather than read forever.
func readRegular(path string, limit int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, invalid(path, "", "not a regular file (%s); refusing to read it", fi.Mode().Type())
	}
	if fi.Size() > limit {
		return nil, invalid(path, "", "%d bytes, over the limit of %d", fi.Size(), limit)
	}
	// O_NONBLOCK: a FIFO swapped in after the Lstat must not block the
	// open (it is then refused below); it changes nothing for a regular
	// file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi2, err := f.Stat(); err != nil || !os.SameFile(fi, fi2) {
		return nil, invalid(path, "", "replaced while being opened; refusing to read it")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, invalid(path, "", "over the limit of %d bytes", limit)
	}
	return b, nil
}

// hashedSpec is what a spec's hash covers: everything that decides a run's
// results and what its manifest claims, and the nosedive version that
// wrote it. The id and the creation time are left out: they name the run,
// they do not change it.
type hashedSpec struct {
	Version         string   `json:"version"`
	ScenarioFile    string   `json:"scenario_file"`
	ScenarioText    string   `json:"scenario_text"`
	ScenarioSHA256  string   `json:"scenario_sha256"`
	Sets            []string `json:"sets"`
	Agents          int      `json:"agents"`
	Days            int      `json:"days"`
	Seed            uint64   `json:"seed"`
	Ledger          string   `json:"ledger"`
	CheckpointEvery int      `json:"checkpoint_every"`
}

// Hash returns the SHA-256 (hex) of everything a run's results depend on:
// the nosedive version, the scenario (file name, text, hash), the --set
// overrides, agents, days, seed, ledger and checkpoint interval. A
// checkpoint carries it, so one written for any other run is refused.
func (s *Spec) Hash() string {
	b, _ := json.Marshal(hashedSpec{Version: s.Version, ScenarioFile: s.ScenarioFile, ScenarioText: s.ScenarioText,
		ScenarioSHA256: s.ScenarioSHA256, Sets: s.Sets, Agents: s.Agents, Days: s.Days, Seed: s.Seed,
		Ledger: s.Ledger, CheckpointEvery: s.CheckpointEvery})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Validate range-checks a spec read from file: the id is a single path
// component, the sizes are in range, the ledger mode parses and the spec's
// hash matches its fields. Errors are *InvalidError naming file and field.
func (s *Spec) Validate(file string) error {
	if err := ValidID(s.ID); err != nil {
		return invalid(file, "id", "%v", err)
	}
	if err := ValidName(s.Name); err != nil {
		return invalid(file, "name", "%v", err)
	}
	if s.Agents < 2 || s.Agents > scenario.MaxAgents {
		return invalid(file, "agents", "%d is out of range [2, %d]", s.Agents, scenario.MaxAgents)
	}
	if s.Days < 1 || s.Days > scenario.MaxDays {
		return invalid(file, "days", "%d is out of range [1, %d]", s.Days, scenario.MaxDays)
	}
	if s.CheckpointEvery < 0 || s.CheckpointEvery > scenario.MaxDays {
		return invalid(file, "checkpoint_every", "%d is out of range [0, %d]", s.CheckpointEvery, scenario.MaxDays)
	}
	if _, err := scenario.ParseLedger(s.Ledger); err != nil {
		return invalid(file, "ledger", "%v", err)
	}
	if len(s.Sets) > 10_000 {
		return invalid(file, "sets", "%d overrides, the limit is 10000", len(s.Sets))
	}
	if s.SpecSHA256 == "" {
		return invalid(file, "spec_sha256", "missing (written by an older nosedive: finish the run with that version)")
	}
	if h := s.Hash(); h != s.SpecSHA256 {
		return invalid(file, "spec_sha256", "%.12s does not match the spec's fields (%.12s): the file was edited or damaged", s.SpecSHA256, h)
	}
	return nil
}
