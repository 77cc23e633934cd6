package store_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/parquet-go/parquet-go"
)

// Region r1 has no agents of group y: its cells are empty every day.
const emptyCell = `name: empty
population:
  regions: [{name: r1, share: 0.5, groups: {x: 1}}, {name: r2, share: 0.5, groups: {x: 0.5, y: 0.5}}]
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 0.2, penalised: true, gravity: 1}]
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules: [{name: r_act, on: act, amount: -5}]
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions: [{name: ban, when: tier == "low", context: travel, severity: 4}]
`

func run(t *testing.T) *runner.Result {
	t.Helper()
	sc, err := scenario.Load("empty.yaml", []byte(emptyCell), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 400, Days: 5, Seed: 2,
		Ledger: "all", OutDir: t.TempDir(), Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEmptyCellsAreNull: every aggregate of a cell without agents (its
// mean and quantiles) is NULL in daily.parquet, and reads back as NaN;
// cells with agents have values.
func TestEmptyCellsAreNull(t *testing.T) {
	res := run(t)
	path := filepath.Join(res.Dir, store.DailyFile)
	aggregates := []string{"score_mean", "score_p10", "score_p25", "score_p50", "score_p75", "score_p90"}

	// In the file: the columns are optional and the empty cells' rows NULL.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]parquet.Row, pf.NumRows())
	rr := parquet.NewReader(pf)
	n, err := rr.ReadRows(rows)
	if n != len(rows) {
		t.Fatalf("read %d of %d rows: %v", n, len(rows), err)
	}
	col := map[string]int{}
	for i, fl := range pf.Schema().Fields() {
		col[fl.Name()] = i
	}
	empty := 0
	for _, row := range rows {
		isEmpty := row[col["agents"]].Int64() == 0
		if isEmpty {
			empty++
		}
		for _, a := range aggregates {
			v := row[col[a]]
			if v.IsNull() != isEmpty || (!isEmpty && math.IsNaN(v.Double())) {
				t.Fatalf("%s = %v in a cell with %d agents", a, v, row[col["agents"]].Int64())
			}
		}
	}
	if want := 6; empty != want { // (r1, y) on days 0..5
		t.Errorf("%d empty cells, want %d", empty, want)
	}
	for _, a := range aggregates {
		if leaf, ok := pf.Schema().Lookup(a); !ok || !leaf.Node.Optional() {
			t.Errorf("%s is not an optional column", a)
		}
	}

	// Through store.ReadTable: NULL reads as NaN.
	tab, err := store.ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range tab.Cols["agents"].Int {
		for _, c := range aggregates {
			if got := tab.Cols[c].Float[i]; math.IsNaN(got) != (a == 0) {
				t.Errorf("row %d: %s = %v with %d agents", i, c, got, a)
			}
		}
	}
}

// TestParquetMetadata: every Parquet file of a run says which run, scenario,
// seed and nosedive it comes from, as run.json does.
func TestParquetMetadata(t *testing.T) {
	res := run(t)
	m := res.Manifest
	if m.Version != runner.Version || m.Version == "" {
		t.Errorf("run.json version %q, want %q", m.Version, runner.Version)
	}
	if m.Build != runner.Build() {
		t.Errorf("run.json build %+v, want %+v", m.Build, runner.Build())
	}
	want := map[string]string{
		"nosedive.run_id":          m.ID,
		"nosedive.scenario":        "empty",
		"nosedive.scenario_sha256": m.Scenario.SHA256,
		"nosedive.seed":            "2",
		"nosedive.version":         m.Version,
		"nosedive.commit":          m.Commit,
		"nosedive.modified":        strconv.FormatBool(m.Modified),
	}
	if len(m.Scenario.SHA256) != 64 {
		t.Fatalf("scenario sha256 %q", m.Scenario.SHA256)
	}
	for _, name := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile} {
		f, err := os.Open(filepath.Join(res.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, kv := range pf.Metadata().KeyValueMetadata {
			got[kv.Key] = kv.Value
		}
		f.Close()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: metadata %v, want %v", name, got, want)
		}
	}
}
