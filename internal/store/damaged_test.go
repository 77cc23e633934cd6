package store_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/parquet-go/parquet-go"
)

// smallRun writes a run of 300 people over 20 days with its full ledger.
func smallRun(t *testing.T) string { t.Helper(); return smallRunF(t) }

func smallRunF(t testing.TB) string {
	t.Helper()
	sets := []string{"run.agents=300", "run.days=20"}
	sc, err := scenario.Resolve("xinjiang-pilot", sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 300, Days: 20, Seed: 1,
		Workers: 1, Ledger: "all", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res.Dir
}

// Every way a run's table can be damaged is an error naming the file,
// never a panic or a table whose columns disagree: truncated, zeroed,
// random bytes, another table's content (the wrong schema), and bytes
// flipped anywhere in the file.
func TestDamagedTables(t *testing.T) {
	dir := smallRun(t)
	files := []string{store.DailyFile, store.AgentsFile, store.LedgerFile}
	orig := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		orig[f] = b
		if _, err := store.ReadTable(filepath.Join(dir, f)); err != nil {
			t.Fatalf("healthy %s: %v", f, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range files {
		b := orig[f]
		random := make([]byte, len(b))
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		other := store.DailyFile
		if f == store.DailyFile {
			other = store.AgentsFile
		}
		cases := map[string][]byte{
			"empty":          {},
			"truncated":      b[:len(b)/2],
			"tail cut":       b[:len(b)-9],
			"zeroed":         make([]byte, len(b)),
			"random":         random,
			"wrong schema":   orig[other],
			"random + magic": append(append([]byte("PAR1"), random[8:]...), []byte("PAR1")...),
		}
		for name, data := range cases {
			path := filepath.Join(dir, f)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := store.ReadTable(path)
			var de *store.DamagedError
			if !errors.As(err, &de) || de.Path != path || !strings.Contains(err.Error(), f) {
				t.Errorf("%s %s: %v, want a DamagedError naming the file", f, name, err)
			}
		}
		// Bytes flipped at spread offsets: an error, or a table whose
		// every column has Rows values.
		for k := range 120 {
			data := append([]byte(nil), b...)
			off := (k*len(b))/120 + rng.IntN(max(1, len(b)/120))
			data[off%len(data)] ^= byte(1 + rng.IntN(255))
			path := filepath.Join(dir, f)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tab, err := store.ReadTable(path)
			if err != nil {
				if !strings.Contains(err.Error(), path) {
					t.Errorf("%s flipped at %d: %v does not name the file", f, off, err)
				}
				continue
			}
			for n, c := range tab.Cols {
				if l := len(c.Int) + len(c.Float) + len(c.Bool) + len(c.Str); l != tab.Rows {
					t.Fatalf("%s flipped at %d: column %s has %d values for %d rows", f, off, n, l, tab.Rows)
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Values a reader indexes by are checked against the run: a daily table
// of another run (more days, other groups) is refused.
func TestTableOfAnotherRun(t *testing.T) {
	a := smallRun(t)
	sets := []string{"run.agents=200", "run.days=30"}
	sc, err := scenario.Resolve("benchmark", sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 200, Days: 30, Seed: 1,
		Workers: 1, Ledger: "all", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile} {
		b, err := os.ReadFile(filepath.Join(res.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(a, f)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var de *store.DamagedError
		if _, err := store.ReadTable(path); !errors.As(err, &de) {
			t.Errorf("%s of another run: %v, want a DamagedError", f, err)
		} else {
			t.Logf("%s of another run: %v", f, err)
		}
	}
}

// A run.json whose sizes or names readers index by are out of range is
// a DamagedError naming it.
func TestDamagedManifest(t *testing.T) {
	dir := smallRun(t)
	path := filepath.Join(dir, store.ManifestFile)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"negative agents": func(m map[string]any) { m["agents"] = -5 },
		"no tiers":        func(m map[string]any) { m["names"].(map[string]any)["tiers"] = []string{} },
		"repeated group":  func(m map[string]any) { m["names"].(map[string]any)["groups"] = []string{"a", "a"} },
		"40 traits": func(m map[string]any) {
			var tr []string
			for k := range 40 {
				tr = append(tr, fmt.Sprint("t", k))
			}
			m["names"].(map[string]any)["traits"] = tr
		},
		"sanctions undescribed": func(m map[string]any) { m["sanctions"] = []any{} },
	} {
		var m map[string]any
		if err := json.Unmarshal(orig, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var de *store.DamagedError
		if _, err := store.ReadManifest(dir); !errors.As(err, &de) || de.Path != path {
			t.Errorf("%s: %v, want a DamagedError naming run.json", name, err)
		}
	}
	os.WriteFile(path, orig, 0o644)
	if _, err := store.ReadManifest(dir); err != nil {
		t.Errorf("the healthy run.json: %v", err)
	}
}

// A footer or page header that claims a huge list, string or page is
// refused before the decoder allocates it: the decoder would ask for the
// claimed size at once (hundreds of GiB here), a fatal error that no
// recover catches.
func TestClaimsBeyondTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, store.DailyFile)
	file := func(footer []byte) []byte {
		b := append([]byte("PAR1"), footer...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(footer)))
		return append(b, "PAR1"...)
	}
	pad := make([]byte, 64)
	for name, data := range map[string][]byte{
		// FileMetaData: version 1, then a schema list of 2^32-1 structs.
		"a list of 4 billion":  file(append([]byte{0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f}, pad...)),
		"a string of 1 GiB":    file(append([]byte{0x15, 0x02, 0x19, 0x1c, 0x48, 0x80, 0x80, 0x80, 0x80, 0x04}, pad...)),
		"a footer of 4 GiB":    append([]byte("PAR1\x00\x00\x00\x00"), 0xff, 0xff, 0xff, 0xff, 'P', 'A', 'R', '1'),
		"nested 100 deep":      file(append(append([]byte{0x15, 0x02}, bytesRepeat(0x1c, 100)...), pad...)),
		"a map of 2^40 pairs":  file(append([]byte{0x1b, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x55}, pad...)),
		"an unknown type 13":   file(append([]byte{0x1d}, pad...)),
		"a footer cut short":   file([]byte{0x15, 0x02, 0x19}),
		"just the magic bytes": []byte("PAR1PAR1"),
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var de *store.DamagedError
		if _, err := store.ReadTable(path); !errors.As(err, &de) {
			t.Errorf("%s: %v, want a DamagedError", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func bytesRepeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// The integers that may be NULL (a partner, a first sanction day) read as
// store.NullInt, and nothing else does: a NULL in another integer column,
// or a negative number stored where nosedive writes NULL, is damage.
func TestNullInts(t *testing.T) {
	dir := smallRun(t)
	path := filepath.Join(dir, store.AgentsFile)
	type row struct {
		Agent    int32  `parquet:"agent"`
		Partner  *int32 `parquet:"partner,optional"`
		Children *int32 `parquet:"children,optional"`
	}
	const n = 300 // smallRun's agents
	write := func(edit func(r int, x *row)) {
		t.Helper()
		rows := make([]row, n)
		for r := range rows {
			p, kids := int32(r^1), int32(0)
			rows[r] = row{Agent: int32(r), Partner: &p, Children: &kids}
			if r%3 == 0 {
				rows[r].Partner = nil
			}
			edit(r, &rows[r])
		}
		if err := parquet.WriteFile(path, rows); err != nil {
			t.Fatal(err)
		}
	}
	cols := []string{"agent", "partner", "children"}
	write(func(int, *row) {})
	tab, err := store.ReadTable(path, cols...)
	if err != nil {
		t.Fatal(err)
	}
	for r, p := range tab.Cols["partner"].Int {
		want := int64(r ^ 1)
		if r%3 == 0 {
			want = store.NullInt
		}
		if p != want {
			t.Fatalf("row %d: partner %d, want %d", r, p, want)
		}
	}
	minus := int32(-1)
	for name, edit := range map[string]func(r int, x *row){
		"a stored -1 partner": func(r int, x *row) {
			if r == 7 {
				x.Partner = &minus
			}
		},
		"a NULL child count": func(r int, x *row) {
			if r == 7 {
				x.Children = nil
			}
		},
	} {
		write(edit)
		var de *store.DamagedError
		if _, err := store.ReadTable(path, cols...); !errors.As(err, &de) {
			t.Errorf("%s: %v, want a DamagedError", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
