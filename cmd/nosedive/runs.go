package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/duckdb"
	"github.com/spf13/cobra"
)

type runsOptions struct {
	store  string
	asJSON bool
}

func newRunsCmd() *cobra.Command {
	var o runsOptions
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the stored runs, newest first, with headline figures from their audits",
		Long: `List every run directory under the store root (runs of sweeps included),
newest first: its path under the store, scenario, seed, agents, days, when it ran, and, for runs
audited with nosedive audit, the share of people in the lowest tier at the
end, the largest disparity ratio against the reference group (how many
times worse off than the reference; ratios against a reference rate of 0
are undefined and not counted) and where it occurs. It is a fixed query
over the views of nosedive sql: see nosedive sql --help. A run whose
run.json is damaged is skipped, and a damaged audit.json is left out, each
with a warning on stderr naming the file.`,
		Example: `  nosedive runs
  nosedive runs --store /data/runs --json | jq '.[0].run_id'`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRuns(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", defaultStore, "store root: the directory `nosedive run --out` wrote to")
	f.BoolVar(&o.asJSON, "json", false, "print a JSON array with full-precision figures instead of a table")
	return cmd
}

// runsTable is the human listing: percentages and dates rounded.
const runsTable = `
SELECT CASE WHEN starts_with(r.dir, /*prefix*/) THEN substr(r.dir, length(/*prefix*/) + 1) ELSE r.dir END AS run,
	r.scenario, r.seed, r.agents, r.days,
	strftime(r.created, '%Y-%m-%d %H:%M') AS created,
	coalesce(a.lowest_tier, '') AS lowest_tier,
	coalesce(printf('%.2f%%', 100 * a.lowest_tier_share), '') AS "share",
	coalesce(printf('%.2f', a.max_disparity_ratio), '') AS max_disparity,
	coalesce(a.max_disparity_group || ' ' || a.max_disparity_metric, '') AS "where"/*sweep*/
FROM runs r LEFT JOIN audit a USING (dir)
ORDER BY r.created DESC NULLS LAST, r.run_id`

// runsJSON is the machine listing: every figure unrounded.
const runsJSON = `
SELECT r.run_id, r.dir, r.scenario, r.seed, r.agents, r.days, r.created,
	r.sweep_id, r.sweep_point, r.sweep_replicate,
	a.dir IS NOT NULL AS audited,
	a.lowest_tier, a.lowest_tier_share, a.max_disparity_ratio,
	a.max_disparity_group, a.max_disparity_metric, a.ever_sanctioned, a.mean_score
FROM runs r LEFT JOIN audit a USING (dir)
ORDER BY r.created DESC NULLS LAST, r.run_id`

func runRuns(ctx context.Context, o runsOptions, stdout, stderr io.Writer) (err error) {
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
	query := strings.ReplaceAll(runsTable, "/*prefix*/", "'"+strings.ReplaceAll(prefix, "'", "''")+"'")
	if len(db.Catalog.Sweeps) > 0 {
		query = strings.Replace(query, "/*sweep*/", `,
	coalesce(r.sweep_id || ' p' || r.sweep_point || ' r' || r.sweep_replicate, '') AS sweep`, 1)
	}
	if o.asJSON {
		format, query = "json", runsJSON
	}
	w, err := duckdb.NewWriter(format, stdout)
	if err != nil {
		return err
	}
	if err := db.Query(ctx, query, w.Header, w.Row); err != nil {
		return err
	}
	_, err = w.Close()
	return err
}
