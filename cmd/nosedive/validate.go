package main

import (
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	var sets []string
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files without running them; print every problem",
		Example: `  nosedive validate my-regime.yaml
  nosedive validate scenarios/*.yaml
  nosedive validate xinjiang-pilot --set tiers.levels.trustworthy.min=1100`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return badInput("validate needs at least one scenario file or built-in name")
			}
			return scenario.ValidateFiles(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, sets, strict)
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a value by its dotted path (key=value), repeatable")
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings (traps such as agents left at score 0) as errors: exit 2")
	return cmd
}
