package main

import (
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the scenario language",
		Long: `Print a JSON Schema (draft 2020-12) of scenario files, generated from the
Go types the decoder uses. Point your editor's YAML language server at it
to get completion and checking while you write scenarios.`,
		Example: `  nosedive schema > nosedive.schema.json
  # then, first line of a scenario file:
  # yaml-language-server: $schema=./nosedive.schema.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeJSON(cmd.OutOrStdout(), scenario.JSONSchema())
		},
	}
}
