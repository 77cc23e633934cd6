package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the nosedive version",
		Example: "  nosedive version",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.OutOrStdout())
		},
	}
}

func runVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "nosedive %s (%s, %s/%s)\n", runner.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
