package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// Snapshot writes the engine's complete mutable state (everything Step
// reads or writes that is not rebuilt from the scenario, population and
// seed) in little-endian binary. Random numbers are counter-based, so no
// generator state is needed: the day number is the position of every
// stream. Restore reads it back into an engine built from the same inputs.
func (e *Engine) Snapshot(w io.Writer) error {
	if err := binary.Write(w, binary.LittleEndian, [4]int64{int64(e.day), int64(e.n), int64(e.nRule), int64(len(e.sc.Behaviours))}); err != nil {
		return err
	}
	for _, s := range e.stateSlices() {
		if _, err := w.Write(s); err != nil {
			return err
		}
	}
	return nil
}

// ErrSnapshotMismatch says a snapshot was taken from a different run.
var ErrSnapshotMismatch = errors.New("snapshot does not match this run")

// Restore reads a Snapshot into an engine built from the same scenario,
// population, days and seed.
func (e *Engine) Restore(r io.Reader) error {
	var hdr [4]int64
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return fmt.Errorf("read snapshot header: %w", err)
	}
	if hdr[1] != int64(e.n) || hdr[2] != int64(e.nRule) || hdr[3] != int64(len(e.sc.Behaviours)) || hdr[0] < 0 || hdr[0] > int64(e.days) {
		return fmt.Errorf("%w: day %d, %d agents, %d rules, %d behaviours", ErrSnapshotMismatch, hdr[0], hdr[1], hdr[2], hdr[3])
	}
	for _, s := range e.stateSlices() {
		if _, err := io.ReadFull(r, s); err != nil {
			return fmt.Errorf("read snapshot: %w", err)
		}
	}
	// A snapshot with bytes left over was written for another layout of
	// the state (another version of nosedive, or another scenario).
	var extra [1]byte
	if n, _ := r.Read(extra[:]); n > 0 {
		return fmt.Errorf("%w: the state is longer than this engine's (written by another version of nosedive?)", ErrSnapshotMismatch)
	}
	e.day = int(hdr[0])
	e.setPhase(e.day)
	if e.visibleAcq != nil {
		e.countVisibleAcq()
	}
	if e.rec != nil {
		e.recordStart()
	}
	return nil
}

// stateSlices views every state array as bytes, in a fixed order. The
// "next" buffers are scratch (fully rewritten each day) and are skipped.
func (e *Engine) stateSlices() [][]byte {
	out := [][]byte{
		bytesOf(e.score), bytesOf(e.tier), bytesOf(e.flags), bytesOf(e.sanc), bytesOf(e.partner),
		bytesOf(e.detained), bytesOf(e.visible), bytesOf(e.releaseDay), bytesOf(e.lastPenalised),
		bytesOf(e.penalisedAttempts), bytesOf(e.attempts), bytesOf(e.detections), bytesOf(e.firstSanction),
		bytesOf(e.sanctionDays), bytesOf(e.contrib),
		bytesOf(e.instApproved), bytesOf(e.instSucceeded), // empty without institutions
		bytesOf(e.priv), bytesOf(e.privDays), bytesOf(e.othersDays),
		bytesOf(e.formed),
	}
	for _, x := range e.xs { // extra scores (scores.go)
		out = append(out, bytesOf(x))
	}
	return out
}

// bytesOf reinterprets a slice of fixed-size values as bytes. The format is
// little-endian, which is what the machines nosedive supports (amd64,
// arm64) use natively; isLittleEndian guards the assumption.
func bytesOf[T ~int32 | ~uint32 | ~uint64 | ~uint16 | ~uint8 | ~bool](s []T) []byte {
	if !isLittleEndian {
		panic("sim: snapshots need a little-endian machine")
	}
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

var isLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Day returns the number of days simulated so far.
func (e *Engine) Day() int { return e.day }
