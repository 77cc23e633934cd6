// Command nosedive simulates social credit regimes on synthetic populations
// and measures the harm they do. See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/cliflag"
	"github.com/nosedive-lab/nosedive/internal/duckdb"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

// usageError marks bad input found by the CLI itself (flags, arguments).
type usageError = cliflag.UsageError

func badInput(format string, args ...any) error { return cliflag.Errorf(format, args...) }

// exactArgs is cobra.ExactArgs reporting bad input.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return cliflag.ArgCount(cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// flagError words pflag's error for people (cliflag.Explain), as bad input.
func flagError(cmd *cobra.Command, err error) error {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return badInput("%s", cliflag.Explain(err, names, cmd.CommandPath()))
}

// exitCode maps an error to the process exit code. It is the only place
// that does so.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case is[*usageError](err), is[scenario.Errors](err), is[*scenario.NotFoundError](err),
		is[*runner.InputError](err), is[*runner.MemoryError](err), is[*runner.UnknownRuleError](err), is[*store.InvalidError](err),
		is[*audit.InputError](err), is[*audit.BadAttributeError](err), is[*audit.NotReplicatesError](err), is[*audit.RunDirError](err),
		is[*sweep.InputError](err), is[*sweep.ConflictError](err), is[*sweep.CurveError](err),
		is[*duckdb.NotFoundError](err), is[*duckdb.QueryError](err):
		return exitBadInput
	}
	return exitFailure
}

// is reports whether err's chain holds an error of type T.
func is[T error](err error) bool { return errors.As(err, new(T)) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit code; tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := cliflag.UnknownCommand(root.ExecuteContext(ctx)) // bad input, in cobra's words
	code := exitCode(err)
	switch {
	case err == nil:
	case code == exitInterrupted && is[*runner.InterruptedError](err):
		fmt.Fprintln(stderr, "\nnosedive:", err)
	case code == exitInterrupted:
		// Every command stops cleanly: a run leaves no directory, a sweep
		// keeps its finished runs (--resume continues), sql writes nothing.
		fmt.Fprintln(stderr, "\nnosedive: interrupted; nothing was left half-written")
	case is[scenario.Errors](err):
		// Positioned diagnostics, one per line, as editors expect.
		fmt.Fprintln(stderr, err)
	default:
		fmt.Fprintln(stderr, "nosedive:", err)
	}
	return code
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "nosedive",
		Short: "Simulate social credit regimes on synthetic people and measure the harm",
		Long: `nosedive runs a declarative social credit regime (a scenario file) on a
synthetic population with a social network, day by day, and writes what
happened to a run directory of Parquet tables.

nosedive works on synthetic people only: it imports no records of real
individuals and connects to no camera, payment or enforcement system.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(), newAuditCmd(), newExplainCmd(), newAttributeCmd(), newReportCmd(), newBenchCmd(), newResumeCmd(), newValidateCmd(), newScenariosCmd(), newSchemaCmd(), newVersionCmd(), newSQLCmd(), newRunsCmd(), newSweepCmd(), newSensitivityCmd(), newServeCmd(), newCheckCmd())
	return root
}

// runDirArgs checks that audit and report are given a run directory.
func runDirArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return badInput("%s needs a run directory (or several, or a sweep directory with --point); see %s --help", cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// writeJSON writes v as indented JSON, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
