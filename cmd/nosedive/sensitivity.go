package main

import (
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

type sensitivityOptions struct {
	metric string
	asJSON bool
	quiet  bool
	seed   uint64
}

func newSensitivityCmd() *cobra.Command {
	var o sensitivityOptions
	cmd := &cobra.Command{
		Use:   "sensitivity SWEEP_DIR --metric M",
		Short: "Which parameters drive a metric: Morris (mu, mu*, sigma) or Sobol (S1, ST) indices",
		Long: `Compute sensitivity indices of one audit metric from a sweep run with a
morris design (elementary effects: mu*, the importance; mu, its sign;
sigma, interactions or non-linearity) or a sobol design (first-order S1 and
total ST indices with 95% bootstrap intervals, computed as SALib's
sobol.analyze computes them, on standardised outputs). The output of a
point is its mean over replicates. Effects are per unit of each
parameter's range. A Sobol base row with a point without output (failed
or missing runs) is skipped in every index, and the output says how many
were. Warnings say when the design is too small for stable indices.`,
		Example: `  nosedive sensitivity runs/xinjiang-morris --metric ever_sanctioned_uyghur
  nosedive sensitivity runs/my-sobol --metric gap_worst_tier --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSensitivity(o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.metric, "metric", "", "audit metric column to analyse (see `nosedive sweep summarize --csv`)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the bootstrap resampling")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runSensitivity(o sensitivityOptions, dir string, stdout, stderr io.Writer) error {
	pw := stderr // progress; warnings go to stderr even with --quiet
	if o.quiet {
		pw = io.Discard
	}
	an, err := sweep.AnalyzeDir(dir, o.metric, o.seed, pw)
	if an != nil {
		for _, s := range an.Warnings {
			fmt.Fprintln(stderr, "nosedive: warning:", s)
		}
	}
	switch {
	case err != nil:
		return err
	case o.asJSON:
		return an.WriteJSON(stdout)
	}
	return an.WriteText(stdout)
}
