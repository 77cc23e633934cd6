package duckdb

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshot lists every file and directory under root with its mode and
// the SHA-256 of its content.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h := ""
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		m[p] = fmt.Sprint(info.Mode(), " ", h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBadSQL(t *testing.T) {
	db := open(t, fixture(t))
	for _, q := range []string{"SELEC 1", "SELECT nope FROM runs", "SELECT * FROM no_such_view", " ; "} {
		err := db.Query(context.Background(), q, func([]Column) error { return nil }, func([]any) error { return nil })
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%q: want a QueryError, got %v", q, err)
		}
	}
}

// readOnlyCases are the ways out of read-only we know of. In the
// statements DAILY and AUDIT are store files the views read, NEW a file
// that does not exist in a run directory, OUT a path outside the store,
// OUTSIDEFILE a readable file outside the store and ROOT the store.
var readOnlyCases = []struct{ name, q, want string }{
	// Writing files.
	{"copy to a store file", "COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "read-only"},
	{"copy to a new store file", "COPY (SELECT 1 AS x) TO 'NEW' (FORMAT parquet)", "read-only|Permission Error"},
	{"copy a view out", "COPY runs TO 'OUT.csv'", "read-only|Permission Error"},
	{"explain analyze copy", "EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "read-only"},
	{"explain analyse copy", "explain  analyse\n COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "read-only"},
	{"explain (analyze) copy", "EXPLAIN (ANALYZE) COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "read-only"},
	{"explain (analyze, format json) copy", "EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "read-only"},
	{"comment before explain analyze copy", "/* x */ -- y\nEXPLAIN ANALYZE COPY (SELECT 1 AS x) TO 'DAILY' (FORMAT parquet, USE_TMP_FILE false)", "EXPLAIN"},
	{"explain with a quote in the options", `EXPLAIN (FORMAT ') SELECT 1 AS "x') COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false) --"`, "EXPLAIN|not a valid FORMAT"},
	{"export database", "EXPORT DATABASE 'OUT'", "read-only|Permission Error"},
	{"profiling into a store file", "SELECT * FROM enable_profiling(format := 'json', save_location := 'AUDIT')", "enable_profiling() is not available"},
	{"profiling, qualified and quoted", `SELECT * FROM system.main."enable_profiling"(format := 'json', save_location := 'AUDIT')`, "enable_profiling() is not available"},
	{"profiling in a subquery", "SELECT (SELECT count(*) FROM enable_profiling(format := 'json', save_location := 'AUDIT')), 1", "enable_profiling() is not available"},
	{"profiling under explain analyze", "EXPLAIN ANALYZE SELECT * FROM enable_profiling(format := 'json', save_location := 'AUDIT')", "enable_profiling() is not available"},
	{"profiling under pivot", "PIVOT (SELECT * FROM enable_profiling/**/(format := 'json', save_location := 'AUDIT')) ON a USING count(*)", "enable_profiling() is not available"},
	{"call enable_profiling", "CALL enable_profiling(format := 'json', save_location := 'AUDIT')", "not available"},
	{"pragma profiling", "PRAGMA enable_profiling = 'json'", "read-only"},
	{"logging to files", "SELECT * FROM enable_logging(storage := 'file', storage_path := 'OUT')", "enable_logging() is not available"},
	{"write_log", "SELECT write_log('x')", "write_log() is not available"},
	{"nested statement through query()", "SELECT * FROM query('COPY (SELECT 1) TO ''OUT.csv''')", "query() is not available"},
	{"serialized statement", "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "json_execute_serialized_sql() is not available"},
	{"checkpoint", "SELECT * FROM checkpoint()", "checkpoint() is not available"},
	{"raw pointers", "SELECT * FROM arrow_scan(0, 0, 0)", "arrow_scan() is not available"},
	{"method-call syntax", "SELECT 'SELECT 1'.query()", "query() is not available"},
	{"explain in a subquery", "SELECT * FROM (EXPLAIN ANALYZE COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false))", "Parser Error"},
	{"explain analyze twice", "EXPLAIN ANALYZE EXPLAIN ANALYZE COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false)", "Parser Error"},
	{"describe copy", "DESCRIBE COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false)", "Parser Error"},
	{"copy in a CTE", "WITH x AS (COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false)) SELECT 1", "Parser Error"},
	{"unicode escaped name", `PIVOT (SELECT * FROM U&"\0065nable_profiling"()) ON a USING count(*)`, "U&"},
	// Other databases, extensions, secrets.
	{"attach a new file", "ATTACH 'OUT.db'", "read-only"},
	{"attach a store file", "ATTACH 'DAILY' AS d", "read-only"},
	{"attach memory", "ATTACH ':memory:' AS m", "read-only"},
	{"install", "INSTALL httpfs", "read-only"},
	{"load", "LOAD httpfs", "read-only"},
	{"load a file", "LOAD 'DAILY'", "read-only"},
	{"create secret", "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "read-only|Secret type 's3' does not exist"},
	{"create persistent secret", "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "read-only|Secret type 's3' does not exist"},
	{"read_duckdb", "SELECT * FROM read_duckdb('DAILY')", "read_duckdb() is not available"},
	// Settings.
	{"set", "SET threads = 1", "read-only"},
	{"set external access", "SET enable_external_access = true", "read-only"},
	{"reset", "RESET lock_configuration", "read-only"},
	{"set variable", "SET VARIABLE x = 1", "read-only"},
	{"pragma", "PRAGMA threads = 1", "read-only"},
	// The catalog.
	{"create table", "CREATE TABLE t AS SELECT 1", "read-only"},
	{"create macro", "CREATE MACRO m() AS 1", "read-only"},
	{"insert", "INSERT INTO runs VALUES (1)", "read-only|is not an table"},
	{"drop", "DROP VIEW runs", "read-only"},
	{"replace a view", "CREATE OR REPLACE VIEW daily AS SELECT 1", "read-only"},
	{"use", "USE memory", "read-only"},
	{"vacuum", "VACUUM", "read-only"},
	{"checkpoint statement", "CHECKPOINT", "read-only"},
	{"import database", "IMPORT DATABASE 'ROOT'", "read-only|Permission Error"},
	{"begin", "BEGIN TRANSACTION", "read-only"},
	// Several statements.
	{"two statements", "SELECT 1; COPY (SELECT 1) TO 'OUT.csv'", "one statement at a time"},
	{"two selects", "SELECT 1; SELECT 2", "one statement at a time"},
	{"select then explain", "SELECT 1; EXPLAIN ANALYZE COPY (SELECT 1) TO 'DAILY' (USE_TMP_FILE false)", "one statement at a time"},
	// Reading outside the store: DuckDB's own refusal.
	{"read_csv outside", "SELECT * FROM read_csv('OUTSIDEFILE')", "Permission Error"},
	{"read_text outside", "SELECT * FROM read_text('/etc/passwd')", "Permission Error"},
	{"read_blob outside", "SELECT * FROM read_blob('OUTSIDEFILE')", "Permission Error"},
	{"read_parquet outside", "SELECT * FROM read_parquet('OUT.parquet')", "Permission Error"},
	{"read_json outside", "SELECT * FROM read_json('OUTSIDEFILE')", "Permission Error"},
	{"replacement scan outside", "SELECT * FROM 'OUTSIDEFILE'", "Permission Error"},
	{"glob the store", "SELECT * FROM glob('ROOT/*')", "Permission Error"},
	{"glob outside", "SELECT * FROM glob('/etc/*')", "Permission Error"},
	{"sniff_csv outside", "SELECT * FROM sniff_csv('OUTSIDEFILE')", "Permission Error"},
	{"file URL outside", "SELECT * FROM read_text('file://OUTSIDEFILE')", "Permission Error|No files found"},
	{"pipe", "SELECT * FROM read_text('/dev/stdin')", "Permission Error"},
	{"home directory", "SELECT * FROM read_text('~/.bashrc')", "Permission Error"},
	{"extensions directory", "SELECT * FROM duckdb_extensions()", "Permission Error"},
	{"read through ..", "SELECT * FROM read_text('ROOT/alpha-s1/../../OUTBASE/secret.csv')", "Permission Error"},
}

// TestReadOnly tries every way out of read-only in readOnlyCases. Each
// must fail with a QueryError saying why, leave every store file byte for
// byte as it was and create nothing outside, and the database must stay
// usable.
func TestReadOnly(t *testing.T) {
	root := fixture(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.csv")
	if err := os.WriteFile(secret, []byte("user,password\nroot,hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	outsideBefore := snapshot(t, outside)
	slash := filepath.ToSlash
	r := strings.NewReplacer(
		"DAILY", slash(filepath.Join(root, "alpha-s1", "daily.parquet")),
		"AUDIT", slash(filepath.Join(root, "alpha-s1", "audit.json")),
		"NEW", slash(filepath.Join(root, "alpha-s1", "new.parquet")),
		"OUTBASE", filepath.Base(outside),
		"OUTSIDEFILE", slash(secret),
		"OUT", slash(filepath.Join(outside, "out")),
		"ROOT", slash(root))
	db := open(t, root)
	for _, c := range readOnlyCases {
		t.Run(c.name, func(t *testing.T) {
			q := r.Replace(c.q)
			err := db.Query(context.Background(), q, func([]Column) error { return nil }, func([]any) error { return nil })
			var qe *QueryError
			ok := errors.As(err, &qe)
			if ok {
				ok = false
				for _, w := range strings.Split(c.want, "|") {
					ok = ok || strings.Contains(err.Error(), w)
				}
			}
			if !ok {
				t.Errorf("%s\nwant a QueryError containing %q, got %v", q, c.want, err)
			}
			// Another query after it: profiling or logging turned on by
			// the first would write now.
			if _, got := rows(t, db, "SELECT count(*) FROM runs"); got[0][0] != "4" {
				t.Errorf("runs after the refused statement: %v", got)
			}
			if diff := cmp.Diff(snapshot(t, root), before); diff != "" {
				t.Fatalf("the store changed (-after +before):\n%s", diff)
			}
			if diff := cmp.Diff(snapshot(t, outside), outsideBefore); diff != "" {
				t.Fatalf("a file outside the store changed (-after +before):\n%s", diff)
			}
		})
	}
	// The store's own files can be read, and the forms of query the gate
	// lets through run.
	for _, q := range []string{
		"SELECT count(*) FROM read_parquet('DAILY')",
		"SELECT count(*) FROM read_text('AUDIT')",
		"SELECT count(*) FROM read_text('file://ROOT/alpha-s1/../beta-s2/run.json')",
		"EXPLAIN SELECT count(*) FROM daily",
		"EXPLAIN ANALYZE SELECT count(*) FROM daily",
		"explain (format json) SELECT 1",
		"DESCRIBE runs",
		"SHOW TABLES",
		"SUMMARIZE SELECT day FROM daily",
		`PIVOT (SELECT run_id, "group", agents FROM daily) ON "group" IN ('g1', 'g2') USING sum(agents)`,
		"FROM runs SELECT count(*)",
		"SELECT 'query(1)' AS not_a_call, 1 AS checkpoint",
		"SELECT count(*) FROM runs;",
	} {
		rows(t, db, r.Replace(q))
	}
	if diff := cmp.Diff(snapshot(t, root), before); diff != "" {
		t.Errorf("the store changed (-after +before):\n%s", diff)
	}
}
