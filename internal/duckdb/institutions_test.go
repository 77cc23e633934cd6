package duckdb

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type instRow struct {
	Day           int32   `parquet:"day"`
	Institution   string  `parquet:"institution"`
	Category      string  `parquet:"category"`
	Threshold     float64 `parquet:"threshold"`
	Boundary      float64 `parquet:"boundary"`
	Applicants    int64   `parquet:"applicants"`
	Approved      int64   `parquet:"approved"`
	SelectionRate float64 `parquet:"selection_rate"`
}

// The institutions view reads every run's institutions.parquet with run_id
// and dir, and binds with its core columns when no run has one.
func TestInstitutionsView(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	a := filepath.Join(root, "lend-s1")
	writeJSON(t, filepath.Join(a, "run.json"), manifest("lend-s1", "lend", 1, 4, 2, "2026-11-28T10:00:00Z", nil))
	writeParquet(t, filepath.Join(a, "daily.parquet"), []alphaDaily{{Day: 0, Region: "r", Group: "g1", Agents: 4, ScoreMean: 1}})
	writeParquet(t, filepath.Join(a, "institutions.parquet"), []instRow{
		{Day: 1, Institution: "lender", Category: "g1", Threshold: 700, Boundary: 1, Applicants: 2, Approved: 2, SelectionRate: 1},
		{Day: 1, Institution: "lender", Category: "g2", Threshold: 650, Boundary: 0.5, Applicants: 2, Approved: 1, SelectionRate: 0.5},
	})
	b := filepath.Join(root, "plain-s2")
	writeJSON(t, filepath.Join(b, "run.json"), manifest("plain-s2", "plain", 2, 4, 2, "2026-11-28T10:00:00Z", nil))
	db := open(t, root)
	_, got := rows(t, db, `SELECT run_id, category, threshold, boundary, approved, selection_rate FROM institutions ORDER BY ALL`)
	want := [][]string{{"lend-s1", "g1", "700", "1", "2", "1"}, {"lend-s1", "g2", "650", "0.5", "1", "0.5"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("institutions (-got +want):\n%s", diff)
	}
	_, got = rows(t, db, `SELECT count(*) FROM institutions i JOIN runs r USING (dir) WHERE r.scenario = 'lend'`)
	if got[0][0] != "2" {
		t.Errorf("institutions x runs: %v", got)
	}
	// A store without institutions: the view is empty but binds.
	_, got = rows(t, open(t, b), `SELECT count(*), max(threshold), max(selection_rate) FROM institutions`)
	if diff := cmp.Diff(got, [][]string{{"0", "NULL", "NULL"}}); diff != "" {
		t.Errorf("empty institutions view (-got +want):\n%s", diff)
	}
}

type sweepInstRow struct {
	Sweep         string  `parquet:"sweep"`
	Point         int32   `parquet:"point"`
	Replicate     int32   `parquet:"replicate"`
	Rate          float64 `parquet:"institutions.lender.rate,optional"`
	Day           int32   `parquet:"day"`
	Category      string  `parquet:"category"`
	SelectionRate float64 `parquet:"selection_rate"`
}

// sweep_institutions reads the sweeps' institutions fragments together,
// and is left out, with a note, when a store's sweeps have none.
func TestSweepInstitutionsView(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s := filepath.Join(root, "sw")
	writeJSON(t, filepath.Join(s, "sweep.json"), map[string]any{"name": "sw", "replicates": 1})
	writeJSON(t, filepath.Join(s, "runs", "p0-r0", "run.json"), manifest("p0-r0", "lend", 11, 4, 2, "2026-11-28T09:00:00Z",
		map[string]any{"id": "sw", "point": 0, "replicate": 0, "params": map[string]any{"institutions.lender.rate": 0.5}}))
	writeParquet(t, filepath.Join(s, "results", "audit-p0-r0.parquet"), []sweepAuditRow{{"sw", 0, 0, 2}})
	db := open(t, root)
	if _, got := rows(t, db, `SELECT count(*) FROM duckdb_views() WHERE view_name = 'sweep_institutions'`); got[0][0] != "0" {
		t.Errorf("sweep_institutions without fragments: %v views", got)
	}
	writeParquet(t, filepath.Join(s, "results", "institutions-p0-r0.parquet"), []sweepInstRow{
		{"sw", 0, 0, 0.5, 1, "g1", 0.5}, {"sw", 0, 0, 0.5, 1, "g2", 0.5}})
	writeParquet(t, filepath.Join(s, "results", "institutions-p1-r0.parquet"), []sweepInstRow{{"sw", 1, 0, 0.2, 1, "g1", 0.2}})
	_, got := rows(t, open(t, root), `SELECT point, category, "institutions.lender.rate", selection_rate FROM sweep_institutions ORDER BY ALL`)
	want := [][]string{{"0", "g1", "0.5", "0.5"}, {"0", "g2", "0.5", "0.5"}, {"1", "g1", "0.2", "0.2"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("sweep_institutions (-got +want):\n%s", diff)
	}
}
