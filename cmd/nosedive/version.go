package main

import (
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the nosedive version and the commit it was built from",
		Long: `Print the nosedive version (the module version, or a pseudo-version of
the commit), the commit it was built from and whether that source tree had
uncommitted changes, as every run, audit and sweep records them. A binary
built with -buildvcs=false (or outside a git checkout) knows no commit and
says "devel".`,
		Example: "  nosedive version",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runner.WriteVersion(cmd.OutOrStdout())
		},
	}
}
