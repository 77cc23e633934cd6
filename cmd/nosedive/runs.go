package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/duckdb"
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

func runRuns(ctx context.Context, o runsOptions, stdout, stderr io.Writer) (err error) {
	f := duckdb.RunsFilter{Scenario: o.scenario}
	if o.since != "" {
		t, err := duckdb.ParseSince(o.since)
		if err != nil {
			return badInput("--since %v", err)
		}
		f.Since = &t
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
	n, err := db.ListRuns(ctx, stdout, o.store, o.asJSON, f)
	if err != nil || n > 0 || o.asJSON || f.IsZero() {
		return err
	}
	fmt.Fprintf(stderr, "no runs under %s match%s\n", o.store, db.FilterNote(ctx, f))
	return nil
}
