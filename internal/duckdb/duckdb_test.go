package duckdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// The fixture store, made by hand so that every expected value is known:
//
//	store/
//	  alpha-s1/            run: scenario alpha, seed 1, 2 groups x days 0..2, audit.json
//	    twins/no-regime/   a twin (has run.json): not a stored run
//	  beta-s2/             run: scenario beta, seed 2, other tier names, agents.parquet, ledger.parquet, no audit
//	  .tmp-gamma-s3-x/     an unfinished run: skipped
//	  sw/                  a sweep: sweep.json, results/daily-0.parquet, results/audit-0.parquet
//	    runs/p0-r0/        run of the sweep (params as an object)
//	    runs/p1-r0/        run of the sweep (params as a list of {path, value})

type alphaDaily struct {
	Day       int32   `parquet:"day"`
	Region    string  `parquet:"region"`
	Group     string  `parquet:"group"`
	Agents    int64   `parquet:"agents"`
	ScoreMean float64 `parquet:"score_mean"`
	TierLow   int64   `parquet:"tier_untrustworthy"`
}

type betaDaily struct {
	Day       int32   `parquet:"day"`
	Region    string  `parquet:"region"`
	Group     string  `parquet:"group"`
	Agents    int64   `parquet:"agents"`
	ScoreMean float64 `parquet:"score_mean"`
	TierD     int64   `parquet:"tier_D"`
}

type agentRow struct {
	Agent  int32   `parquet:"agent"`
	Region string  `parquet:"region"`
	Group  string  `parquet:"group"`
	Score  float64 `parquet:"score"`
	Tier   string  `parquet:"tier"`
}

type ledgerRow struct {
	Day   int32   `parquet:"day"`
	Agent int32   `parquet:"agent"`
	Rule  string  `parquet:"rule"`
	Delta float64 `parquet:"delta"`
}

type sweepDailyRow struct {
	Sweep     string  `parquet:"sweep"`
	Point     int32   `parquet:"point"`
	Replicate int32   `parquet:"replicate"`
	Cameras   float64 `parquet:"cameras"`
	Day       int32   `parquet:"day"`
	Group     string  `parquet:"group"`
	Share     float64 `parquet:"untrustworthy_share"`
}

type sweepAuditRow struct {
	Sweep     string  `parquet:"sweep"`
	Point     int32   `parquet:"point"`
	Replicate int32   `parquet:"replicate"`
	Ratio     float64 `parquet:"max_disparity_ratio"`
}

