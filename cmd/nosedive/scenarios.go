package main

import (
	"io"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Example: `  nosedive scenarios
  nosedive scenarios show xinjiang-pilot > my-regime.yaml`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return scenario.WriteBuiltins(cmd.OutOrStdout())
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "show NAME",
		Short:   "Print a built-in scenario's YAML",
		Example: "  nosedive scenarios show benchmark",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenariosShow(cmd.OutOrStdout(), args[0])
		},
	})
	return cmd
}

func runScenariosShow(w io.Writer, name string) error {
	src, err := scenario.BuiltinSource(name)
	if err != nil {
		return err
	}
	_, err = w.Write(src)
	return err
}
