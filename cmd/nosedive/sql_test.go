package main

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// sqlStore makes a store with two small xinjiang-pilot runs (seeds 1 and
// 2) and audits the first; it returns the store and the two run ids.
func sqlStore(t *testing.T) (root string, ids [2]string) {
	t.Helper()
	root = filepath.Join(t.TempDir(), "runs")
	for i, seed := range []string{"1", "2"} {
		code, _, stderr := cli(t, "run", "xinjiang-pilot", "--agents", "2000", "--days", "20", "--seed", seed, "--out", root, "--quiet")
		if code != 0 {
			t.Fatalf("run: exit %d\n%s", code, stderr)
		}
		entries, _ := filepath.Glob(filepath.Join(root, "xinjiang-pilot-s"+seed+"-*"))
		if len(entries) != 1 {
			t.Fatalf("want one run of seed %s, got %v", seed, entries)
		}
		ids[i] = filepath.Base(entries[0])
	}
	if code, _, stderr := cli(t, "audit", filepath.Join(root, ids[0])); code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, stderr)
	}
	return root, ids
}

func csvRows(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, s)
	}
	return recs
}

func TestSQLOverRuns(t *testing.T) {
	root, ids := sqlStore(t)
	sql := func(args ...string) (int, string, string) {
		return cli(t, append([]string{"sql", "--store", root}, args...)...)
	}

	code, out, stderr := sql("SELECT run_id, scenario, seed, agents, days FROM runs ORDER BY seed", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := "run_id,scenario,seed,agents,days\n" + ids[0] + ",xinjiang-pilot,1,2000,20\n" + ids[1] + ",xinjiang-pilot,2,2000,20\n"
	if out != want {
		t.Errorf("runs:\n%s\nwant:\n%s", out, want)
	}

	// daily agrees with the Parquet file it reads.
	tab, err := store.ReadTable(filepath.Join(root, ids[0], store.DailyFile), "tier_untrustworthy")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, v := range tab.Cols["tier_untrustworthy"].Int {
		sum += v
	}
	_, out, _ = sql("SELECT count(*), sum(tier_untrustworthy) FROM daily WHERE run_id = '"+ids[0]+"'", "--format", "csv")
	if got := csvRows(t, out)[1]; got[0] != strconv.Itoa(tab.Rows) || got[1] != strconv.FormatInt(sum, 10) {
		t.Errorf("daily of %s: %v, the file has %d rows summing to %d", ids[0], got, tab.Rows, sum)
	}

	// A join across runs: both runs' untrustworthy share by group and day.
	code, out, stderr = sql(`
		SELECT a.day, a."group",
		       a.tier_untrustworthy / a.agents AS seed1, b.tier_untrustworthy / b.agents AS seed2
		FROM daily a JOIN daily b USING (day, region, "group")
		JOIN runs ra ON ra.run_id = a.run_id JOIN runs rb ON rb.run_id = b.run_id
		WHERE ra.seed = 1 AND rb.seed = 2 AND a.region = 'south'
		ORDER BY a.day, a."group"`, "--format", "csv")
	if code != 0 {
		t.Fatalf("join: exit %d\n%s", code, stderr)
	}
	recs := csvRows(t, out)
	if len(recs) != 1+21*3 {
		t.Fatalf("join: %d rows, want 63 (21 days x 3 groups)\n%s", len(recs)-1, out)
	}
	last := recs[len(recs)-2] // day 20, other: groups sort han, other, uyghur
	if last[0] != "20" || last[1] != "other" {
		t.Errorf("join ordering: %v", last)
	}

	// runs joined with audit: only the audited run has figures.
	code, out, stderr = sql(`SELECT r.seed, a.lowest_tier, a.lowest_tier_share > 0 AS some, a.max_disparity_ratio >= 1 AS ratio
		FROM runs r LEFT JOIN audit a USING (dir) ORDER BY r.seed`, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(got) != 2 || got[0]["lowest_tier"] != "untrustworthy" || got[0]["some"] != true || got[0]["ratio"] != true ||
		got[1]["lowest_tier"] != nil {
		t.Errorf("runs x audit: %v", got)
	}

	// The table lines up and ends with a row count.
	_, out, _ = sql("SELECT seed, run_id FROM runs ORDER BY seed")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "seed  run_id") || lines[4] != "(2 rows)" ||
		lines[2] != "   1  "+ids[0] {
		t.Errorf("table:\n%s", out)
	}

	code, out, _ = sql("--schema")
	if code != 0 || !strings.Contains(out, "store "+root+": 2 runs, 0 sweeps") ||
		!strings.Contains(out, "lowest_tier_share") || !strings.Contains(out, "sweep_daily") {
		t.Errorf("--schema: exit %d\n%s", code, out)
	}
}

func TestSQLBadInput(t *testing.T) {
	root, _ := sqlStore(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sql", "--store", root, "SELEC run_id FROM runs"}, "Parser Error"},
		{[]string{"sql", "--store", root, "SELECT nope FROM runs"}, "Binder Error"},
		{[]string{"sql", "--store", root, "SELECT * FROM sweep_daily"}, "sweep_daily does not exist"},
		{[]string{"sql", "--store", root, "COPY runs TO 'x.csv'"}, "read-only"},
		{[]string{"sql", "--store", root, "SELECT 1", "--format", "xml"}, `unknown format "xml"`},
		{[]string{"sql", "--store", root}, "takes 1 argument"},
		{[]string{"sql", "--store", filepath.Join(root, "missing"), "SELECT 1"}, filepath.Join(root, "missing") + ": no such directory"},
		{[]string{"runs", "--store", filepath.Join(root, "missing")}, filepath.Join(root, "missing") + ": no such directory"},
	} {
		code, _, stderr := cli(t, c.args...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", c.args, code, c.want, stderr)
		}
	}
}

func TestSQLEmptyStore(t *testing.T) {
	root := t.TempDir()
	code, out, stderr := cli(t, "sql", "--store", root, "SELECT run_id, scenario FROM runs", "--format", "json")
	if code != 0 || out != "[]\n" || !strings.Contains(stderr, "holds no run directory yet") {
		t.Errorf("sql on an empty store: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = cli(t, "sql", "--store", root, "--schema")
	if code != 0 || !strings.Contains(out, "empty: no audit.json") || !strings.Contains(out, "omitted: no sweep directory") {
		t.Errorf("--schema on an empty store: exit %d\n%s", code, out)
	}
	code, out, stderr = cli(t, "runs", "--store", root)
	if code != 0 || out != "" || !strings.Contains(stderr, "no runs under "+root) {
		t.Errorf("runs on an empty store: exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestRunsList(t *testing.T) {
	root, ids := sqlStore(t)
	// Make the audited run (seed 1) the older one by a day.
	mpath := filepath.Join(root, ids[0], store.ManifestFile)
	b, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["created"] = "2020-01-01T00:00:00Z"
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mpath, b, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := cli(t, "runs", "--store", root)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "run ") || !strings.HasPrefix(lines[2], ids[1]) ||
		!strings.HasPrefix(lines[3], ids[0]) || !strings.Contains(lines[3], "2020-01-01 00:00") ||
		!strings.Contains(lines[3], "untrustworthy") || strings.Contains(lines[2], "untrustworthy") {
		t.Errorf("runs:\n%s", out)
	}

	// A run of a sweep is listed by its path under the store.
	sweep := filepath.Join(root, "sw")
	m["created"] = "2019-01-01T00:00:00Z"
	m["sweep"] = map[string]any{"id": "sw", "point": 3, "replicate": 1, "params": map[string]any{"a.b": 1}}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sweep, "runs", "p0003-r01"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sweep, "runs", "p0003-r01", store.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sweep, "sweep.json"), []byte(`{"name": "sw"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, "runs", "--store", root)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 6 || !strings.HasSuffix(lines[0], "sweep") || !strings.HasPrefix(lines[4], "sw/runs/p0003-r01 ") ||
		!strings.HasSuffix(lines[4], "sw p3 r1") || strings.HasSuffix(lines[2], "NULL") {
		t.Errorf("runs with a sweep: exit %d\n%s%s", code, out, stderr)
	}

	code, out, _ = cli(t, "runs", "--store", root, "--json")
	var got []struct {
		RunID   string   `json:"run_id"`
		Seed    int      `json:"seed"`
		Audited bool     `json:"audited"`
		Share   *float64 `json:"lowest_tier_share"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if len(got) != 3 || got[0].RunID != ids[1] || got[0].Audited || got[0].Share != nil ||
		got[1].RunID != ids[0] || !got[1].Audited || got[1].Share == nil || got[2].RunID != "p0003-r01" {
		t.Errorf("--json: %+v", got)
	}
}

// fileHashes maps every file under root to the SHA-256 of its content.
func fileHashes(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[p] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSQLReadOnly is the attack that overwrote a committed run's table
// (issue 15) and its relatives, end to end: each exits 2 saying why, and
// every file in the store keeps its bytes.
func TestSQLReadOnly(t *testing.T) {
	root, ids := sqlStore(t)
	before := fileHashes(t, root)
	daily := filepath.ToSlash(filepath.Join(root, ids[0], store.DailyFile))
	for _, q := range []string{
		"EXPLAIN ANALYZE COPY (SELECT * FROM daily WHERE false) TO '" + daily + "' (FORMAT parquet, USE_TMP_FILE false)",
		"COPY (SELECT 1) TO '" + daily + "' (FORMAT parquet, USE_TMP_FILE false)",
		"SELECT * FROM enable_profiling(format := 'json', save_location := '" + filepath.ToSlash(filepath.Join(root, ids[0], "audit.json")) + "')",
		"ATTACH '" + filepath.ToSlash(filepath.Join(root, "x.db")) + "'",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SET enable_external_access = true",
		"SELECT 1; SELECT 2",
	} {
		code, _, stderr := cli(t, "sql", "--store", root, q)
		if code != exitBadInput || !(strings.Contains(stderr, "read-only") || strings.Contains(stderr, "one statement")) {
			t.Errorf("%s: exit %d, want 2 and a reason\n%s", q, code, stderr)
		}
	}
	if diff := cmp.Diff(fileHashes(t, root), before); diff != "" {
		t.Errorf("the store changed (-after +before):\n%s", diff)
	}
}

// TestSQLDamagedStore: one damaged file per run leaves that file out,
// with one warning naming it, and runs and sql answer for the rest.
func TestSQLDamagedStore(t *testing.T) {
	root, ids := sqlStore(t)
	agents := filepath.Join(root, ids[0], store.AgentsFile)
	b, err := os.ReadFile(agents)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(agents, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli(t, "sql", "--store", root, "SELECT run_id, count(*) FROM agents GROUP BY ALL", "--format", "csv")
	if code != 0 || out != "run_id,count_star()\n"+ids[1]+",2000\n" {
		t.Errorf("agents with one damaged file: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Count(stderr, "warning") != 1 || !strings.Contains(stderr, agents) || !strings.Contains(stderr, "left out of the agents view") {
		t.Errorf("want one warning naming %s, got:\n%s", agents, stderr)
	}
	// A damaged audit.json: runs lists the run as not audited.
	audit := filepath.Join(root, ids[0], "audit.json")
	if err := os.WriteFile(audit, []byte{0xff, 0xfe, 0x00, '{'}, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, "runs", "--store", root, "--json")
	var listed []struct {
		RunID   string `json:"run_id"`
		Audited bool   `json:"audited"`
	}
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 2 || listed[0].Audited || listed[1].Audited ||
		!strings.Contains(stderr, audit) || !strings.Contains(stderr, "left out of the audit view") {
		t.Errorf("runs with a damaged audit.json: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	// run.json unreadable: the run is skipped by runs and sql alike.
	if err := os.WriteFile(filepath.Join(root, ids[1], store.ManifestFile), []byte(`{"id": `), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = cli(t, "runs", "--store", root)
	if code != 0 || !strings.Contains(out, ids[0]) || strings.Contains(out, ids[1]) ||
		!strings.Contains(stderr, filepath.Join(root, ids[1], store.ManifestFile)) || !strings.Contains(stderr, "skipped") {
		t.Errorf("runs with a damaged run.json: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = cli(t, "sql", "--store", root, "SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(DISTINCT run_id) FROM daily) AS daily", "--format", "csv")
	if code != 0 || out != "runs,daily\n1,1\n" || strings.Count(stderr, "warning") != 2 {
		t.Errorf("sql with a damaged run.json: exit %d\n%s\n%s", code, out, stderr)
	}
}
