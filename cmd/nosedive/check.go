package main

import (
	"context"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/claim"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	claim.Options // --agents, --days, --seed, --workers, --set, --out
	asJSON, quiet bool
}

func newCheckCmd() *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check SCENARIO",
		Short: "Run a scenario's claims and say which hold",
		Long: `Run what a scenario says about its regime (its claims: section, see
docs/scenario-language.md): the scenario is run once for each horizon its
claims name, each run is audited (with the regime-free twin when a claim
is about chilling), and every claim is shown with its figure, its bounds
and whether it holds. Unless the scenario names a trend, check also
requires a steady state after the first year: the mean score moves at
most 5% of the score range a year and no tier's share more than 5
percentage points a year (on the longest run, which --days can lengthen).

Exit status 0 when everything holds, 1 when something does not.`,
		Example: `  nosedive check xinjiang-pilot
  nosedive check xinjiang-pilot --agents 20000 --days 1825
  nosedive check my-regime.yaml --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Agents, "agents", 0, "number of synthetic citizens (default: the scenario's run.agents)")
	f.IntVar(&o.Days, "days", 0, "length of the longest run, on which steadiness is checked (default: the longest horizon of the claims)")
	f.Uint64Var(&o.Seed, "seed", 0, "random seed (default: the scenario's run.seed)")
	f.IntVar(&o.Workers, "workers", 0, "worker threads (default: all cores); results do not depend on it")
	f.StringArrayVar(&o.Sets, "set", nil, "override a scenario value by dotted path (repeatable)")
	f.StringVar(&o.OutDir, "out", "", "keep the run directories here (default: a temporary directory, removed)")
	f.BoolVar(&o.asJSON, "json", false, "print the outcome as JSON")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runCheck(ctx context.Context, o checkOptions, name string, stdout, stderr io.Writer) error {
	if o.Agents < 0 || o.Days < 0 || o.Days > scenario.MaxDays {
		return badInput("--agents and --days must be positive (--days at most %d)", scenario.MaxDays)
	}
	sc, err := scenario.Resolve(name, o.Sets)
	if err != nil {
		return err
	}
	if len(sc.Claims) == 0 {
		return badInput("%s has no claims: section to check (docs/scenario-language.md, Claims)", name)
	}
	if !o.quiet {
		o.Progress = func(msg string) { fmt.Fprintln(stderr, "nosedive: "+msg) }
	}
	out, err := claim.Check(ctx, sc, o.Options)
	if err != nil {
		return err
	}
	if o.asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		claim.WriteText(stdout, out)
	}
	return out.Err()
}
