package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/sensitivity"
	"github.com/nosedive-lab/nosedive/internal/sweep"
	"github.com/spf13/cobra"
)

type sensitivityOptions struct {
	metric string
	asJSON bool
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
	return cmd
}

type sensitivityRow struct {
	Parameter          string
	MuStar, MuStarConf audit.Num
	Mu, Sigma          audit.Num
	N                  int
	S1, S1Conf         audit.Num
	ST, STConf         audit.Num
}

// jsonRow is a row of --json output with the design's fields only.
func (r sensitivityRow) jsonRow(design string) map[string]any {
	if design == sweep.Morris {
		return map[string]any{"parameter": r.Parameter, "mu_star": r.MuStar, "mu_star_conf": r.MuStarConf,
			"mu": r.Mu, "sigma": r.Sigma, "n": r.N}
	}
	return map[string]any{"parameter": r.Parameter, "S1": r.S1, "S1_conf": r.S1Conf, "ST": r.ST, "ST_conf": r.STConf}
}

func runSensitivity(o sensitivityOptions, dir string, stdout, stderr io.Writer) error {
	if o.metric == "" {
		return badInput("--metric is required, e.g. --metric ever_sanctioned")
	}
	res, err := readSweepResults(dir)
	if err != nil {
		return err
	}
	m := res.Manifest
	if m.Design.Type != sweep.Morris && m.Design.Type != sweep.Sobol {
		return badInput("%s has a %s design; sensitivity indices need a morris or sobol design (use `nosedive sweep summarize` for this one)", dir, m.Design.Type)
	}
	mi, err := res.MetricIndex(o.metric)
	if err != nil {
		return badInput("--metric: %v", err)
	}
	stats := res.PointStats(mi)
	y := make([]float64, len(stats))
	units := make([][]float64, len(stats))
	for p, st := range stats {
		y[p] = st.Mean
		units[p] = m.Points[p].Unit
	}
	k := len(m.Params)
	var rows []sensitivityRow
	var warn []string
	var sobol *sobolSkipped
	method := ""
	if m.Design.Type == sweep.Morris {
		method = fmt.Sprintf("Morris elementary effects, %d trajectories, %d levels", m.Design.Trajectories, m.Design.Levels)
		idx, w, err := sensitivity.Morris(units, y, k, o.seed)
		if err != nil {
			return err
		}
		warn = w
		for i, x := range idx {
			rows = append(rows, sensitivityRow{Parameter: m.Params[i].Path, MuStar: audit.Num(x.MuStar), MuStarConf: audit.Num(x.MuStarConf),
				Mu: audit.Num(x.Mu), Sigma: audit.Num(x.Sigma), N: x.N})
		}
		sort.SliceStable(rows, func(a, b int) bool { return rows[a].MuStar > rows[b].MuStar })
	} else {
		r, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Seed: o.seed})
		warn = r.Warnings
		if err != nil {
			for _, s := range warn {
				fmt.Fprintln(stderr, "nosedive: warning:", s)
			}
			return err
		}
		method = fmt.Sprintf("Sobol indices (S1: Saltelli et al. 2010, ST: Jansen 1999, on standardised outputs, as SALib), N = %d", r.Rows)
		if skipped := r.Rows - r.RowsUsed; skipped > 0 {
			method += fmt.Sprintf(", %d rows used (%d skipped)", r.RowsUsed, skipped)
		}
		sobol = &sobolSkipped{Rows: r.Rows, RowsUsed: r.RowsUsed, RowsSkipped: r.Rows - r.RowsUsed, PointsMissing: r.Missing,
			Runs: len(m.Points) * m.Replicates, RunsMissing: runsMissing(res, mi)}
		for i, x := range r.Indices {
			rows = append(rows, sensitivityRow{Parameter: m.Params[i].Path, S1: audit.Num(x.S1), S1Conf: audit.Num(x.S1Conf),
				ST: audit.Num(x.ST), STConf: audit.Num(x.STConf)})
		}
		sort.SliceStable(rows, func(a, b int) bool { return rows[a].ST > rows[b].ST })
	}
	if m.Replicates < 2 {
		warn = append(warn, "one replicate per point: simulation noise is part of every effect; replicates average it out")
	}
	for _, s := range warn {
		fmt.Fprintln(stderr, "nosedive: warning:", s)
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var out []map[string]any
		for _, r := range rows {
			out = append(out, r.jsonRow(m.Design.Type))
		}
		doc := map[string]any{"sweep": m.Name, "metric": o.metric, "method": method, "indices": out, "warnings": warn}
		if sobol != nil {
			doc["samples"] = sobol
		}
		return enc.Encode(doc)
	}
	fmt.Fprintf(stdout, "sweep %s, metric %s: %s; outputs are means over %d replicates\n", m.Name, o.metric, method, m.Replicates)
	if sobol != nil && sobol.RowsSkipped > 0 {
		fmt.Fprintf(stdout, "skipped %d of %d base rows: %d of %d points have no output (%d of %d runs failed, missing or without a value)\n",
			sobol.RowsSkipped, sobol.Rows, sobol.PointsMissing, len(m.Points), sobol.RunsMissing, sobol.Runs)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	if m.Design.Type == sweep.Morris {
		fmt.Fprintln(tw, "parameter\tmu*\t±95%\tmu\tsigma\teffects\t")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", r.Parameter, fig(r.MuStar), fig(r.MuStarConf), fig(r.Mu), fig(r.Sigma), r.N)
		}
	} else {
		fmt.Fprintln(tw, "parameter\tS1\t±95%\tST\t±95%\t")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.Parameter, fig(r.S1), fig(r.S1Conf), fig(r.ST), fig(r.STConf))
		}
	}
	return tw.Flush()
}

// sobolSkipped says, in --json output, how much of a Sobol design the
// indices use: a base row is skipped when A, B or any AB_i has no output.
type sobolSkipped struct {
	Rows          int `json:"rows"`
	RowsUsed      int `json:"rows_used"`
	RowsSkipped   int `json:"rows_skipped"`
	PointsMissing int `json:"points_missing"` // design points without an output
	Runs          int `json:"runs"`
	RunsMissing   int `json:"runs_missing"` // runs failed, not (yet) run, or with the metric undefined
}

// runsMissing counts the planned runs of a sweep without a value of
// metric mi: failed, not run yet, or with the metric undefined (NaN or
// infinite).
func runsMissing(res *sweep.Results, mi int) int {
	have := 0
	for i := range res.Runs {
		if v := res.Values[i][mi]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			have++
		}
	}
	return len(res.Manifest.Points)*res.Manifest.Replicates - have
}

func fig(x audit.Num) string {
	if math.IsNaN(float64(x)) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", float64(x))
}
