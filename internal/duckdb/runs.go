package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// RunsFilter selects the runs `nosedive runs` lists; the zero value keeps
// every run.
type RunsFilter struct {
	Scenario string     // keep the runs of this scenario (its name); "" keeps all
	Since    *time.Time // keep the runs started at or after this time; nil keeps all
}

// IsZero reports whether the filter keeps every run.
func (f RunsFilter) IsZero() bool { return f.Scenario == "" && f.Since == nil }

// runsTable is the human listing: percentages and dates rounded.
const runsTable = `
SELECT CASE WHEN starts_with(r.dir, /*prefix*/) THEN substr(r.dir, length(/*prefix*/) + 1) ELSE r.dir END AS run,
	coalesce(r.name, '') AS name, r.scenario,
	array_to_string(r.sets, ' ') AS edits,
	r.seed, r.agents, r.days,
	strftime(r.created AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') AS created,
	coalesce(a.lowest_tier, '') AS lowest_tier,
	coalesce(printf('%.2f%%', 100 * a.lowest_tier_share), '') AS "share",
	coalesce(printf('%.2f', a.max_disparity_ratio), '') AS max_disparity,
	coalesce(a.max_disparity_group || ' ' || a.max_disparity_metric, '') AS "where"/*sweep*/
FROM runs r LEFT JOIN audit a USING (dir)/*where*/
ORDER BY r.created DESC NULLS LAST, r.run_id`

// runsJSON is the machine listing: every figure unrounded.
const runsJSON = `
SELECT r.run_id, r.dir, coalesce(r.name, '') AS name, r.scenario, r.sets, r.seed, r.agents, r.days, r.created,
	r.sweep_id, r.sweep_point, r.sweep_replicate,
	a.dir IS NOT NULL AS audited,
	a.lowest_tier, a.lowest_tier_share, a.max_disparity_ratio,
	a.max_disparity_group, a.max_disparity_metric, a.ever_sanctioned, a.mean_score
FROM runs r LEFT JOIN audit a USING (dir)/*where*/
ORDER BY r.created DESC NULLS LAST, r.run_id`

// runsQuery is the listing's statement: the JSON one, or the table one
// with runs named by their place under root (a sweep's run ids,
// p0000-r00, ..., repeat from one sweep to the next) and a sweep column
// when the store holds sweeps.
func (d *DB) runsQuery(root string, asJSON bool, f RunsFilter) string {
	var conds []string
	if f.Scenario != "" {
		conds = append(conds, "r.scenario = "+sqlString(f.Scenario))
	}
	if f.Since != nil {
		conds = append(conds, "r.created >= TIMESTAMPTZ "+sqlString(f.Since.UTC().Format(time.RFC3339)))
	}
	where := ""
	if len(conds) > 0 {
		where = "\nWHERE " + strings.Join(conds, " AND ")
	}
	query := runsJSON
	if !asJSON {
		prefix := filepath.ToSlash(filepath.Clean(root)) + "/"
		if prefix == "./" {
			prefix = ""
		}
		query = strings.ReplaceAll(runsTable, "/*prefix*/", sqlString(prefix))
		if len(d.Catalog.Sweeps) > 0 {
			query = strings.Replace(query, "/*sweep*/", `,
	coalesce(r.sweep_id || ' p' || r.sweep_point || ' r' || r.sweep_replicate, '') AS sweep`, 1)
		}
	}
	return strings.Replace(query, "/*where*/", where, 1)
}

// ListRuns writes the runs f keeps, newest first, to w: a table with
// percentages and dates rounded, or a JSON array with every figure
// unrounded. root is the store root as the user named it. It returns the
// number of runs written.
func (d *DB) ListRuns(ctx context.Context, w io.Writer, root string, asJSON bool, f RunsFilter) (int, error) {
	format := "table"
	if asJSON {
		format = "json"
	}
	return d.Write(ctx, w, d.runsQuery(root, asJSON, f), format)
}

// FilterNote says why f matched nothing, to append to "no runs match":
// the scenarios the store does hold, when f.Scenario names none of them
// ("" otherwise).
func (d *DB) FilterNote(ctx context.Context, f RunsFilter) string {
	var have []string
	err := d.Query(ctx, "SELECT DISTINCT scenario FROM runs WHERE scenario IS NOT NULL ORDER BY scenario",
		func([]Column) error { return nil },
		func(v []any) error { have = append(have, fmt.Sprint(v[0])); return nil })
	if err != nil || f.Scenario == "" || slices.Contains(have, f.Scenario) {
		return ""
	}
	return fmt.Sprintf(" (no runs of scenario %q; the store has runs of %s)", f.Scenario, strings.Join(have, ", "))
}

// sinceLayouts are the forms ParseSince accepts, most specific first.
var sinceLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// ParseSince reads a RunsFilter.Since as people write it (`runs
// --since`): a date (UTC midnight) or a time, UTC unless it carries an
// offset. A value that fits no form is an error that starts with the
// quoted value and names the column where it stops making sense and what
// was expected there.
func ParseSince(s string) (time.Time, error) {
	var best *time.ParseError
	for _, layout := range sinceLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
		var pe *time.ParseError
		if errors.As(err, &pe) && (best == nil || len(pe.ValueElem) < len(best.ValueElem) ||
			len(pe.ValueElem) == len(best.ValueElem) && pe.Message != "" && best.Message == "") {
			best = pe
		}
	}
	const want = "want a date such as 2026-12-06 or a time such as 2026-12-06T20:15 (UTC unless it has an offset: 2026-12-06T20:15:00+01:00)"
	if best == nil {
		return time.Time{}, fmt.Errorf("%q: %s", s, want)
	}
	col := len(s) - len(best.ValueElem) + 1
	what := strings.TrimPrefix(best.Message, ": ")
	// A value out of range is reported after it has been read: point at
	// its start instead (the same place in every accepted form).
	for _, f := range []struct {
		word string
		col  int
	}{{"month", 6}, {"day", 9}, {"hour", 12}, {"minute", 15}, {"second", 18}} {
		if strings.HasPrefix(what, f.word+" ") {
			col = f.col
			break
		}
	}
	if what == "" {
		what = "expected " + layoutPart(best.LayoutElem)
		if best.ValueElem != "" {
			what += fmt.Sprintf(", found %q", best.ValueElem)
		}
	}
	return time.Time{}, fmt.Errorf("%q: column %d: %s; %s", s, col, what, want)
}

// layoutPart names a Go time layout element in words.
func layoutPart(elem string) string {
	switch {
	case strings.HasPrefix(elem, "2006"):
		return "a four-digit year"
	case strings.HasPrefix(elem, "01"):
		return "a two-digit month"
	case strings.HasPrefix(elem, "02"):
		return "a two-digit day"
	case strings.HasPrefix(elem, "15"):
		return "a two-digit hour"
	case strings.HasPrefix(elem, "04"):
		return "two-digit minutes"
	case strings.HasPrefix(elem, "05"):
		return "two-digit seconds"
	case strings.HasPrefix(elem, "Z07"):
		return "Z or an offset such as +01:00"
	case elem == "":
		return "the end of the value"
	}
	return fmt.Sprintf("%q", strings.SplitN(elem, "0", 2)[0])
}
