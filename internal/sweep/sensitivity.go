package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/sensitivity"
)

// Sensitivity is `nosedive sensitivity`'s analysis of one metric of a
// morris or sobol sweep: an index row per parameter, most influential
// first. The output of a point is its mean over replicates.
type Sensitivity struct {
	Sweep    string
	Metric   string
	Design   string // Morris or Sobol
	Method   string
	Points   int
	Reps     int // replicates per point
	Rows     []SensitivityRow
	Warnings []string
	Samples  *SobolSamples // Sobol only
}

// SensitivityRow holds one parameter's indices (Morris or Sobol fields,
// as the design gives).
type SensitivityRow struct {
	Parameter          string
	MuStar, MuStarConf audit.Num
	Mu, Sigma          audit.Num
	N                  int
	S1, S1Conf         audit.Num
	ST, STConf         audit.Num
}

// SobolSamples says how much of a Sobol design the indices use: a base
// row is skipped when A, B or any AB_i has no output.
type SobolSamples struct {
	Rows          int `json:"rows"`
	RowsUsed      int `json:"rows_used"`
	RowsSkipped   int `json:"rows_skipped"`
	PointsMissing int `json:"points_missing"` // design points without an output
	Runs          int `json:"runs"`
	RunsMissing   int `json:"runs_missing"` // runs failed, not (yet) run, or with the metric undefined
}

// Analyze computes the sensitivity indices of metric column mi of a
// morris or sobol sweep, bootstrapping with seed. On an error from the
// estimator the result still carries its warnings.
func Analyze(res *Results, mi int, seed uint64) (*Sensitivity, error) {
	m := res.Manifest
	if m.Design.Type != Morris && m.Design.Type != Sobol {
		return nil, fmt.Errorf("sensitivity of sweep %s: a %s design has no sensitivity indices (morris or sobol)", m.Name, m.Design.Type)
	}
	stats := res.PointStats(mi)
	y := make([]float64, len(stats))
	units := make([][]float64, len(stats))
	for p, st := range stats {
		y[p] = st.Mean
		units[p] = m.Points[p].Unit
	}
	k := len(m.Params)
	s := &Sensitivity{Sweep: m.Name, Metric: res.Metrics[mi], Design: m.Design.Type, Points: len(m.Points), Reps: m.Replicates}
	if m.Design.Type == Morris {
		s.Method = fmt.Sprintf("Morris elementary effects, %d trajectories, %d levels", m.Design.Trajectories, m.Design.Levels)
		idx, w, err := sensitivity.Morris(units, y, k, seed)
		if err != nil {
			return nil, err
		}
		s.Warnings = w
		for i, x := range idx {
			s.Rows = append(s.Rows, SensitivityRow{Parameter: m.Params[i].Path, MuStar: audit.Num(x.MuStar), MuStarConf: audit.Num(x.MuStarConf),
				Mu: audit.Num(x.Mu), Sigma: audit.Num(x.Sigma), N: x.N})
		}
		sort.SliceStable(s.Rows, func(a, b int) bool { return s.Rows[a].MuStar > s.Rows[b].MuStar })
	} else {
		r, err := sensitivity.Sobol(y, k, sensitivity.SobolOptions{Seed: seed})
		s.Warnings = r.Warnings
		if err != nil {
			return s, err
		}
		s.Method = fmt.Sprintf("Sobol indices (S1: Saltelli et al. 2010, ST: Jansen 1999, on standardised outputs, as SALib), N = %d", r.Rows)
		if skipped := r.Rows - r.RowsUsed; skipped > 0 {
			s.Method += fmt.Sprintf(", %d rows used (%d skipped)", r.RowsUsed, skipped)
		}
		s.Samples = &SobolSamples{Rows: r.Rows, RowsUsed: r.RowsUsed, RowsSkipped: r.Rows - r.RowsUsed, PointsMissing: r.Missing,
			Runs: len(m.Points) * m.Replicates, RunsMissing: runsMissing(res, mi)}
		for i, x := range r.Indices {
			s.Rows = append(s.Rows, SensitivityRow{Parameter: m.Params[i].Path, S1: audit.Num(x.S1), S1Conf: audit.Num(x.S1Conf),
				ST: audit.Num(x.ST), STConf: audit.Num(x.STConf)})
		}
		sort.SliceStable(s.Rows, func(a, b int) bool { return s.Rows[a].ST > s.Rows[b].ST })
	}
	if m.Replicates < 2 {
		s.Warnings = append(s.Warnings, "one replicate per point: simulation noise is part of every effect; replicates average it out")
	}
	return s, nil
}

