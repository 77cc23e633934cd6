package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/duckdb"
	"github.com/spf13/cobra"
)

// defaultStore is where `nosedive run --out` writes by default.
const defaultStore = "runs"

type sqlOptions struct {
	store  string
	format string
	schema bool
}

func newSQLCmd() *cobra.Command {
	var o sqlOptions
	cmd := &cobra.Command{
		Use:   "sql \"SELECT ...\"",
		Short: "Query every stored run and sweep with SQL (embedded DuckDB, read-only)",
		Long: `Run one SQL query (DuckDB's dialect) over every run directory and sweep
directory under the store root, without exporting anything. The files are
read where they lie, and nothing can be written: DuckDB runs with external
access off and may open only the store files the views read, and only
queries run. A damaged file (truncated, overwritten, not written by
nosedive) is left out with a warning naming it; the rest of the store
stays queryable.

Views:
  runs         one row per run (run.json): run_id, dir, scenario, seed, agents,
               days, created, sweep_id / sweep_point / sweep_replicate /
               sweep_params for runs of a sweep, the whole manifest as JSON
  daily        every daily.parquet (day x region x group), run_id and dir first
  agents       every agents.parquet (one row per synthetic person), run_id and dir first
  ledger       every ledger.parquet (score changes of the people --ledger selected)
  trace        every trace.parquet (the ledger sample's state on day 0 and on each
               day it changed: tier, detained, partner, sanctions, flags)
  trace_events every trace_events.parquet (each event the ledger sample attempted)
  audit        one row per run with audit.json (from nosedive audit RUN):
               headline figures flattened, the whole file in the json column
  sweeps       one row per sweep directory (sweep.json)      } only when the
  sweep_daily  the sweeps' tidy results/daily*.parquet        } store holds
  sweep_audit  the sweeps' tidy results/audit*.parquet        } sweeps
  sweep_institutions  the sweeps' tidy results/institutions*.parquet
               (sweeps of a scenario with institutions)

When no file of a kind exists yet (no audit.json anywhere, say), runs,
daily, agents and audit are empty views with their core columns; the sweep
views are left out. --schema lists every view with its columns and says
which are empty or left out. Columns that exist in some runs only (a tier
of one scenario) are NULL in the others. run_id is the run directory's
name; dir, its path, is unique even where sweeps repeat run ids
(p0000-r00), so join on dir when the store holds several sweeps.
docs/sql.md has worked examples.

Only queries run (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, PIVOT with an IN
list, EXPLAIN [ANALYZE] of a SELECT), one per call; functions that change
DuckDB's state (enable_profiling, query, ...) are refused. csv and json stream rows as DuckDB produces them; table holds
the result in memory to align it, so use csv or json for large results.`,
		Example: `  nosedive sql "SELECT run_id, scenario, seed, agents, days FROM runs"
  nosedive sql --schema
  nosedive sql "SELECT run_id, day, sum(tier_untrustworthy) / sum(agents) AS share
                FROM daily GROUP BY ALL ORDER BY ALL" --format csv > shares.csv
  nosedive sql --store /data/runs "SELECT * FROM audit" --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.schema && len(args) == 0:
				return nil
			case o.schema:
				return badInput("%s --schema takes no query", cmd.CommandPath())
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			q := ""
			if len(args) == 1 {
				q = args[0]
			}
			return runSQL(cmd.Context(), o, q, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.store, "store", defaultStore, "store root: the directory `nosedive run --out` and `nosedive sweep --out` wrote to")
	f.StringVar(&o.format, "format", "table", "output format: "+strings.Join(duckdb.Formats, ", "))
	f.BoolVar(&o.schema, "schema", false, "list the views and their columns instead of running a query")
	return cmd
}

// openStore opens the store for SQL (a missing store is a
// *duckdb.NotFoundError, bad input), each damaged file left out of the
// views a warning on stderr.
func openStore(ctx context.Context, root string, stderr io.Writer) (*duckdb.DB, error) {
	return duckdb.Open(ctx, root, duckdb.Options{Warn: func(d duckdb.Damage) { fmt.Fprintf(stderr, "nosedive: warning: %v\n", d) }})
}

func runSQL(ctx context.Context, o sqlOptions, query string, stdout, stderr io.Writer) (err error) {
	if !slices.Contains(duckdb.Formats, o.format) {
		return badInput("--format: unknown format %q; use one of %s", o.format, strings.Join(duckdb.Formats, ", "))
	}
	db, err := openStore(ctx, o.store, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if o.schema {
		return db.WriteSchema(ctx, stdout)
	}
	return db.WriteQuery(ctx, stdout, query, o.format, o.store, func(msg string) { fmt.Fprintf(stderr, "nosedive: %s\n", msg) })
}
