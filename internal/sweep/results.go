package sweep

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// AuditMetrics are the headline audit figures written to the audit table,
// one column each (docs/metrics.md defines them). Those marked per group
// in docs/experiments.md also get a column per group, named METRIC_GROUP.
var AuditMetrics = audit.HeadlineNames

// perGroup are the metrics that also get one column per group.
var perGroup = []string{"mean_score", "best_tier_share", "worst_tier_share", "ever_sanctioned", "detained", "score_change"}

type metricValue struct {
	name  string
	value float64
}

// auditMetrics flattens an audit report into named values, in a fixed
// order: the overall figures, then the per-group ones.
func auditMetrics(rep *audit.Report, m *store.Manifest, keep []string) []metricValue {
	share := func(r audit.Row, tier string) float64 {
		for _, t := range r.Tiers {
			if t.Name == tier {
				return float64(t.Value)
			}
		}
		return math.NaN()
	}
	best, worst := m.Names.Tiers[0], m.Names.Tiers[len(m.Names.Tiers)-1]
	bestShare := func(r audit.Row) float64 { return share(r, best) }
	tierShare := func(r audit.Row) float64 { return share(r, worst) }
	var groups []audit.Row
	for _, g := range rep.Groups {
		if g.Attribute == "group" {
			groups = append(groups, g)
		}
	}
	ever := func(r audit.Row) float64 { return float64(r.Ever.Value) }
	kept := func(name string) bool { return len(keep) == 0 || slices.Contains(keep, name) }
	var out []metricValue
	for _, name := range AuditMetrics {
		if kept(name) {
			out = append(out, metricValue{name, audit.HeadlineFigure(rep, name)})
		}
	}
	for _, name := range perGroup {
		if !kept(name) {
			continue
		}
		for _, g := range groups {
			var v float64
			switch name {
			case "mean_score":
				v = g.MeanScore
			case "best_tier_share":
				v = bestShare(g)
			case "worst_tier_share":
				v = tierShare(g)
			case "ever_sanctioned":
				v = ever(g)
			case "detained":
				v = float64(g.Detention.Value)
			case "score_change":
				v = float64(g.ScoreChange)
			}
			out = append(out, metricValue{name + "_" + colSafe(g.Value), v})
		}
	}
	// The institutions' last decisions: INSTITUTION_FIGURE for every
	// category together and INSTITUTION_FIGURE_CATEGORY, kept by their
	// INSTITUTION_FIGURE.
	for _, in := range rep.Institutions {
		base := colSafe(in.Name) + "_"
		for _, name := range audit.InstitutionColumns(rep) {
			if !strings.HasPrefix(name, base) {
				continue
			}
			if kept(name) || slices.ContainsFunc(keep, func(k string) bool { return strings.HasPrefix(name, k+"_") && strings.HasPrefix(k, base) }) {
				out = append(out, metricValue{name, audit.HeadlineFigure(rep, name)})
			}
		}
	}
	return out
}

func colSafe(s string) string { return strings.ReplaceAll(s, "-", "_") }

