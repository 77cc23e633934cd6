package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

type attributeOptions struct {
	agents, perms, workers int
	quiet                  bool
}

func newAttributeCmd() *cobra.Command {
	var o attributeOptions
	cmd := &cobra.Command{
		Use:   "attribute RUN",
		Short: "Rank rules by the harm they cause (leave-one-out and Shapley values)",
		Long: `Re-run the regime with subsets of its rules switched off (same people,
same random numbers) and attribute each headline harm to rules:

  gap_worst_tier                    worst-tier share, most minus least affected group
  ever_sanctioned                   share of people ever sanctioned
  sanctioned_without_own_violation  people sanctioned who did nothing penalised
  children_blocked                  school-age children kept out of top schools

Shapley values are exact up to 12 rules (2^n twin runs) and estimated from
random permutations above, with standard errors; they add up to the effect
of all rules together. Results go into RUN/audit.json. Use --agents to
attribute on a smaller replica of the run when it is large.`,
		Example: `  nosedive attribute runs/xinjiang-pilot-s1-20261128-101500
  nosedive attribute RUN --agents 20000 --permutations 100`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttribute(cmd.Context(), o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().IntVar(&o.agents, "agents", 0, "run the twins on this many agents (default: the run's size)")
	cmd.Flags().IntVar(&o.perms, "permutations", 200, "permutations sampled when there are more than 12 rules")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "worker threads (default: all cores)")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runAttribute(ctx context.Context, o attributeOptions, dir string, stdout, stderr io.Writer) error {
	run, err := loadRun(dir)
	if err != nil {
		return err
	}
	m := run.Manifest
	agents := m.Agents
	if o.agents != 0 {
		if o.agents < 2 || o.agents > m.Agents {
			return badInput("--agents must be between 2 and the run's %d", m.Agents)
		}
		agents = o.agents
	}
	if o.perms < 2 {
		return badInput("--permutations must be at least 2")
	}
	var rules []string
	for _, r := range m.Rules {
		rules = append(rules, r.Name)
	}
	if len(rules) == 0 {
		return badInput("%s: the scenario has no rules to attribute", dir)
	}
	tmp, err := os.MkdirTemp("", "nosedive-attribute-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Exact Shapley values run every subset of the rules; the permutation
	// estimate runs an unknown number (subsets repeat).
	total := 0
	if len(rules) <= audit.ExactMaxRules {
		total = 1 << len(rules)
	}
	if o.quiet {
		stderr = io.Discard
	}
	fmt.Fprintf(stderr, "nosedive: attributing %d rules by twin runs of %d agents x %d days\n", len(rules), agents, m.Days)
	meter := progress.New(stderr, total, "twin runs", progress.Options{Bar: progress.IsTerminal(stderr)})
	n := 0
	eval := func(ctx context.Context, off []string) (map[string]float64, error) {
		n++
		defer meter.Set(n, fmt.Sprintf("last without %v", off))
		sc, err := runner.ScenarioOf(m)
		if err != nil {
			return nil, err
		}
		res, err := runner.Execute(ctx, runner.Spec{Scenario: sc, Sets: m.Scenario.Sets, Agents: agents, Days: m.Days,
			Seed: m.Seed, Workers: o.workers, Ledger: "none", OutDir: tmp, ID: fmt.Sprintf("twin-%d", n), Disabled: off})
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(res.Dir)
		tr, err := audit.Load(res.Dir)
		if err != nil {
			return nil, err
		}
		return audit.HeadlineMetrics(tr)
	}
	at, err := audit.Attribute(ctx, rules, eval, audit.ExactMaxRules, o.perms, m.Seed)
	meter.Finish()
	if err != nil {
		return err
	}
	at.Agents = agents
	rep, err := readAudit(dir)
	if err != nil {
		if rep, err = audit.Compute(run, audit.Options{}); err != nil {
			return err
		}
	}
	rep.Attribution = at
	if err := audit.WriteReport(dir, rep); err != nil {
		return err
	}
	if err := audit.WriteAttributionText(stdout, at); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwritten: %s\n", filepath.Join(dir, AuditFile))
	return nil
}
