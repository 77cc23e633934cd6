package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteReadTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	names := [][]byte{[]byte("a"), []byte("b")}
	const n = 3000
	cols := []column{
		{name: "z_first", typ: tInt32, i32: func(r int) int32 { return int32(r) }},
		{name: "a_second", typ: tDouble, f64: func(r int) float64 { return float64(r) / 2 }},
		{name: "flag", typ: tBool, b: func(r int) bool { return r%3 == 0 }},
		{name: "name", typ: tString, s: func(r int) []byte { return names[r%2] }},
		{name: "big", typ: tInt64, i64: func(r int) int64 { return int64(r) << 33 }},
	}
	if err := writeTable(f, "t", cols, n, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tab, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"z_first", "a_second", "flag", "name", "big"}, tab.Names); diff != "" {
		t.Errorf("column order (-want +got):\n%s", diff)
	}
	if tab.Rows != n || len(tab.Cols["z_first"].Int) != n || tab.Cols["a_second"].Float[7] != 3.5 ||
		!tab.Cols["flag"].Bool[3] || tab.Cols["name"].Str[1] != "b" || tab.Cols["big"].Int[2] != 2<<33 {
		t.Errorf("values do not round-trip")
	}
	if _, err := ReadTable(path, "nope"); err == nil {
		t.Error("reading a missing column gave no error")
	}
}
