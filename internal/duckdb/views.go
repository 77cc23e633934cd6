package duckdb

import (
	"fmt"
	"path/filepath"
	"strings"
)

// A view is one SQL view over the store. Views read the files when a
// query uses them, so a query pays only for the views it names (binding
// a view reads the Parquet footers of its files).
type view struct {
	name string
	doc  string
	sql  string // SELECT ... ; empty when the view is omitted
	note string // why the view is empty or omitted, if it is
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlList is a DuckDB list literal of file paths. Paths are passed in
// slash form, which DuckDB accepts on every platform.
func sqlList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = sqlString(filepath.ToSlash(p))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// runIDOf is the SQL expression deriving a run id from a file's path: the
// name of the directory that holds it.
const runIDOf = "parse_filename(parse_dirpath(filename))"

// runsColumns is the runs view over run.json (docs/store-format.md and
// the sweep contract in docs/sql.md). It reads every manifest as text and
// extracts fields by JSON path, so manifests of any shape (a sweep block
// or not, params as an object or a list) give the same columns.
const runsColumns = `
	` + runIDOf + ` AS run_id,
	parse_dirpath(filename) AS dir,
	j->>'$.scenario.name' AS scenario,
	j->>'$.scenario.file' AS scenario_file,
	j->>'$.scenario.sha256' AS scenario_sha256,
	CAST(j->'$.scenario.sets' AS VARCHAR[]) AS sets,
	CAST(j->>'$.seed' AS UBIGINT) AS seed,
	CAST(j->>'$.agents' AS BIGINT) AS agents,
	CAST(j->>'$.days' AS INTEGER) AS days,
	j->>'$.ledger' AS ledger,
	j->>'$.version' AS version,
	TRY_CAST(j->>'$.created' AS TIMESTAMPTZ) AS created,
	CAST(j->>'$.timings.total_s' AS DOUBLE) AS total_s,
	CAST(j->>'$.host.workers' AS INTEGER) AS workers,
	CAST(j->'$.names.regions' AS VARCHAR[]) AS regions,
	CAST(j->'$.names.groups' AS VARCHAR[]) AS groups,
	CAST(j->'$.names.tiers' AS VARCHAR[]) AS tiers,
	CAST(j->'$.names.sanctions' AS VARCHAR[]) AS sanctions,
	CAST(j->'$.files' AS VARCHAR[]) AS files,
	j->>'$.sweep.id' AS sweep_id,
	CAST(j->>'$.sweep.point' AS INTEGER) AS sweep_point,
	CAST(j->>'$.sweep.replicate' AS INTEGER) AS sweep_replicate,
	j->'$.sweep.params' AS sweep_params,
	j AS manifest`

// auditColumns flattens audit.json's headline figures (docs/metrics.md).
// Rates are the value of the figure; audit.json also has numerators and
// denominators, reachable through the json column.
const auditColumns = `
	` + runIDOf + ` AS run_id,
	parse_dirpath(filename) AS dir,
	j->>'$.scenario' AS scenario,
	CAST(j->>'$.seed' AS UBIGINT) AS seed,
	CAST(j->>'$.agents' AS BIGINT) AS agents,
	CAST(j->>'$.days' AS INTEGER) AS days,
	j->>'$.reference_group' AS reference_group,
	CAST(j->>'$.overall.mean_score' AS DOUBLE) AS mean_score,
	CAST(j->>'$.overall.gini' AS DOUBLE) AS gini,
	j->>'$.overall.tiers[#-1].name' AS lowest_tier,
	CAST(j->>'$.overall.tiers[#-1].value' AS DOUBLE) AS lowest_tier_share,
	CAST(j->>'$.overall.ever_sanctioned.value' AS DOUBLE) AS ever_sanctioned,
	CAST(j->>'$.overall.detained.value' AS DOUBLE) AS detained,
	CAST(j->>'$.overall.false_sanction_rate.value' AS DOUBLE) AS false_sanction_rate,
	CAST(j->>'$.overall.false_discovery_rate.value' AS DOUBLE) AS false_discovery_rate,
	CAST(j->>'$.overall.missed_violator_rate.value' AS DOUBLE) AS missed_violator_rate,
	CAST(j->>'$.overall.sanctioned_law_abiding.value' AS DOUBLE) AS sanctioned_law_abiding,
	CAST(j->>'$.overall.children_blocked' AS BIGINT) AS children_blocked,
	CAST(j->>'$.overall.loss.association_share' AS DOUBLE) AS association_share,
	d.worst.ratio AS max_disparity_ratio,
	d.worst.who AS max_disparity_group,
	d.worst.metric AS max_disparity_metric,
	d.outside AS disparities_outside_band,
	CAST(j->>'$.eu_ai_act_art5.cross_context_detriment_rate.value' AS DOUBLE) AS cross_context_detriment,
	CAST(j->>'$.eu_ai_act_art5.proportionality.share_above_threshold.value' AS DOUBLE) AS disproportionate_share,
	j->>'$.eu_ai_act_art5.verdict_i' AS art5_verdict_i,
	j->>'$.eu_ai_act_art5.verdict_ii' AS art5_verdict_ii,
	CAST(j->'$.headline' AS VARCHAR[]) AS headline,
	j AS json`

// disparities lists, per audit.json, every group's disparity against the
// reference, as "how many times worse off" (the ratio, inverted for
// metrics where higher is better), and picks the largest finite one.
const disparities = `
	SELECT filename,
		max_by({'ratio': x.worse, 'who': x.who, 'metric': x.metric}, x.worse) AS worst,
		count(*) FILTER (WHERE x.outside) AS outside
	FROM (
		SELECT filename, unnest([
			{'worse': CASE WHEN e.higher_is_worse THEN e.ratio ELSE 1 / e.ratio END,
			 'who': g.attribute || '=' || g.value, 'metric': e.metric,
			 'outside': e.outside_four_fifths}
			FOR e IN coalesce(g.disparities, [])]) AS x
		FROM (
			SELECT filename, unnest(CAST(json_transform(j->'$.groups',
				'[{"attribute":"VARCHAR","value":"VARCHAR","disparities":[{"metric":"VARCHAR","ratio":"DOUBLE","higher_is_worse":"BOOLEAN","outside_four_fifths":"BOOLEAN"}]}]')
				AS STRUCT(attribute VARCHAR, value VARCHAR, disparities STRUCT(metric VARCHAR, ratio DOUBLE, higher_is_worse BOOLEAN, outside_four_fifths BOOLEAN)[])[])) AS g
			FROM docs
		)
	)
	GROUP BY filename`

// emptyRuns and the other empty* selects give a view its core columns
// when there is no file to read, so queries written for a full store
// still bind on an empty one.
const (
	emptyDaily  = `SELECT NULL::VARCHAR AS run_id, NULL::INTEGER AS day, NULL::VARCHAR AS region, NULL::VARCHAR AS "group", NULL::BIGINT AS agents, NULL::DOUBLE AS score_mean WHERE false`
	emptyAgents = `SELECT NULL::VARCHAR AS run_id, NULL::INTEGER AS id, NULL::VARCHAR AS region, NULL::VARCHAR AS "group", NULL::DOUBLE AS score, NULL::VARCHAR AS tier WHERE false`
)

// textDocs reads JSON files as (filename, j) rows.
func textDocs(paths []string) string {
	return "SELECT filename, TRY_CAST(content AS JSON) AS j FROM read_text(" + sqlList(paths) + ")"
}

// emptyDocs is textDocs of no file.
const emptyDocs = "SELECT NULL::VARCHAR AS filename, NULL::JSON AS j WHERE false"

// parquetRows reads Parquet files with a run_id column first.
func parquetRows(paths []string) string {
	return "SELECT " + runIDOf + " AS run_id, * EXCLUDE (filename) FROM read_parquet(" + sqlList(paths) +
		", filename = true, union_by_name = true)"
}

// views builds the view definitions for a catalog.
func views(c *Catalog) []view {
	var manifests, daily, agents, audits, sweepDaily, sweepAudit, sweepDocs []string
	for _, r := range c.Runs {
		manifests = append(manifests, filepath.Join(r.Dir, manifestFile))
		if r.Daily {
			daily = append(daily, filepath.Join(r.Dir, dailyFile))
		}
		if r.Agents {
			agents = append(agents, filepath.Join(r.Dir, agentsFile))
		}
		if r.Audit {
			audits = append(audits, filepath.Join(r.Dir, auditFile))
		}
	}
	for _, s := range c.Sweeps {
		sweepDocs = append(sweepDocs, filepath.Join(s.Dir, sweepFile))
		sweepDaily = append(sweepDaily, s.Daily...)
		sweepAudit = append(sweepAudit, s.Audit...)
	}
	docs := func(paths []string) string {
		if len(paths) == 0 {
			return emptyDocs
		}
		return textDocs(paths)
	}
	none := func(what string, n int) string {
		if n == 0 {
			return "empty: no " + what + " under the store"
		}
		return ""
	}

	vs := []view{
		{name: "runs", doc: "one row per run directory (run.json), sweep columns when the run belongs to a sweep",
			sql: "WITH docs AS (" + docs(manifests) + ") SELECT" + runsColumns + " FROM docs", note: none("run directories", len(manifests))},
		{name: "daily", doc: "every run's daily.parquet (day x region x group) with run_id",
			sql: emptyDaily, note: none("daily.parquet", len(daily))},
		{name: "agents", doc: "every run's agents.parquet (one row per synthetic person at the end) with run_id",
			sql: emptyAgents, note: none("agents.parquet", len(agents))},
		{name: "audit", doc: "one row per run with audit.json (run `nosedive audit RUN`): headline figures flattened, the whole file in json",
			sql: "WITH docs AS (" + docs(audits) + "), d AS (" + disparities + ") SELECT" + auditColumns +
				" FROM docs LEFT JOIN d USING (filename)", note: none("audit.json (run `nosedive audit RUN`)", len(audits))},
	}
	if len(daily) > 0 {
		vs[1].sql = parquetRows(daily)
	}
	if len(agents) > 0 {
		vs[2].sql = parquetRows(agents)
	}
	sweeps := view{name: "sweeps", doc: "one row per sweep directory (sweep.json): sweep_id, dir, json"}
	sd := view{name: "sweep_daily", doc: "the sweeps' tidy tables results/daily*.parquet (run x day x group, parameters as columns)"}
	sa := view{name: "sweep_audit", doc: "the sweeps' tidy tables results/audit*.parquet (one row per run)"}
	if len(sweepDocs) == 0 {
		for _, v := range []*view{&sweeps, &sd, &sa} {
			v.note = "omitted: no sweep directory (sweep.json) under the store"
		}
	} else {
		sweeps.sql = "SELECT " + runIDOf + " AS sweep_id, parse_dirpath(filename) AS dir, j AS json FROM (" + docs(sweepDocs) + ")"
		if len(sweepDaily) > 0 {
			sd.sql = "SELECT * FROM read_parquet(" + sqlList(sweepDaily) + ", union_by_name = true)"
		} else {
			sd.note = "omitted: no results/daily*.parquet in any sweep yet"
		}
		if len(sweepAudit) > 0 {
			sa.sql = "SELECT * FROM read_parquet(" + sqlList(sweepAudit) + ", union_by_name = true)"
		} else {
			sa.note = "omitted: no results/audit*.parquet in any sweep yet"
		}
	}
	return append(vs, sweeps, sd, sa)
}

// createView is the statement defining v.
func createView(v view) string {
	return fmt.Sprintf("CREATE VIEW %s AS %s", v.name, v.sql)
}
