package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/report"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

type reportOptions struct {
	report.Files     // --out (HTML), --pdf, --png
	point        int // -1: not a sweep point
	// curve: the sweep's outcome curve instead of a run's report, of
	// institution (default: the scenario's only one).
	curve       bool
	institution string
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report RUN [RUN...] | report SWEEP_DIR --point P | report SWEEP_DIR --curve",
		Short: "Write a self-contained HTML report of a run and its audit",
		Long: `Write one HTML file (no network needed to view it: charts are inline SVG,
no scripts or web fonts) with the findings in plain language, charts, the
audit tables, the EU AI Act Art. 5 lens, an ODD model description with every
rule's source, and the methods. It uses RUN/audit.json when present (run
'nosedive audit' first for chilling and ablations, and 'nosedive attribute'
for the rule attribution chart), and computes a basic audit otherwise.

Given several run directories (replicates of one design) or a sweep
directory and --point P, it reports the first replicate as usual (the page
says so) and adds a section "Across N replicates": the headline figures
and the group disparities as means with 95% confidence intervals. The
file goes to the first replicate's directory unless --out says otherwise.

Given a sweep directory and --curve, it draws the outcome curve of Liu et
al. (2018) instead (SWEEP_DIR/curve.html unless --out): per group the
change of the group's mean score against the selection rate over the
sweep's points whose institution has policy fixed-rate, mean over
replicates with its 95% band, the paper's regions (active harm, relative
harm and improvement against the max-utility point) and a mark for each
other policy's point; docs/experiments.md says how to write the sweep.

--pdf also prints the report to PDF (A4; the wide audit tables on
landscape pages) through a headless Chromium found on PATH as chromium,
chromium-browser, google-chrome or google-chrome-stable; without one it
says what to install and exits 1 before writing anything. --png writes
each chart as a PNG at twice the screen resolution, its legend below it.`,
		Example: `  nosedive report runs/xinjiang-pilot-s1-20261128-101500
  nosedive report RUN --out xinjiang.html --png charts/
  nosedive report RUN --pdf                 # RUN/report.html and RUN/report.pdf
  nosedive report RUN --pdf=/tmp/xinjiang.pdf
  nosedive report runs/xinjiang-sweep --point 2 --out point2.html
  nosedive report runs/lending-curve --curve   # runs/lending-curve/curve.html`,
		Args: runDirArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.curve || o.institution != "" {
				return runReportCurve(o, args, cmd.OutOrStdout())
			}
			if len(args) > 1 || o.point != -1 || sweep.IsDir(args[0]) {
				return runReportReplicates(cmd.Context(), o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return runReport(cmd.Context(), o, args[0], cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&o.point, "point", -1, "with a sweep directory: report this design point's replicates")
	cmd.Flags().BoolVar(&o.curve, "curve", false, "with a sweep directory: draw its outcome curve (docs/experiments.md#the-outcome-curve)")
	cmd.Flags().StringVar(&o.institution, "institution", "", "with --curve: the institution whose decisions the curve is about (default: the only one)")
	cmd.Flags().StringVar(&o.HTML, "out", "", "output file (default RUN/report.html)")
	cmd.Flags().StringVar(&o.PNG, "png", "", "also write each chart as a PNG into this directory")
	cmd.Flags().StringVar(&o.PDF, "pdf", "", "also print the report to PDF with headless Chromium: --pdf (next to the HTML file) or --pdf=FILE")
	cmd.Flags().Lookup("pdf").NoOptDefVal = report.PDFBeside
	return cmd
}

func runReport(ctx context.Context, o reportOptions, dir string, w io.Writer) error {
	run, err := report.LoadRun(dir, false)
	if err != nil {
		return err
	}
	rep, err := audit.ReadOrCompute(run)
	if err != nil {
		return err
	}
	return writeReport(ctx, o, dir, report.Input{Run: run, Audit: rep, Version: runner.Version}, w)
}

// runReportReplicates reports the first replicate with the section
// "Across N replicates".
func runReportReplicates(ctx context.Context, o reportOptions, args []string, w, stderr io.Writer) error {
	ao := auditOptions{Options: audit.Options{By: []string{"group", "region"}, MinGroup: audit.DefaultMinGroup}, point: o.point}
	s, reps, dirs, err := summarizeReplicates(ao, args, true, stderr)
	if err != nil {
		return err
	}
	run, err := report.LoadRun(dirs[0], true)
	if err != nil {
		return err
	}
	return writeReport(ctx, o, dirs[0], report.Input{Run: run, Audit: reps[0], Version: runner.Version, Replicates: s}, w)
}

// writeReport writes the report of the run in dir (report.Write), with
// its regime-free twin when the run has one.
func writeReport(ctx context.Context, o reportOptions, dir string, in report.Input, w io.Writer) error {
	twin := filepath.Join(dir, runner.TwinsDir, runner.NoRegime)
	if _, err := os.Stat(filepath.Join(twin, "run.json")); err == nil {
		in.TwinDir = twin
	}
	f := o.Files
	if f.HTML == "" {
		f.HTML = filepath.Join(dir, "report.html")
	}
	return report.Write(ctx, w, in, f)
}

// runReportCurve writes the outcome curve of a sweep directory.
func runReportCurve(o reportOptions, args []string, w io.Writer) error {
	switch {
	case !o.curve:
		return badInput("--institution applies to --curve only")
	case len(args) != 1 || !sweep.IsDir(args[0]):
		return badInput("--curve needs one sweep directory (with sweep.json), got %s", strings.Join(args, " "))
	case o.point != -1:
		return badInput("--curve draws every point of the sweep: it takes no --point")
	case o.PDF != "":
		return badInput("--curve writes HTML (and --png); print it to PDF from a browser")
	}
	return report.WriteCurve(w, args[0], o.institution, o.Files, runner.Version)
}