// keyCols are the leading columns of both result tables: sweep, point,
// replicate, seed, then one column per parameter named by its path,
// repeated for n rows.
func (s *Sweep) keyCols(r Run, n int) []*col {
	rep := func(v string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	cols := []*col{
		{name: "sweep", str: rep(s.Name)},
		{name: "point", i32: slices.Repeat([]int32{int32(r.Point)}, n)},
		{name: "replicate", i32: slices.Repeat([]int32{int32(r.Replicate)}, n)},
		{name: "seed", i64: slices.Repeat([]int64{int64(r.Seed)}, n)},
	}
	for k, p := range s.Params {
		v := s.Points[r.Point].Values[k]
		if p.Numeric {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil { // "": the scenario's own value, written as NULL
				f = math.NaN()
			}
			cols = append(cols, &col{name: p.Path, f64: slices.Repeat([]float64{f}, n)})
		} else {
			cols = append(cols, &col{name: p.Path, str: rep(v)})
		}
	}
	return cols
}

// fragmentMetadata is a result fragment's key-value metadata: its run's
// (store.Metadata) and the sweep's name.
func fragmentMetadata(s *Sweep, m *store.Manifest) []store.KeyValue {
	return append(store.Metadata(m), store.KeyValue{Key: "nosedive.sweep", Value: s.Name})
}

// writeAuditFragment writes the one-row audit table of a run.
func (s *Sweep) writeAuditFragment(w io.Writer, r Run, m *store.Manifest, ms []metricValue) error {
	cols := s.keyCols(r, 1)
	for _, m := range ms {
		cols = append(cols, &col{name: m.name, f64: []float64{m.value}})
	}
	return writeParquet(w, "audit", cols, 1, fragmentMetadata(s, m))
}

// writeDailyFragment writes a run's daily table summed over regions: one
// row per day x group, counts summed and score_mean weighted by agents,
// NULL for a day and group without agents (score quantiles do not add up
// over regions and are left out).
func (s *Sweep) writeDailyFragment(w io.Writer, r Run, runDir string, m *store.Manifest) error {
	t, err := store.ReadTable(filepath.Join(runDir, store.DailyFile))
	if err != nil {
		return err
	}
	days, groups := t.Cols["day"].Int, t.Cols["group"].Str
	if days == nil || groups == nil {
		return fmt.Errorf("%s: daily table without day and group columns", runDir)
	}
	gi := map[string]int{}
	for i, g := range m.Names.Groups {
		gi[g] = i
	}
	ng := len(m.Names.Groups)
	dayList := slices.Compact(slices.Sorted(slices.Values(days)))
	di := make(map[int64]int, len(dayList))
	for i, d := range dayList {
		di[d] = i
	}
	row := func(i int) int { return di[days[i]]*ng + gi[groups[i]] }
	n := len(dayList) * ng
	dayCol := make([]int32, n)
	groupCol := make([]string, n)
	for i := range n {
		dayCol[i] = int32(dayList[i/ng])
		groupCol[i] = m.Names.Groups[i%ng]
	}
	agents := make([]int64, n)
	for i, a := range t.Cols["agents"].Int {
		agents[row(i)] += a
	}
	cols := append(s.keyCols(r, n), &col{name: "day", i32: dayCol}, &col{name: "group", str: groupCol})
	for _, name := range t.Names {
		switch {
		case name == "day" || name == "region" || name == "group" || name == "regime_active":
		case strings.HasPrefix(name, "score_p"):
		case name == "score_mean":
			sum := make([]float64, n)
			for i, v := range t.Cols[name].Float {
				if a := t.Cols["agents"].Int[i]; a > 0 { // an empty cell's mean is NULL (NaN)
					sum[row(i)] += float64(v * float64(a))
				}
			}
			for j := range sum {
				if agents[j] > 0 {
					sum[j] /= float64(agents[j])
				} else {
					sum[j] = math.NaN() // written as NULL
				}
			}
			cols = append(cols, &col{name: name, f64: sum})
		case t.Cols[name].Int != nil || t.Rows == 0:
			sum := make([]int64, n)
			for i, v := range t.Cols[name].Int {
				sum[row(i)] += v
			}
			cols = append(cols, &col{name: name, i64: sum})
		}
	}
	return writeParquet(w, "daily", cols, n, fragmentMetadata(s, m))
}

// writeInstitutionsFragment writes a run's institutions.parquet with the
// key columns in front: one row per institution, category and decision
// day, its columns as they are (docs/store-format.md#institutionsparquet).
func (s *Sweep) writeInstitutionsFragment(w io.Writer, r Run, runDir string, m *store.Manifest) error {
	t, err := store.ReadTable(filepath.Join(runDir, store.InstitutionsFile))
	if err != nil {
		return err
	}
	cols := s.keyCols(r, t.Rows)
	for _, name := range t.Names {
		c := t.Cols[name]
		switch {
		case c.Str != nil:
			cols = append(cols, &col{name: name, str: c.Str})
		case c.Float != nil:
			cols = append(cols, &col{name: name, f64: c.Float})
		case name == "day":
			d := make([]int32, len(c.Int))
			for i, x := range c.Int {
				d[i] = int32(x)
			}
			cols = append(cols, &col{name: name, i32: d})
		case c.Int != nil:
			cols = append(cols, &col{name: name, i64: c.Int})
		case t.Rows == 0:
			// An empty table: its columns have no values to type them by.
		default:
			return fmt.Errorf("%s: column %s of an unexpected type", filepath.Join(runDir, store.InstitutionsFile), name)
		}
	}
	return writeParquet(w, "institutions", cols, t.Rows, fragmentMetadata(s, m))
}

// institutionMetrics are the names metrics: may give to keep an
// institution's columns: INSTITUTION_FIGURE, for each figure of its last
// decision in the audit table (docs/experiments.md).
func institutionMetrics(sc *scenario.Scenario) []string {
	var out []string
	for _, x := range sc.Institutions {
		for _, f := range []string{"selection_rate", "tpr", "threshold", "utility", "expected_utility"} {
			out = append(out, colSafe(x.Name)+"_"+f)
		}
	}
	return out
}
