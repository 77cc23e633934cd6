package duckdb

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damage returns a function that damages the file at path one way.
type damage func(t *testing.T, path string)

func truncated(t *testing.T, path string) {
	b := read(t, path)
	write(t, path, b[:len(b)/2])
}

func zeroed(t *testing.T, path string) { write(t, path, make([]byte, len(read(t, path)))) }

func randomBytes(t *testing.T, path string) {
	b := make([]byte, len(read(t, path)))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	write(t, path, b)
}

func empty(t *testing.T, path string) { write(t, path, nil) }

// badFooter keeps the magic bytes and the footer length but overwrites
// the footer, so that only reading it tells.
func badFooter(t *testing.T, path string) {
	b := read(t, path)
	for i := len(b) - 30; i < len(b)-8; i++ {
		b[i] = 0xff
	}
	write(t, path, b)
}

type otherRow struct {
	X int64 `parquet:"x"`
}

func otherSchema(t *testing.T, path string) { writeParquet(t, path, []otherRow{{1}, {2}}) }

// wrongType writes the daily, agents or ledger columns with day and agent
// as text.
func wrongType(t *testing.T, path string) {
	type row struct {
		Day       string  `parquet:"day"`
		Agent     string  `parquet:"agent"`
		Region    string  `parquet:"region"`
		Group     string  `parquet:"group"`
		Rule      string  `parquet:"rule"`
		Tier      string  `parquet:"tier"`
		Agents    int64   `parquet:"agents"`
		ScoreMean float64 `parquet:"score_mean"`
		Score     float64 `parquet:"score"`
		Delta     float64 `parquet:"delta"`
	}
	writeParquet(t, path, []row{{Day: "0", Agent: "0", Region: "r", Group: "g1", Rule: "x", Tier: "A"}})
}

func dangling(t *testing.T, path string) {
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(filepath.Dir(path), "gone"), path); err != nil {
		t.Skip("no symbolic links:", err)
	}
}

func toDevZero(t *testing.T, path string) {
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Skip("no symbolic links:", err)
	}
}

func jsonArray(t *testing.T, path string) { write(t, path, []byte(`[1, 2]`)) }

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedStore damages one file of the fixture store in each way we
// know of and checks that the file, and nothing else, is left out: every
// view still answers, the healthy runs are all there, and one warning
// names the file.
func TestDamagedStore(t *testing.T) {
	parquetDamages := map[string]damage{
		"truncated": truncated, "zeroed": zeroed, "random bytes": randomBytes, "empty": empty,
		"bad footer": badFooter, "other schema": otherSchema, "wrong column type": wrongType,
		"dangling symlink": dangling, "symlink to /dev/zero": toDevZero,
	}
	jsonDamages := map[string]damage{
		"truncated": truncated, "zeroed": zeroed, "random bytes": randomBytes, "empty": empty,
		"not an object": jsonArray, "dangling symlink": dangling, "symlink to /dev/zero": toDevZero,
	}
	// Each query is answered over the fixture as it is (want) and over the
	// store with the file damaged (damagedWant).
	type check struct{ q, want, damagedWant string }
	type target struct {
		file    string // under the store
		damages map[string]damage
		skipped string // Damage.Skipped
		checks  []check
	}
	runsCount := check{"SELECT count(*) FROM runs", "4", "4"}
	targets := []target{
		{"beta-s2/daily.parquet", parquetDamages, "daily", []check{runsCount,
			{"SELECT string_agg(DISTINCT run_id, ',' ORDER BY run_id) FROM daily", "alpha-s1,beta-s2", "alpha-s1"},
			{"SELECT count(*) FROM agents", "3", "3"}}},
		{"beta-s2/agents.parquet", parquetDamages, "agents", []check{runsCount,
			{"SELECT count(*) FROM agents", "3", "0"},
			{"SELECT count(*) FROM daily", "8", "8"}}},
		{"beta-s2/ledger.parquet", parquetDamages, "ledger", []check{runsCount,
			{"SELECT count(*) FROM ledger", "2", "0"},
			{"SELECT count(*) FROM agents", "3", "3"}}},
		{"alpha-s1/run.json", jsonDamages, skippedRun, []check{
			{"SELECT string_agg(run_id, ',' ORDER BY run_id) FROM runs", "alpha-s1,beta-s2,p0-r0,p1-r0", "beta-s2,p0-r0,p1-r0"},
			{"SELECT string_agg(DISTINCT run_id, ',' ORDER BY run_id) FROM daily", "alpha-s1,beta-s2", "beta-s2"},
			{"SELECT count(*) FROM audit", "1", "0"}}},
		{"alpha-s1/audit.json", jsonDamages, "audit", []check{runsCount,
			{"SELECT count(*) FROM audit", "1", "0"},
			{"SELECT count(*) FROM runs r LEFT JOIN audit a USING (dir)", "4", "4"}}},
		{"sw/results/audit-0.parquet", parquetDamages, "sweep_audit", []check{runsCount,
			{"SELECT count(*) FROM sweep_daily", "2", "2"}}},
		{"sw/sweep.json", jsonDamages, skippedSweep, []check{runsCount,
			{"SELECT count(*) FROM runs WHERE sweep_id = 'sw'", "2", "2"}}},
	}
	healthy := open(t, fixture(t))
	for _, tg := range targets {
		for _, c := range tg.checks {
			if _, got := rows(t, healthy, c.q); got[0][0] != c.want {
				t.Errorf("healthy store: %s: %s, want %s", c.q, got[0][0], c.want)
			}
		}
	}
	for _, tg := range targets {
		for name, dmg := range tg.damages {
			if tg.skipped == "sweep_audit" && (name == "other schema" || name == "wrong column type") {
				continue // the tidy tables have no fixed columns
			}
			t.Run(tg.file+"/"+name, func(t *testing.T) {
				root := fixture(t)
				path := filepath.Join(root, filepath.FromSlash(tg.file))
				dmg(t, path)
				var warnings []Damage
				db, err := Open(context.Background(), root, Options{Warn: func(d Damage) { warnings = append(warnings, d) }})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				for _, c := range tg.checks {
					if _, got := rows(t, db, c.q); got[0][0] != c.damagedWant {
						t.Errorf("%s: %s, want %s", c.q, got[0][0], c.damagedWant)
					}
				}
				// The schema lists every view, and reading it again warns no more.
				if _, err := db.Schema(context.Background()); err != nil {
					t.Fatal(err)
				}
				if len(warnings) != 1 {
					t.Fatalf("want one warning, got %d: %v", len(warnings), warnings)
				}
				w := warnings[0]
				dir := filepath.Join(root, strings.Split(tg.file, "/")[0])
				if w.File != path || w.Skipped != tg.skipped || !strings.Contains(w.Error(), path) || w.Run != dir {
					t.Errorf("warning %+v (%v): want file %s, skipped %s", w, w, path, tg.skipped)
				}
				t.Log(w)
			})
		}
	}
}

// TestAllFilesOfAViewDamaged leaves the view empty, with its core
// columns, as if there were no file.
func TestAllFilesOfAViewDamaged(t *testing.T) {
	root := fixture(t)
	for _, f := range []string{"alpha-s1/daily.parquet", "beta-s2/daily.parquet"} {
		badFooter(t, filepath.Join(root, filepath.FromSlash(f)))
	}
	n := 0
	db, err := Open(context.Background(), root, Options{Warn: func(Damage) { n++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, got := rows(t, db, `SELECT count(*), count(DISTINCT "group") FROM daily`); got[0][0] != "0" || n != 2 {
		t.Errorf("daily with every file damaged: %v, %d warnings", got, n)
	}
}