func writeParquet[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func manifest(id, scenario string, seed, agents, days int, created string, sweep any) map[string]any {
	m := map[string]any{
		"format_version": 2, "id": id, "version": "test",
		"scenario": map[string]any{"name": scenario, "file": scenario + ".yaml", "sha256": "abc", "sets": []string{"a.b=1"}},
		"seed":     seed, "agents": agents, "days": days, "ledger": "none",
		"names":   map[string]any{"regions": []string{"r"}, "groups": []string{"g1", "g2"}, "tiers": []string{"ok", "low"}},
		"files":   []string{"run.json", "daily.parquet"},
		"created": created,
		"timings": map[string]any{"total_s": 0.5},
		"host":    map[string]any{"workers": 2},
	}
	if sweep != nil {
		m["sweep"] = sweep
	}
	return m
}

// alphaAudit has three disparities: a finite ratio 3 (worst), a ratio
// that is undefined (reference rate 0, null) and a metric where higher is
// better with ratio 0.5 (2 times worse off, so not the worst).
var alphaAudit = map[string]any{
	"run": "alpha-s1", "scenario": "alpha", "agents": 4, "days": 2, "seed": 1,
	"reference_group": "g1",
	"overall": map[string]any{
		"mean_score": 71.5, "gini": 0.125,
		"tiers":            []any{map[string]any{"name": "ok", "value": 0.75}, map[string]any{"name": "low", "value": 0.25}},
		"ever_sanctioned":  map[string]any{"value": 0.5, "numerator": 2, "denominator": 4},
		"detained":         map[string]any{"value": 0},
		"loss":             map[string]any{"association_share": 0.2},
		"children_blocked": 3,
	},
	"groups": []any{
		map[string]any{"attribute": "group", "value": "g1", "disparities": []any{
			map[string]any{"metric": "tier_low", "ratio": 1, "higher_is_worse": true, "outside_four_fifths": false}}},
		map[string]any{"attribute": "group", "value": "g2", "disparities": []any{
			map[string]any{"metric": "tier_low", "ratio": 3, "higher_is_worse": true, "outside_four_fifths": true},
			map[string]any{"metric": "detained", "ratio": nil, "higher_is_worse": true, "outside_four_fifths": true},
			map[string]any{"metric": "tier_ok", "ratio": 0.5, "higher_is_worse": false, "outside_four_fifths": true}}},
	},
	"eu_ai_act_art5": map[string]any{"verdict_i": "likely prohibited",
		"cross_context_detriment_rate": map[string]any{"value": 1}},
	"headline": []string{"first finding", "second finding"},
}

func fixture(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "store")
	a := filepath.Join(root, "alpha-s1")
	writeJSON(t, filepath.Join(a, "run.json"), manifest("alpha-s1", "alpha", 1, 4, 2, "2026-11-28T10:00:00Z", nil))
	var ad []alphaDaily
	for d := range int32(3) {
		ad = append(ad,
			alphaDaily{Day: d, Region: "r", Group: "g1", Agents: 2, ScoreMean: 80, TierLow: 0},
			alphaDaily{Day: d, Region: "r", Group: "g2", Agents: 2, ScoreMean: 70 - float64(d), TierLow: int64(d % 2)})
	}
	writeParquet(t, filepath.Join(a, "daily.parquet"), ad)
	writeJSON(t, filepath.Join(a, "audit.json"), alphaAudit)
	writeJSON(t, filepath.Join(a, "twins", "no-regime", "run.json"), manifest("no-regime", "alpha", 1, 4, 2, "2026-11-28T10:00:01Z", nil))
	writeParquet(t, filepath.Join(a, "twins", "no-regime", "daily.parquet"), ad)

	b := filepath.Join(root, "beta-s2")
	writeJSON(t, filepath.Join(b, "run.json"), manifest("beta-s2", "beta", 2, 3, 1, "2026-11-28T11:00:00Z", nil))
	writeParquet(t, filepath.Join(b, "daily.parquet"), []betaDaily{
		{Day: 0, Region: "r", Group: "g1", Agents: 3, ScoreMean: 600, TierD: 0},
		{Day: 1, Region: "r", Group: "g1", Agents: 3, ScoreMean: 590, TierD: 2}})
	writeParquet(t, filepath.Join(b, "agents.parquet"), []agentRow{{0, "r", "g1", 600, "A"}, {1, "r", "g1", 590, "D"}, {2, "r", "g1", 580, "D"}})
	writeParquet(t, filepath.Join(b, "ledger.parquet"), []ledgerRow{{1, 1, "late", -10}, {1, 2, "late", -20}})

	writeJSON(t, filepath.Join(root, ".tmp-gamma-s3-x", "run.json"), manifest("gamma-s3", "gamma", 3, 1, 1, "2026-11-28T12:00:00Z", nil))

	s := filepath.Join(root, "sw")
	writeJSON(t, filepath.Join(s, "sweep.json"), map[string]any{"name": "sw", "replicates": 1})
	writeJSON(t, filepath.Join(s, "runs", "p0-r0", "run.json"), manifest("p0-r0", "alpha", 11, 4, 2, "2026-11-28T09:00:00Z",
		map[string]any{"id": "sw", "point": 0, "replicate": 0, "params": map[string]any{"cameras": 0.5}}))
	writeJSON(t, filepath.Join(s, "runs", "p1-r0", "run.json"), manifest("p1-r0", "alpha", 11, 4, 2, "2026-11-28T09:00:01Z",
		map[string]any{"id": "sw", "point": 1, "replicate": 0, "params": []any{map[string]any{"path": "cameras", "value": 0.9}}}))
	writeParquet(t, filepath.Join(s, "results", "daily-0.parquet"), []sweepDailyRow{
		{"sw", 0, 0, 0.5, 2, "g2", 0.25}, {"sw", 1, 0, 0.9, 2, "g2", 0.5}})
	writeParquet(t, filepath.Join(s, "results", "audit-0.parquet"), []sweepAuditRow{{"sw", 0, 0, 2}, {"sw", 1, 0, 4}})
	return root
}

