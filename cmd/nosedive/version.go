package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/buildinfo"
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
			return runVersion(cmd.OutOrStdout())
		},
	}
}

func runVersion(w io.Writer) error {
	b, bi := runner.Build(), buildinfo.Read()
	commit := b.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information)"
	case bi.Source == "git":
		commit += " (from git: a go run build)"
	}
	_, err := fmt.Fprintf(w, "nosedive %s (%s, %s/%s)\ncommit:   %s\nmodified: %v\n",
		b.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, commit, b.Modified)
	return err
}
