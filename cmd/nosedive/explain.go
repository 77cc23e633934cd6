package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

type explainOptions struct {
	agent   int
	asJSON  bool
	workers int
}

func newExplainCmd() *cobra.Command {
	var o explainOptions
	cmd := &cobra.Command{
		Use:   "explain RUN --agent ID",
		Short: "Explain why one synthetic citizen ended where they did",
		Long: `Replay the run with a trace on one citizen (runs are deterministic, so
the replay is exact and is checked against the stored tables) and print
their traits, score trajectory, tier changes and sanctions, an additive
breakdown of the final score (baseline + one term per rule = score,
exactly), up to four principal reasons ranked against the people just
above the next threshold, who else contributed (partner, acquaintances),
and the smallest single change that would have changed the tier.`,
		Example: `  nosedive explain runs/xinjiang-pilot-s1-20261128-101500 --agent 123
  nosedive explain RUN --agent 123 --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("agent") {
				return badInput("explain needs --agent ID")
			}
			return runExplain(cmd.Context(), o, args[0], cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&o.agent, "agent", 0, "the citizen's id (agents.parquet id column)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "worker threads for the replay (default: all cores)")
	return cmd
}

func runExplain(ctx context.Context, o explainOptions, dir string, w io.Writer) error {
	run, err := loadRun(dir)
	if err != nil {
		return err
	}
	if o.agent < 0 || o.agent >= run.Manifest.Agents {
		return badInput("--agent %d: this run has agents 0 to %d", o.agent, run.Manifest.Agents-1)
	}
	final, traces, err := runner.Replay(ctx, run.Manifest, []int32{int32(o.agent)}, o.workers)
	if err != nil {
		return err
	}
	x, err := audit.Explain(run, int32(o.agent), final, traces[0])
	if err != nil {
		return err
	}
	if !x.MatchesStored || !x.Exact {
		return fmt.Errorf("explain: the replay of %s does not reproduce the stored run for agent %d (was it written by another nosedive version?)", dir, o.agent)
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(x)
	}
	printExplanation(w, x)
	return nil
}

func printExplanation(w io.Writer, x *audit.Explanation) {
	fmt.Fprintf(w, "Citizen %d of run %s, after day %d\n\n", x.Agent, x.Run, x.Day)
	traits := "none"
	if len(x.Traits) > 0 {
		traits = strings.Join(x.Traits, ", ")
	}
	partner := "none"
	if x.Partner >= 0 {
		partner = fmt.Sprint(x.Partner)
	}
	fmt.Fprintf(w, "  region %s, group %s, age %s; traits: %s; school-age children: %d; partner: %s\n",
		x.Region, x.Group, x.Age, traits, x.Children, partner)
	status := fmt.Sprintf("  score %.1f, tier %s", x.Score, x.Tier)
	if x.Threshold != nil {
		status += fmt.Sprintf(" (%s starts at %.0f)", x.NextTier, *x.Threshold)
	}
	if x.Detained {
		status += "; DETAINED"
	}
	if len(x.Flags) > 0 {
		status += "; flagged " + strings.Join(x.Flags, ", ")
	}
	fmt.Fprintln(w, status)
	if len(x.Sanctions) > 0 {
		fmt.Fprintln(w, "\nSanctions:")
		for _, s := range x.Sanctions {
			end := "still in force"
			if s.End >= 0 {
				end = fmt.Sprintf("lifted on day %d", s.End)
			}
			fmt.Fprintf(w, "  %s (%s) from day %d, %s\n", s.Name, s.Context, s.Start, end)
		}
	}
	if len(x.TierChanges) > 0 {
		fmt.Fprintln(w, "\nTier changes:")
		for _, t := range x.TierChanges {
			fmt.Fprintf(w, "  day %d: %s -> %s\n", t.Day, t.From, t.To)
		}
	}
	fmt.Fprintf(w, "\nWhy the score is %.1f (baseline + contributions, exact):\n", x.Score)
	fmt.Fprintf(w, "  %10.1f  starting score\n", x.BaseValue)
	for _, c := range x.Contributions {
		who := c.Origin
		if len(c.Via) > 0 && len(c.Via) <= 5 {
			who += fmt.Sprintf(" %v", c.Via)
		}
		fmt.Fprintf(w, "  %+10.1f  %s (%d times; %s; data from %s)\n", c.Points, c.Rule, c.Times, who, c.SourceContext)
	}
	fmt.Fprintf(w, "  %10.1f  total\n", x.Sum)
	if len(x.PrincipalReasons) > 0 {
		fmt.Fprintf(w, "\nPrincipal reasons (reference: %s):\n", x.Reference)
		for _, r := range x.PrincipalReasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	if len(x.Counterfactuals) > 0 {
		fmt.Fprintln(w, "\nWhat single change would have changed the tier (everything else held fixed):")
		for _, c := range x.Counterfactuals {
			fmt.Fprintf(w, "  %s: %.1f points, %s\n", c.Change, c.NewScore, c.NewTier)
		}
	}
	if len(x.Events) > 0 {
		fmt.Fprintln(w, "\nWhat the citizen did (attempted / blocked / seen by the regime):")
		for _, e := range x.Events {
			fmt.Fprintf(w, "  %s: %d / %d / %d\n", e.Behaviour, e.Attempted, e.Blocked, e.Detected)
		}
	}
}
