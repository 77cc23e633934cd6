package sweep

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nosedive-lab/nosedive/internal/audit"
)

// This file holds `nosedive sweep summarize`'s outputs: a table of means
// with 95% intervals per point, one point's every metric, and the long
// CSV and JSON forms.

// DefaultSummaryMetrics are the metrics of the summary table when none
// are named (those the audit table has).
var DefaultSummaryMetrics = []string{"ever_sanctioned", "best_tier_share", "worst_tier_share", "gap_worst_tier", "detained"}

// Summary is a selection of a sweep's metrics, each summarised per point
// over the point's replicates.
type Summary struct {
	Manifest *Manifest
	Metrics  []string
	Stats    [][]Stat // Stats[k][p]: metric k at point p
}

// HeadlineMetrics are DefaultSummaryMetrics that the audit table has, or
// its first four columns when it has none of them.
func (r *Results) HeadlineMetrics() []string {
	var out []string
	for _, name := range DefaultSummaryMetrics {
		if slices.Contains(r.Metrics, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		out = r.Metrics[:min(len(r.Metrics), 4)]
	}
	return out
}

// Summarize summarises the named metrics per point; a name that is not a
// column of the audit table is an error that lists the columns.
func (r *Results) Summarize(metrics []string) (*Summary, error) {
	s := &Summary{Manifest: r.Manifest, Metrics: metrics, Stats: make([][]Stat, len(metrics))}
	for k, name := range metrics {
		i, err := r.MetricIndex(name)
		if err != nil {
			return nil, err
		}
		s.Stats[k] = r.PointStats(i)
	}
	return s, nil
}

// SummaryOptions select what `nosedive sweep summarize` writes.
type SummaryOptions struct {
	// Point >= 0 writes every metric of that point, one per line; -1
	// writes the table of all points.
	Point int
	// Metrics to summarise; default: the headline metrics in the table,
	// every metric for one point, in CSV and in JSON.
	Metrics   []string
	CSV, JSON bool
}

// WriteSummary writes `nosedive sweep summarize`'s output for the sweep
// directory dir: a status line (runs done and failed, from sweep.json
// brought up to date) on out, or on errw with CSV and JSON so that out
// holds only data, then the table, one point's metrics, CSV or JSON. A
// point out of range or a metric the audit table lacks is an InputError.
func (r *Results) WriteSummary(out, errw io.Writer, dir string, o SummaryOptions) error {
	m := r.Manifest
	if st, err := RefreshStatus(dir, time.Now()); err == nil {
		m.Status = st.Status
	}
	status := fmt.Sprintf("sweep %s: %d of %d runs done, %d failed (%s design, %d points x %d replicates)",
		m.Name, len(r.Runs), len(m.Runs), m.Status.Failed, m.Design.Type, len(m.Points), m.Replicates)
	if o.Point >= len(m.Points) || o.Point < -1 {
		return badInput("--point %d: the sweep has points 0 to %d", o.Point, len(m.Points)-1)
	}
	metrics := o.Metrics
	if len(metrics) == 0 {
		metrics = r.HeadlineMetrics()
		if o.CSV || o.JSON || o.Point >= 0 {
			metrics = r.Metrics
		}
	}
	sum, err := r.Summarize(metrics)
	if err != nil {
		return badInput("--metric: %v", err)
	}
	switch {
	case o.CSV:
		fmt.Fprintln(errw, "nosedive:", status)
		return sum.WriteCSV(out)
	case o.JSON:
		fmt.Fprintln(errw, "nosedive:", status)
		return sum.WriteJSON(out)
	}
	fmt.Fprintln(out, status)
	if o.Point >= 0 {
		return sum.WritePoint(out, o.Point)
	}
	return sum.WriteTable(out)
}

// WriteTable writes the means over replicates with their 95% intervals,
// a row per point and a column per metric.
func (s *Summary) WriteTable(w io.Writer) error {
	m := s.Manifest
	fmt.Fprintln(w, "mean over replicates [95% confidence interval]")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "point\t"
	for _, p := range m.Params {
		head += p.Path + "\t"
	}
	head += "n\t" + strings.Join(s.Metrics, "\t") + "\t"
	fmt.Fprintln(tw, head)
	for p := range m.Points {
		line := strconv.Itoa(p) + "\t" + strings.Join(m.Points[p].Values, "\t") + "\t"
		n := 0
		for k := range s.Metrics {
			n = max(n, s.Stats[k][p].N)
		}
		line += strconv.Itoa(n) + "\t"
		for k, name := range s.Metrics {
			line += audit.FormatInterval(st2iv(s.Stats[k][p]), n, name) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return s.writeLegend(w)
}

// writeLegend says what each column of the table measures and in which
// unit.
func (s *Summary) writeLegend(w io.Writer) error {
	fmt.Fprintln(w)
	for _, name := range s.Metrics {
		if m := audit.HeadlineMeaning(name); m != "" {
			fmt.Fprintf(w, "%s: %s\n", name, m)
		}
	}
	_, err := fmt.Fprintln(w, "(shares in %, gaps in percentage points (pts); intervals are clipped to the range a figure can take,\nwhich keeps their coverage; --csv and --json give the unclipped values as fractions)")
	return err
}

// st2iv is a Stat as the audit's Interval, for audit.FormatInterval.
func st2iv(st Stat) audit.Interval {
	return audit.Interval{Mean: audit.Num(st.Mean), Lo: audit.Num(st.Lo), Hi: audit.Num(st.Hi), N: st.N}
}

// WritePoint writes every selected metric of point p, a line each.
func (s *Summary) WritePoint(w io.Writer, p int) error {
	m := s.Manifest
	fmt.Fprintf(w, "point %d:", p)
	for j, par := range m.Params {
		v := m.Points[p].Values[j]
		if v == "" {
			v = "~" // the scenario's own value
		}
		fmt.Fprintf(w, " %s=%s", par.Path, v)
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tn\tmean [95% CI]\tsd\tmin\tmax\t")
	for k, name := range s.Metrics {
		st := s.Stats[k][p]
		f := func(x float64) string { return audit.FormatFigure(x, name) }
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", name, st.N, audit.FormatInterval(st2iv(st), st.N, name),
			f(st.SD), f(st.Min), f(st.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return s.writeLegend(w)
}

// WriteCSV writes one row per point x metric: the point, its parameter
// values, the metric and its statistics (empty where undefined).
func (s *Summary) WriteCSV(w io.Writer) error {
	m := s.Manifest
	cw := csv.NewWriter(w)
	head := []string{"point"}
	for _, p := range m.Params {
		head = append(head, p.Path)
	}
	cw.Write(append(head, "metric", "n", "mean", "sd", "ci95_low", "ci95_high"))
	for p := range m.Points {
		for k, name := range s.Metrics {
			st := s.Stats[k][p]
			row := append([]string{strconv.Itoa(p)}, m.Points[p].Values...)
			row = append(row, name, strconv.Itoa(st.N), csvNum(st.Mean), csvNum(st.SD), csvNum(st.Lo), csvNum(st.Hi))
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// PointSummary is one point x metric of the JSON form.
type PointSummary struct {
	Point  int               `json:"point"`
	Params map[string]string `json:"params"`
	Metric string            `json:"metric"`
	N      int               `json:"n"`
	Mean   audit.Num         `json:"mean"`
	SD     audit.Num         `json:"sd"`
	Lo     audit.Num         `json:"ci95_low"`
	Hi     audit.Num         `json:"ci95_high"`
}

// WriteJSON writes the summary as an indented array of PointSummary
// (undefined statistics are null).
func (s *Summary) WriteJSON(w io.Writer) error {
	m := s.Manifest
	var out []PointSummary
	for p := range m.Points {
		params := map[string]string{}
		for j, par := range m.Params {
			params[par.Path] = m.Points[p].Values[j]
		}
		for k, name := range s.Metrics {
			st := s.Stats[k][p]
			out = append(out, PointSummary{Point: p, Params: params, Metric: name, N: st.N,
				Mean: audit.Num(st.Mean), SD: audit.Num(st.SD), Lo: audit.Num(st.Lo), Hi: audit.Num(st.Hi)})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func csvNum(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 10, 64)
}
