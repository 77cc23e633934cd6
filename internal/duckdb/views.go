package duckdb

import (
	"fmt"
	"path/filepath"
	"strings"
)

// A view is one SQL view over the store. It reads the files when a query
// uses it; DB creates it only when a query names it (see Open).
type view struct {
	name string
	doc  string
	sql  string // SELECT ... ; empty when the view is omitted
	note string // why the view is empty or omitted, if it is
	// A view over files is made when it is defined, from those of files
	// that DB.screen passes: by over(files), or as empty when none pass
	// (no view if empty is "").
	files []string
	json  bool   // the files are JSON documents (checkJSON), else Parquet
	kind  string // the key of requiredColumns, or "" for no column check
	over  func(files []string) string
	empty string
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

// runsSelect is the runs view over run.json (docs/store-format.md and the
// sweep contract in docs/sql.md). Each manifest is parsed once, into the
// typed structure runsShape; fields a manifest lacks are NULL, so
// manifests of any shape (a sweep block or not, params as an object or a
// list, kept as JSON) give the same columns.
const runsSelect = `
SELECT ` + runIDOf + ` AS run_id,
	parse_dirpath(filename) AS dir,
	m.name AS name,
	m.scenario.name AS scenario,
	m.scenario.file AS scenario_file,
	m.scenario.sha256 AS scenario_sha256,
	coalesce(m.scenario.sets, []) AS sets,
	m.seed, m.agents, m.days, m.ledger, m.version,
	TRY_CAST(m.created AS TIMESTAMPTZ) AS created,
	m.timings.total_s AS total_s,
	m.host.workers AS workers,
	m.names.regions AS regions,
	m.names.groups AS groups,
	m.names.tiers AS tiers,
	m.names.sanctions AS sanctions,
	m.files AS files,
	m.sweep.id AS sweep_id,
	m.sweep.point AS sweep_point,
	m.sweep.replicate AS sweep_replicate,
	m.sweep.params AS sweep_params,
	j AS manifest
FROM (SELECT filename, j, json_transform(j, '` + runsShape + `') AS m FROM docs)`

const runsShape = `{"name": "VARCHAR", "scenario": {"name": "VARCHAR", "file": "VARCHAR", "sha256": "VARCHAR", "sets": ["VARCHAR"]},
	"seed": "UBIGINT", "agents": "BIGINT", "days": "INTEGER", "ledger": "VARCHAR", "version": "VARCHAR",
	"created": "VARCHAR", "timings": {"total_s": "DOUBLE"}, "host": {"workers": "INTEGER"},
	"names": {"regions": ["VARCHAR"], "groups": ["VARCHAR"], "tiers": ["VARCHAR"], "sanctions": ["VARCHAR"]},
	"files": ["VARCHAR"],
	"sweep": {"id": "VARCHAR", "point": "INTEGER", "replicate": "INTEGER", "params": "JSON"}}`

// auditSelect flattens audit.json's headline figures (docs/metrics.md).
// Rates are the value of the figure; audit.json also has numerators and
// denominators, reachable through the json column. Each file is parsed
// once into auditShape (extracting field by field parses a file per
// field: ten times slower at 300 audits).
//
// The largest disparity is over every group's disparities against the
// reference, as "how many times worse off": the ratio, inverted for
// metrics where higher is better. A ratio against a reference rate of 0
// is undefined (null in audit.json) and left out; such disparities still
// count in disparities_outside_band.
const auditSelect = `
SELECT ` + runIDOf + ` AS run_id,
	parse_dirpath(filename) AS dir,
	a.scenario, a.seed, a.agents, a.days, a.reference_group,
	a.overall.mean_score AS mean_score,
	a.overall.gini AS gini,
	a.overall.tiers[-1].name AS lowest_tier,
	a.overall.tiers[-1].value AS lowest_tier_share,
	a.overall.ever_sanctioned.value AS ever_sanctioned,
	a.overall.detained.value AS detained,
	a.overall.false_sanction_rate.value AS false_sanction_rate,
	a.overall.false_discovery_rate.value AS false_discovery_rate,
	a.overall.missed_violator_rate.value AS missed_violator_rate,
	a.overall.sanctioned_law_abiding.value AS sanctioned_law_abiding,
	a.overall.children_blocked AS children_blocked,
	a.overall.loss.association_share AS association_share,
	worst.worse AS max_disparity_ratio,
	worst.who AS max_disparity_group,
	worst.metric AS max_disparity_metric,
	len([x FOR x IN ds IF x.outside]) AS disparities_outside_band,
	a.eu_ai_act_art5.cross_context_detriment_rate.value AS cross_context_detriment,
	a.eu_ai_act_art5.proportionality.share_above_threshold.value AS disproportionate_share,
	a.eu_ai_act_art5.verdict_i AS art5_verdict_i,
	a.eu_ai_act_art5.verdict_ii AS art5_verdict_ii,
	a.headline AS headline,
	j AS json
FROM (
	SELECT *, list_sort([x FOR x IN ds IF x.worse IS NOT NULL], 'DESC')[1] AS worst
	FROM (
		SELECT *, flatten([[{
				'worse': CASE WHEN e.higher_is_worse THEN e.ratio WHEN e.ratio > 0 THEN 1 / e.ratio END,
				'who': g.attribute || '=' || g.value,
				'metric': e.metric,
				'outside': e.outside_four_fifths}
			FOR e IN coalesce(g.disparities, [])] FOR g IN coalesce(a.groups, [])]) AS ds
		FROM (SELECT filename, j, json_transform(j, '` + auditShape + `') AS a FROM docs)
	)
)`

const auditShape = `{"scenario": "VARCHAR", "seed": "UBIGINT", "agents": "BIGINT", "days": "INTEGER",
	"reference_group": "VARCHAR",
	"overall": {"mean_score": "DOUBLE", "gini": "DOUBLE", "tiers": [{"name": "VARCHAR", "value": "DOUBLE"}],
		"ever_sanctioned": {"value": "DOUBLE"}, "detained": {"value": "DOUBLE"},
		"false_sanction_rate": {"value": "DOUBLE"}, "false_discovery_rate": {"value": "DOUBLE"},
		"missed_violator_rate": {"value": "DOUBLE"}, "sanctioned_law_abiding": {"value": "DOUBLE"},
		"children_blocked": "BIGINT", "loss": {"association_share": "DOUBLE"}},
	"groups": [{"attribute": "VARCHAR", "value": "VARCHAR",
		"disparities": [{"metric": "VARCHAR", "ratio": "DOUBLE", "higher_is_worse": "BOOLEAN", "outside_four_fifths": "BOOLEAN"}]}],
	"eu_ai_act_art5": {"cross_context_detriment_rate": {"value": "DOUBLE"},
		"proportionality": {"share_above_threshold": {"value": "DOUBLE"}},
		"verdict_i": "VARCHAR", "verdict_ii": "VARCHAR"},
	"headline": ["VARCHAR"]}`

// emptyDaily and emptyAgents give a view its core columns
// when there is no file to read, so queries written for a full store
// still bind on an empty one.
const (
	emptyDaily  = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS day, NULL::VARCHAR AS region, NULL::VARCHAR AS "group", NULL::BIGINT AS agents, NULL::DOUBLE AS score_mean WHERE false`
	emptyAgents = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS agent, NULL::VARCHAR AS region, NULL::VARCHAR AS "group", NULL::DOUBLE AS score, NULL::VARCHAR AS tier WHERE false`
	emptyLedger = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS day, NULL::INTEGER AS agent, NULL::VARCHAR AS rule, NULL::DOUBLE AS delta WHERE false`
	emptyInst   = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS day, NULL::VARCHAR AS institution, NULL::VARCHAR AS category, NULL::DOUBLE AS threshold, NULL::DOUBLE AS boundary, NULL::BIGINT AS applicants, NULL::DOUBLE AS selection_rate WHERE false`
	emptyTrace  = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS day, NULL::INTEGER AS agent, NULL::VARCHAR AS tier, NULL::BOOLEAN AS detained, NULL::INTEGER AS partner WHERE false`
	emptyEvents = `SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS dir, NULL::INTEGER AS day, NULL::INTEGER AS agent, NULL::VARCHAR AS behaviour, NULL::BOOLEAN AS blocked, NULL::BOOLEAN AS detected WHERE false`
)

// textDocs reads JSON files as (filename, j) rows.
func textDocs(paths []string) string {
	return "SELECT filename, TRY_CAST(content AS JSON) AS j FROM read_text(" + sqlList(paths) + ")"
}

// emptyDocs is textDocs of no file.
const emptyDocs = "SELECT NULL::VARCHAR AS filename, NULL::JSON AS j WHERE false"

// tidyRows reads a sweep's tidy tables as they are.
func tidyRows(paths []string) string {
	return "SELECT * FROM read_parquet(" + sqlList(paths) + ", union_by_name = true)"
}

// parquetRows reads Parquet files with run_id and dir columns first. The
// run id is the directory name, which sweeps repeat (p0000-r00 in every
// sweep); dir, the path, is unique.
func parquetRows(paths []string) string {
	return "SELECT " + runIDOf + " AS run_id, parse_dirpath(filename) AS dir, * EXCLUDE (filename) FROM read_parquet(" + sqlList(paths) +
		", filename = true, union_by_name = true)"
}

// views builds the view definitions for a catalog.
func views(c *Catalog) []view {
	var manifests, daily, agents, ledger, insts, audits, sweepDaily, sweepAudit, sweepInsts, sweepDocs []string
	var traces, events []string
	for _, r := range c.Runs {
		manifests = append(manifests, filepath.Join(r.Dir, manifestFile))
		if r.Daily {
			daily = append(daily, filepath.Join(r.Dir, dailyFile))
		}
		if r.Agents {
			agents = append(agents, filepath.Join(r.Dir, agentsFile))
		}
		if r.Ledger {
			ledger = append(ledger, filepath.Join(r.Dir, ledgerFile))
		}
		if r.Institutions {
			insts = append(insts, filepath.Join(r.Dir, instFile))
		}
		if r.Audit {
			audits = append(audits, filepath.Join(r.Dir, auditFile))
		}
		if r.Trace {
			traces = append(traces, filepath.Join(r.Dir, traceFile))
		}
		if r.TraceEvents {
			events = append(events, filepath.Join(r.Dir, eventsFile))
		}
	}
	for _, s := range c.Sweeps {
		sweepDocs = append(sweepDocs, filepath.Join(s.Dir, sweepFile))
		sweepDaily = append(sweepDaily, s.Daily...)
		sweepAudit = append(sweepAudit, s.Audit...)
		sweepInsts = append(sweepInsts, s.Institutions...)
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
			sql: "WITH docs AS (" + docs(manifests) + ")" + runsSelect, note: none("run directories", len(manifests))},
		{name: "daily", doc: "every run's daily.parquet (day x region x group) with run_id and dir",
			files: daily, kind: "daily", over: parquetRows, empty: emptyDaily, note: none("daily.parquet", len(daily))},
		{name: "agents", doc: "every run's agents.parquet (one row per synthetic person at the end) with run_id and dir",
			files: agents, kind: "agents", over: parquetRows, empty: emptyAgents, note: none("agents.parquet", len(agents))},
		{name: "ledger", doc: "every run's ledger.parquet (one row per score change of the people `--ledger` selected) with run_id and dir",
			files: ledger, kind: "ledger", over: parquetRows, empty: emptyLedger, note: none("ledger.parquet (run with `--ledger`)", len(ledger))},
		{name: "institutions", doc: "every run's institutions.parquet (institution x category x decision day: threshold, rates, utility) with run_id and dir",
			files: insts, kind: "institutions", over: parquetRows, empty: emptyInst, note: none("institutions.parquet (a scenario with institutions)", len(insts))},
		{name: "trace", doc: "every run's trace.parquet (the ledger sample's state on day 0 and on each day it changed) with run_id and dir",
			files: traces, kind: "trace", over: parquetRows, empty: emptyTrace, note: none("trace.parquet (run with `--ledger`)", len(traces))},
		{name: "trace_events", doc: "every run's trace_events.parquet (one row per event the ledger sample attempted) with run_id and dir",
			files: events, kind: "trace_events", over: parquetRows, empty: emptyEvents, note: none("trace_events.parquet (run with `--ledger`)", len(events))},
		{name: "audit", doc: "one row per run with audit.json (run `nosedive audit RUN`): headline figures flattened, the whole file in json",
			files: audits, json: true, over: func(files []string) string { return "WITH docs AS (" + docs(files) + ")" + auditSelect },
			empty: "WITH docs AS (" + emptyDocs + ")" + auditSelect, note: none("audit.json (run `nosedive audit RUN`)", len(audits))},
	}
	sweeps := view{name: "sweeps", doc: "one row per sweep directory (sweep.json): sweep_id, dir, json"}
	sd := view{name: "sweep_daily", doc: "the sweeps' tidy tables results/daily*.parquet (run x day x group, parameters as columns)"}
	sa := view{name: "sweep_audit", doc: "the sweeps' tidy tables results/audit*.parquet (one row per run)"}
	si := view{name: "sweep_institutions", doc: "the sweeps' tidy tables results/institutions*.parquet (run x institution x category x decision day, parameters as columns)"}
	if len(sweepDocs) == 0 {
		for _, v := range []*view{&sweeps, &sd, &sa, &si} {
			v.note = "omitted: no sweep directory (sweep.json) under the store"
		}
	} else {
		sweeps.sql = "SELECT " + runIDOf + " AS sweep_id, parse_dirpath(filename) AS dir, j AS json FROM (" + docs(sweepDocs) + ")"
		if len(sweepDaily) > 0 {
			sd.files, sd.over = sweepDaily, tidyRows
		} else {
			sd.note = "omitted: no results/daily*.parquet in any sweep yet"
		}
		if len(sweepAudit) > 0 {
			sa.files, sa.over = sweepAudit, tidyRows
		} else {
			sa.note = "omitted: no results/audit*.parquet in any sweep yet"
		}
		if len(sweepInsts) > 0 {
			si.files, si.over = sweepInsts, tidyRows
		} else {
			si.note = "omitted: no results/institutions*.parquet in any sweep (none of a scenario with institutions)"
		}
	}
	return append(vs, sweeps, sd, sa, si)
}

// files lists every file the views may read: DuckDB is allowed to open
// these and nothing else in the store.
func (c *Catalog) files() []string {
	var out []string
	for _, v := range views(c) {
		out = append(out, v.files...)
	}
	for _, r := range c.Runs {
		out = append(out, filepath.Join(r.Dir, manifestFile))
	}
	for _, s := range c.Sweeps {
		out = append(out, filepath.Join(s.Dir, sweepFile))
	}
	return out
}

// createView is the statement defining v.
func createView(v view) string {
	return fmt.Sprintf("CREATE VIEW %s AS %s", v.name, v.sql)
}
