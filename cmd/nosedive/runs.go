package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nosedive-lab/nosedive/internal/duckdb"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/spf13/cobra"
)

type runsOptions struct {
	store    string
	asJSON   bool
	scenario string
	since    string
}

func newRunsCmd() *cobra.Command {
	var o runsOptions
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the stored runs, newest first, with headline figures from their audits",
		Long: `List every run directory under the store root (runs of sweeps included),
newest first: its path under the store, its label (run --name), scenario, its
--set overrides ("edits"), seed, agents, days, when it ran (UTC), and, for runs
audited with nosedive audit, the share of people in the lowest tier at the
end, the largest disparity ratio against the reference group (how many
times worse off than the reference; ratios against a reference rate of 0
are undefined and not counted) and where it occurs. It is a fixed query
over the views of nosedive sql: see nosedive sql --help. A run whose
run.json is damaged is skipped, and a damaged audit.json is left out, each
with a warning on stderr naming the file.

--scenario keeps the runs of one scenario (by its name, as listed);
--since keeps the runs started at or after a date (2026-12-06, UTC
midnight) or a time (2026-12-06T20:15, 2026-12-06T20:15:00Z, or with an
offset such as +01:00; UTC unless it has one).`,
		Example: `  nosedive runs
  nosedive runs --scenario xinjiang-pilot --since 2026-12-01
  nosedive runs --store /data/runs --json | jq '.[0].run_id'`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRuns(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", defaultStore, "store root: the directory `nosedive run --out` wrote to")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON array with full-precision figures instead of a table")
	f.StringVar(&o.scenario, "scenario", "", "list only the runs of this scenario (its name)")
	f.StringVar(&o.since, "since", "", "list only the runs started at or after this UTC date or time, e.g. 2026-12-06 or 2026-12-06T20:15")
	return cmd
}

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

func runRuns(ctx context.Context, o runsOptions, stdout, stderr io.Writer) (err error) {
	var conds []string
	if o.scenario != "" {
		conds = append(conds, "r.scenario = "+sqlString(o.scenario))
	}
	if o.since != "" {
		t, err := parseSince(o.since)
		if err != nil {
			return err
		}
		conds = append(conds, "r.created >= TIMESTAMPTZ "+sqlString(t.UTC().Format(time.RFC3339)))
	}
	where := ""
	if len(conds) > 0 {
		where = "\nWHERE " + strings.Join(conds, " AND ")
	}
	db, err := openStore(ctx, o.store, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if len(db.Catalog.Runs) == 0 && !o.asJSON {
		fmt.Fprintf(stderr, "no runs under %s yet; write one with `nosedive run SCENARIO --out %s`\n", o.store, o.store)
		return nil
	}
	// Runs are named by their place under the store: a sweep's run ids
	// (p0000-r00, ...) repeat from one sweep to the next.
	prefix := filepath.ToSlash(filepath.Clean(o.store)) + "/"
	if prefix == "./" {
		prefix = ""
	}
	format := "table"
	query := strings.ReplaceAll(runsTable, "/*prefix*/", sqlString(prefix))
	if len(db.Catalog.Sweeps) > 0 {
		query = strings.Replace(query, "/*sweep*/", `,
	coalesce(r.sweep_id || ' p' || r.sweep_point || ' r' || r.sweep_replicate, '') AS sweep`, 1)
	}
	if o.asJSON {
		format, query = "json", runsJSON
	}
	query = strings.Replace(query, "/*where*/", where, 1)
	w, err := duckdb.NewWriter(format, stdout)
	if err != nil {
		return err
	}
	if err := db.Query(ctx, query, w.Header, w.Row); err != nil {
		return err
	}
	n, err := w.Close()
	if err != nil || n > 0 || o.asJSON || where == "" {
		return err
	}
	fmt.Fprintf(stderr, "no runs under %s match%s\n", o.store, filterNote(ctx, db, o))
	return nil
}

// filterNote says why a filter matched nothing: the scenarios the store
// does hold, when --scenario names none of them.
func filterNote(ctx context.Context, db *duckdb.DB, o runsOptions) string {
	var have []string
	err := db.Query(ctx, "SELECT DISTINCT scenario FROM runs WHERE scenario IS NOT NULL ORDER BY scenario",
		func([]duckdb.Column) error { return nil },
		func(v []any) error { have = append(have, fmt.Sprint(v[0])); return nil })
	if err != nil || o.scenario == "" || slices.Contains(have, o.scenario) {
		return ""
	}
	return fmt.Sprintf(" (no runs of scenario %q; the store has runs of %s)", o.scenario, strings.Join(have, ", "))
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sinceLayouts are the forms --since accepts, most specific first.
var sinceLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseSince reads --since: a date or a time, UTC unless it carries an
// offset. A value that fits no form is bad input naming the column where
// it stops making sense and what was expected there.
func parseSince(s string) (time.Time, error) {
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
		return time.Time{}, badInput("--since %q: %s", s, want)
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
	return time.Time{}, badInput("--since %q: column %d: %s; %s", s, col, what, want)
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

// checkRunName checks run --name (bad input when it cannot be a label).
func checkRunName(name string) error {
	if err := store.ValidName(name); err != nil {
		return badInput("--name: %v", err)
	}
	return nil
}