// runsMissing counts the planned runs of a sweep without a value of
// metric mi: failed, not run yet, or with the metric undefined (NaN or
// infinite).
func runsMissing(res *Results, mi int) int {
	have := 0
	for i := range res.Runs {
		if v := res.Values[i][mi]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			have++
		}
	}
	return len(res.Manifest.Points)*res.Manifest.Replicates - have
}

// WriteText writes the method, what was skipped, and the table of
// indices.
func (s *Sensitivity) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "sweep %s, metric %s: %s; outputs are means over %d replicates\n", s.Sweep, s.Metric, s.Method, s.Reps)
	if sm := s.Samples; sm != nil && sm.RowsSkipped > 0 {
		fmt.Fprintf(w, "skipped %d of %d base rows: %d of %d points have no output (%d of %d runs failed, missing or without a value)\n",
			sm.RowsSkipped, sm.Rows, sm.PointsMissing, s.Points, sm.RunsMissing, sm.Runs)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if s.Design == Morris {
		fmt.Fprintln(tw, "parameter\tmu*\t±95%\tmu\tsigma\teffects\t")
		for _, r := range s.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", r.Parameter, fig4(r.MuStar), fig4(r.MuStarConf), fig4(r.Mu), fig4(r.Sigma), r.N)
		}
	} else {
		fmt.Fprintln(tw, "parameter\tS1\t±95%\tST\t±95%\t")
		for _, r := range s.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", r.Parameter, fig4(r.S1), fig4(r.S1Conf), fig4(r.ST), fig4(r.STConf))
		}
	}
	return tw.Flush()
}

// WriteJSON writes the analysis with each row's fields of the design
// only.
func (s *Sensitivity) WriteJSON(w io.Writer) error {
	var rows []map[string]any
	for _, r := range s.Rows {
		if s.Design == Morris {
			rows = append(rows, map[string]any{"parameter": r.Parameter, "mu_star": r.MuStar, "mu_star_conf": r.MuStarConf,
				"mu": r.Mu, "sigma": r.Sigma, "n": r.N})
		} else {
			rows = append(rows, map[string]any{"parameter": r.Parameter, "S1": r.S1, "S1_conf": r.S1Conf, "ST": r.ST, "ST_conf": r.STConf})
		}
	}
	doc := map[string]any{"sweep": s.Sweep, "metric": s.Metric, "method": s.Method, "indices": rows, "warnings": s.Warnings}
	if s.Samples != nil {
		doc["samples"] = s.Samples
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// fig4 prints an index with four significant digits, "n/a" for NaN.
func fig4(x audit.Num) string {
	if math.IsNaN(float64(x)) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", float64(x))
}

// AnalyzeDir computes the sensitivity indices of metric from the results
// of the sweep in dir (Analyze), as `nosedive sensitivity` does: a meter
// of its two steps (reading every run's fragments, then the indices and
// their bootstrap, each of which can take seconds on a large sweep) goes
// to log (nil: none). A missing metric, a design other than morris or
// sobol and a metric the results do not hold are *InputError. On an error
// from the estimator the result still carries its warnings.
func AnalyzeDir(dir, metric string, seed uint64, log io.Writer) (*Sensitivity, error) {
	if metric == "" {
		return nil, badInput("--metric is required, e.g. --metric ever_sanctioned")
	}
	if log == nil {
		log = io.Discard
	}
	meter := progress.New(log, 2, "steps", progress.Options{Bar: progress.IsTerminal(log)})
	defer meter.Finish()
	meter.Set(0, "reading the sweep's results")
	res, err := OpenResults(dir)
	if err != nil {
		return nil, err
	}
	m := res.Manifest
	if m.Design.Type != Morris && m.Design.Type != Sobol {
		return nil, badInput("%s has a %s design; sensitivity indices need a morris or sobol design (use `nosedive sweep summarize` for this one)", dir, m.Design.Type)
	}
	mi, err := res.MetricIndex(metric)
	if err != nil {
		return nil, badInput("--metric: %v", err)
	}
	meter.Set(1, fmt.Sprintf("%d points read; computing indices", len(m.Points)))
	an, err := Analyze(res, mi, seed)
	meter.Set(2, "")
	return an, err
}
