package duckdb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A damaged file is left out of the views so that one bad file does not
// make the whole store unreadable (docs/sql.md, "Damaged runs"). The
// checks are cheap and made before DuckDB sees a file: a JSON file must
// be a regular file of at most maxJSON bytes holding one JSON object; a
// Parquet file must be a regular file with the magic bytes at both ends
// and a footer length that fits. The Parquet footers themselves are read
// (parquet_schema) when a view over them is first created, and a file
// whose footer does not parse or which lacks the columns its view needs
// (requiredColumns) is left out then.

// maxJSON bounds the JSON files read whole to check them (run.json is
// tens of kilobytes, audit.json at most a few megabytes).
const maxJSON = 256 << 20

// Damage is a file left out of the views.
type Damage struct {
	Run  string // the run or sweep directory
	File string // the file's path
	// Skipped says what is left out: "the run" when its run.json is
	// damaged, else the view the file would have been part of.
	Skipped string
	Err     error
}

func (d Damage) Error() string {
	var what string
	name := filepath.Base(d.Run)
	switch d.Skipped {
	case skippedRun:
		what = "run " + name + " skipped"
	case skippedSweep:
		what = "sweep " + name + " skipped; its runs are still listed"
	case skippedDir:
		what = "directory not searched"
	default:
		what = "left out of the " + d.Skipped + " view; the rest of " + name + " is still read"
	}
	return fmt.Sprintf("%s: %v (%s)", d.File, d.Err, what)
}

func (d Damage) Unwrap() error { return d.Err }

// Damage.Skipped values besides view names.
const (
	skippedRun   = "run"
	skippedSweep = "sweep"
	skippedDir   = "directory"
)

// regular opens path, refusing anything but a regular file: a symbolic
// link could point outside the store or at a device that never ends.
func regular(path string) (*os.File, os.FileInfo, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		return nil, nil, errors.New("a symbolic link, not followed")
	case !st.Mode().IsRegular():
		return nil, nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, st, nil
}

// checkJSON reports why path is not a readable JSON object, or nil.
func checkJSON(path string) error {
	f, st, err := regular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st.Size() > maxJSON {
		return fmt.Errorf("%d bytes, more than the %d a JSON file here may have", st.Size(), int64(maxJSON))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxJSON+1))
	if err != nil {
		return err
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil {
			err = errors.New("not valid JSON")
		}
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	return nil
}

// parquetMagic opens and closes every Parquet file.
var parquetMagic = []byte("PAR1")

// checkParquet reports why path is not a plausible Parquet file, or nil:
// "PAR1" at both ends and, before the last four bytes, a footer length
// that fits between them.
func checkParquet(path string) error {
	f, st, err := regular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := st.Size()
	if size < 12 {
		return fmt.Errorf("not a Parquet file: %d bytes, truncated", size)
	}
	head := make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return err
	}
	tail := make([]byte, 8)
	if _, err := f.ReadAt(tail, size-8); err != nil {
		return err
	}
	if !bytes.Equal(head, parquetMagic) || !bytes.Equal(tail[4:], parquetMagic) {
		return errors.New("not a Parquet file: no magic bytes at the start and end (truncated or overwritten?)")
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer == 0 || footer > size-12 {
		return fmt.Errorf("not a Parquet file: footer length %d does not fit in %d bytes", footer, size)
	}
	return nil
}

// A column a view needs, by name and Parquet physical type.
type column struct{ name, physical string }

// requiredColumns are the columns each run table must have for its view
// (docs/store-format.md); a file without one of them, or with another
// type, was not written by nosedive and is left out.
var requiredColumns = map[string][]column{
	"daily":  {{"day", "INT32"}, {"region", "BYTE_ARRAY"}, {"group", "BYTE_ARRAY"}, {"agents", "INT64"}, {"score_mean", "DOUBLE"}},
	"agents": {{"agent", "INT32"}, {"region", "BYTE_ARRAY"}, {"group", "BYTE_ARRAY"}, {"score", "DOUBLE"}, {"tier", "BYTE_ARRAY"}},
	"ledger": {{"day", "INT32"}, {"agent", "INT32"}, {"rule", "BYTE_ARRAY"}, {"delta", "DOUBLE"}},
	"institutions": {{"day", "INT32"}, {"institution", "BYTE_ARRAY"}, {"category", "BYTE_ARRAY"},
		{"threshold", "DOUBLE"}, {"boundary", "DOUBLE"}, {"applicants", "INT64"}, {"selection_rate", "DOUBLE"}},
	"trace": {{"day", "INT32"}, {"agent", "INT32"}, {"tier", "BYTE_ARRAY"}, {"detained", "BOOLEAN"}, {"partner", "INT32"}},
	"trace_events": {{"day", "INT32"}, {"agent", "INT32"}, {"behaviour", "BYTE_ARRAY"}, {"blocked", "BOOLEAN"},
		{"detected", "BOOLEAN"}},
}