func open(t *testing.T, root string) *DB {
	t.Helper()
	db, err := Open(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// rows runs q and returns its columns and its cells as Text renders them,
// NULL as "NULL".
func rows(t *testing.T, db *DB, q string) ([]string, [][]string) {
	t.Helper()
	var names []string
	var types []string
	var out [][]string
	err := db.Query(context.Background(), q, func(cols []Column) error {
		for _, c := range cols {
			names = append(names, c.Name)
			types = append(types, c.Type)
		}
		return nil
	}, func(vals []any) error {
		r := make([]string, len(vals))
		for i, v := range vals {
			r[i] = Text(v, types[i])
			if v == nil {
				r[i] = "NULL"
			}
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return names, out
}

func TestDiscover(t *testing.T) {
	root := fixture(t)
	c, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range c.Runs {
		rel, _ := filepath.Rel(root, r.Dir)
		got = append(got, fmt.Sprintf("%s %s daily=%v agents=%v audit=%v", r.ID, filepath.ToSlash(rel), r.Daily, r.Agents, r.Audit))
	}
	want := []string{
		"alpha-s1 alpha-s1 daily=true agents=false audit=true",
		"beta-s2 beta-s2 daily=true agents=true audit=false",
		"p0-r0 sw/runs/p0-r0 daily=false agents=false audit=false",
		"p1-r0 sw/runs/p1-r0 daily=false agents=false audit=false",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("runs (-got +want):\n%s", diff)
	}
	if len(c.Sweeps) != 1 || c.Sweeps[0].ID != "sw" || len(c.Sweeps[0].Daily) != 1 || len(c.Sweeps[0].Audit) != 1 {
		t.Errorf("sweeps: %+v", c.Sweeps)
	}
}

func TestSymlinkedStore(t *testing.T) {
	root := fixture(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(root, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, got := rows(t, open(t, link), "SELECT count(*), min(dir) FROM runs")
	if want := filepath.ToSlash(filepath.Join(link, "alpha-s1")); got[0][0] != "4" || got[0][1] != want {
		t.Errorf("store behind a symbolic link: %v, want 4 runs, the first %s", got, want)
	}
}

func TestRunsView(t *testing.T) {
	db := open(t, fixture(t))
	_, got := rows(t, db, `SELECT run_id, scenario, seed, agents, days, created, sets, sweep_id, sweep_point,
		sweep_replicate, sweep_params, total_s, workers, tiers FROM runs ORDER BY created`)
	want := [][]string{
		{"p0-r0", "alpha", "11", "4", "2", "2026-11-28T09:00:00Z", `["a.b=1"]`, "sw", "0", "0", `{"cameras":0.5}`, "0.5", "2", `["ok","low"]`},
		{"p1-r0", "alpha", "11", "4", "2", "2026-11-28T09:00:01Z", `["a.b=1"]`, "sw", "1", "0", `[{"path":"cameras","value":0.9}]`, "0.5", "2", `["ok","low"]`},
		{"alpha-s1", "alpha", "1", "4", "2", "2026-11-28T10:00:00Z", `["a.b=1"]`, "NULL", "NULL", "NULL", "NULL", "0.5", "2", `["ok","low"]`},
		{"beta-s2", "beta", "2", "3", "1", "2026-11-28T11:00:00Z", `["a.b=1"]`, "NULL", "NULL", "NULL", "NULL", "0.5", "2", `["ok","low"]`},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("runs (-got +want):\n%s", diff)
	}
	// Parameters of either shape are reachable with one expression.
	_, got = rows(t, db, `SELECT run_id, coalesce(sweep_params->>'$.cameras', sweep_params->>'$[0].value') FROM runs
		WHERE sweep_id IS NOT NULL ORDER BY run_id`)
	if diff := cmp.Diff(got, [][]string{{"p0-r0", "0.5"}, {"p1-r0", "0.9"}}); diff != "" {
		t.Errorf("params (-got +want):\n%s", diff)
	}
}

func TestDailyAndAgentsViews(t *testing.T) {
	db := open(t, fixture(t))
	// Columns of one scenario are NULL in the other's rows (union by name),
	// and the twin's daily.parquet is not read.
	_, got := rows(t, db, `SELECT run_id, count(*), sum(agents), max(day), count(tier_untrustworthy), count(tier_D)
		FROM daily GROUP BY run_id ORDER BY run_id`)
	want := [][]string{{"alpha-s1", "6", "12", "2", "6", "0"}, {"beta-s2", "2", "6", "1", "0", "2"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("daily (-got +want):\n%s", diff)
	}
	// dir, unlike run_id, tells a sweep's runs from another sweep's.
	_, got = rows(t, db, `SELECT count(*) FROM daily d JOIN runs r USING (dir) WHERE r.run_id = d.run_id AND r.dir LIKE '%/alpha-s1'`)
	if got[0][0] != "6" {
		t.Errorf("daily x runs on dir: %v", got)
	}
	_, got = rows(t, db, `SELECT run_id, tier, count(*) FROM agents GROUP BY ALL ORDER BY ALL`)
	if diff := cmp.Diff(got, [][]string{{"beta-s2", "A", "1"}, {"beta-s2", "D", "2"}}); diff != "" {
		t.Errorf("agents (-got +want):\n%s", diff)
	}
}

func TestAuditView(t *testing.T) {
	db := open(t, fixture(t))
	names, got := rows(t, db, `SELECT run_id, scenario, reference_group, mean_score, gini, lowest_tier, lowest_tier_share,
		ever_sanctioned, detained, children_blocked, association_share, max_disparity_ratio, max_disparity_group,
		max_disparity_metric, disparities_outside_band, cross_context_detriment, art5_verdict_i, headline,
		json->>'$.overall.ever_sanctioned.numerator' FROM audit`)
	want := [][]string{{"alpha-s1", "alpha", "g1", "71.5", "0.125", "low", "0.25", "0.5", "0", "3", "0.2", "3", "group=g2",
		"tier_low", "3", "1", "likely prohibited", `["first finding","second finding"]`, "2"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("audit %v (-got +want):\n%s", names, diff)
	}
}

func TestJoinAcrossRuns(t *testing.T) {
	db := open(t, fixture(t))
	// The share of group g2 in the lowest tier by day, alpha against the
	// audited runs' reference group, joined through runs and audit.
	_, got := rows(t, db, `
		SELECT d.day, r.scenario, d.tier_untrustworthy / d.agents AS share, a.reference_group
		FROM daily d JOIN runs r USING (run_id) LEFT JOIN audit a ON a.dir = r.dir
		WHERE d."group" = 'g2' ORDER BY d.day`)
	want := [][]string{{"0", "alpha", "0", "g1"}, {"1", "alpha", "0.5", "g1"}, {"2", "alpha", "0", "g1"}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("join (-got +want):\n%s", diff)
	}
	_, got = rows(t, db, `SELECT a.day, a.score_mean - b.score_mean FROM daily a JOIN daily b USING (day, "group")
		WHERE a.run_id = 'alpha-s1' AND b.run_id = 'beta-s2' ORDER BY a.day`)
	if diff := cmp.Diff(got, [][]string{{"0", "-520"}, {"1", "-510"}}); diff != "" {
		t.Errorf("self-join (-got +want):\n%s", diff)
	}
}

func TestSweepViews(t *testing.T) {
	db := open(t, fixture(t))
	_, got := rows(t, db, `SELECT point, cameras, untrustworthy_share FROM sweep_daily ORDER BY point`)
	if diff := cmp.Diff(got, [][]string{{"0", "0.5", "0.25"}, {"1", "0.9", "0.5"}}); diff != "" {
		t.Errorf("sweep_daily (-got +want):\n%s", diff)
	}
	_, got = rows(t, db, `SELECT s.point, s.max_disparity_ratio, r.run_id FROM sweep_audit s
		JOIN runs r ON r.sweep_id = s.sweep AND r.sweep_point = s.point ORDER BY 1`)
	if diff := cmp.Diff(got, [][]string{{"0", "2", "p0-r0"}, {"1", "4", "p1-r0"}}); diff != "" {
		t.Errorf("sweep_audit (-got +want):\n%s", diff)
	}
	_, got = rows(t, db, `SELECT sweep_id, json->>'$.name' FROM sweeps`)
	if diff := cmp.Diff(got, [][]string{{"sw", "sw"}}); diff != "" {
		t.Errorf("sweeps (-got +want):\n%s", diff)
	}
}

func TestEmptyStore(t *testing.T) {
	db := open(t, t.TempDir())
	for _, v := range []string{"runs", "daily", "agents", "audit"} {
		if _, got := rows(t, db, "SELECT * FROM "+v); len(got) != 0 {
			t.Errorf("%s: %d rows in an empty store", v, len(got))
		}
	}
	// Queries written for a full store still bind.
	rows(t, db, `SELECT r.run_id, d.day, d."group", d.agents, a.lowest_tier_share FROM runs r
		JOIN daily d USING (dir) LEFT JOIN audit a USING (dir)`)
	vs, err := db.Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, v := range vs {
		notes[v.Name] = v.Note
	}
	if !strings.Contains(notes["audit"], "no audit.json") || !strings.Contains(notes["sweep_daily"], "omitted") {
		t.Errorf("schema notes: %v", notes)
	}
	var qe *QueryError
	err = db.Query(context.Background(), "SELECT * FROM sweep_daily", func([]Column) error { return nil }, func([]any) error { return nil })
	if !errors.As(err, &qe) {
		t.Errorf("sweep_daily without sweeps: want a QueryError, got %v", err)
	}
}

func TestNotFound(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Open(context.Background(), missing, Options{})
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), missing) {
		t.Errorf("want a NotFoundError naming %s, got %v", missing, err)
	}
}

func TestFormats(t *testing.T) {
	db := open(t, fixture(t))
	q := `SELECT run_id, seed, total_s / 3 AS third, sets, sweep_params, created, NULL AS nothing, 'a,"b"' AS quote
		FROM runs WHERE run_id IN ('alpha-s1', 'p0-r0') ORDER BY run_id`
	want := map[string]string{
		"table": `run_id    seed     third  sets       sweep_params     created               nothing  quote
--------  ----  --------  ---------  ---------------  --------------------  -------  -----
alpha-s1     1  0.166667  ["a.b=1"]  NULL             2026-11-28T10:00:00Z     NULL  a,"b"
p0-r0       11  0.166667  ["a.b=1"]  {"cameras":0.5}  2026-11-28T09:00:00Z     NULL  a,"b"
(2 rows)
`,
		"csv": `run_id,seed,third,sets,sweep_params,created,nothing,quote
alpha-s1,1,0.16666666666666666,"[""a.b=1""]",,2026-11-28T10:00:00Z,,"a,""b"""
p0-r0,11,0.16666666666666666,"[""a.b=1""]","{""cameras"":0.5}",2026-11-28T09:00:00Z,,"a,""b"""
`,
		"json": `[
  {"run_id": "alpha-s1", "seed": 1, "third": 0.16666666666666666, "sets": ["a.b=1"], "sweep_params": null, "created": "2026-11-28T10:00:00Z", "nothing": null, "quote": "a,\"b\""},
  {"run_id": "p0-r0", "seed": 11, "third": 0.16666666666666666, "sets": ["a.b=1"], "sweep_params": {"cameras":0.5}, "created": "2026-11-28T09:00:00Z", "nothing": null, "quote": "a,\"b\""}
]
`,
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		w, err := NewWriter(f, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Query(context.Background(), q, w.Header, w.Row); err != nil {
			t.Fatal(err)
		}
		if n, err := w.Close(); err != nil || n != 2 {
			t.Fatalf("%s: close: %d rows, %v", f, n, err)
		}
		if diff := cmp.Diff(buf.String(), want[f]); diff != "" {
			t.Errorf("%s (-got +want):\n%s", f, diff)
		}
		if f == "json" {
			var v []map[string]any
			if err := json.Unmarshal(buf.Bytes(), &v); err != nil || len(v) != 2 {
				t.Errorf("json output does not parse as an array of 2 objects: %v", err)
			}
		}
	}
	// Write is the same writer over the same query, in one call.
	for _, f := range Formats {
		var buf bytes.Buffer
		if n, err := db.Write(context.Background(), &buf, q, f); err != nil || n != 2 || buf.String() != want[f] {
			t.Errorf("Write %s: %d rows, %v:\n%s", f, n, err, buf.String())
		}
	}
	var qe *QueryError
	if _, err := db.Write(context.Background(), io.Discard, "SELECT nosuch FROM runs", "csv"); !errors.As(err, &qe) {
		t.Errorf("Write of a bad query: %v, want a QueryError", err)
	}
	if _, err := db.Write(context.Background(), io.Discard, q, "xml"); err == nil {
		t.Error("Write in an unknown format succeeded")
	}
	// An empty result is still a valid JSON array.
	var buf bytes.Buffer
	w, _ := NewWriter("json", &buf)
	if err := db.Query(context.Background(), "SELECT 1 AS x WHERE false", w.Header, w.Row); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if buf.String() != "[]\n" {
		t.Errorf("empty json: %q", buf.String())
	}
}

func TestTableFloat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{0, "0"}, {1, "1"}, {0.0075, "0.0075"}, {82.97433999999888, "82.9743"}, {1234567.8, "1234568"},
		{0.000012345, "1.2345e-05"}, {-3.5, "-3.5"}, {2e20, "2e+20"}} {
		if got := tableFloat(c.in); got != c.want {
			t.Errorf("tableFloat(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestViewsAreDefinedWhenNamed(t *testing.T) {
	db := open(t, fixture(t))
	if _, got := rows(t, db, "SELECT count(*) FROM runs JOIN audit USING (dir)"); got[0][0] != "1" {
		t.Errorf("runs x audit: %v", got)
	}
	if want := map[string]bool{"runs": true, "audit": true}; !cmp.Equal(db.defined, want) {
		t.Errorf("views defined by a query over runs and audit: %v, want %v", db.defined, want)
	}
	// Catalog queries see every view.
	if _, got := rows(t, db, "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND view_name IN ('runs', 'daily', 'audit', 'agents', 'ledger', 'sweeps', 'sweep_daily', 'sweep_audit')"); got[0][0] != "8" {
		t.Errorf("views after a catalog query: %v", got)
	}
}

func TestQueryCancel(t *testing.T) {
	db := open(t, fixture(t))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := db.Query(ctx, "SELECT count(*) FROM range(1000000000000) a", func([]Column) error { return nil }, func([]any) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v", d)
	}
	// The database is usable afterwards.
	if _, got := rows(t, db, "SELECT count(*) FROM runs"); got[0][0] != "4" {
		t.Errorf("after cancel: %v", got)
	}
}
