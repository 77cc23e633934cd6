package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/report"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/spf13/cobra"
)

type reportOptions struct {
	out, png string
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report RUN",
		Short: "Write a self-contained HTML report of a run and its audit",
		Long: `Write one HTML file (no network needed to view it: charts are inline SVG,
no scripts or web fonts) with the findings in plain language, charts, the
audit tables, the EU AI Act Art. 5 lens, an ODD model description with every
rule's source, and the methods. It uses RUN/audit.json when present (run
'nosedive audit' first for chilling and ablations, and 'nosedive attribute'
for the rule attribution chart), and computes a basic audit otherwise.`,
		Example: `  nosedive report runs/xinjiang-pilot-s1-20261128-101500
  nosedive report RUN --out xinjiang.html --png charts/`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd.Context(), o, args[0], cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "output file (default RUN/report.html)")
	cmd.Flags().StringVar(&o.png, "png", "", "also write each chart as a PNG into this directory")
	return cmd
}

func runReport(_ context.Context, o reportOptions, dir string, w io.Writer) error {
	run, err := loadRun(dir)
	if err != nil {
		return err
	}
	rep, err := readAudit(dir)
	if err != nil {
		if rep, err = audit.Compute(run, audit.Options{}); err != nil {
			return err
		}
	}
	in := report.Input{Run: run, Audit: rep, Version: runner.Version}
	twin := filepath.Join(dir, runner.TwinsDir, runner.NoRegime)
	if _, err := os.Stat(filepath.Join(twin, "run.json")); err == nil {
		in.TwinDir = twin
	}
	out := o.out
	if out == "" {
		out = filepath.Join(dir, "report.html")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".tmp-report-")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	pg, err := report.Render(tmp, in)
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(w, "report: %s (%d charts)\n", out, len(pg.Charts))
	if o.png != "" {
		for _, c := range pg.Charts {
			path, err := c.SavePNG(o.png)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "chart: %s\n", path)
		}
	}
	return nil
}
