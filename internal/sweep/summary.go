package sweep

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/tdist"
)

// Stat is a mean over replicates with its 95% confidence interval
// (Student's t; NaN bounds with fewer than two values). NaN values (a rate
// with no denominator) are left out and N counts the rest.
type Stat struct {
	N        int
	Mean, SD float64
	Lo, Hi   float64
	Min, Max float64
}

// MeanCI summarises xs.
func MeanCI(xs []float64) Stat {
	var vals []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	st := Stat{N: len(vals), Mean: math.NaN(), SD: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	if st.N == 0 {
		return st
	}
	// Two passes: the mean, then squared deviations (stable enough for
	// replicate counts; each value is already an average over agents).
	sum := 0.0
	for _, x := range vals {
		sum += x
	}
	st.Mean = sum / float64(st.N)
	st.Min, st.Max = slices.Min(vals), slices.Max(vals)
	if st.N < 2 {
		return st
	}
	ss := 0.0
	for _, x := range vals {
		ss += float64((x - st.Mean) * (x - st.Mean))
	}
	st.SD = math.Sqrt(ss / float64(st.N-1))
	half := TQuantile975(st.N-1) * st.SD / math.Sqrt(float64(st.N))
	st.Lo, st.Hi = st.Mean-half, st.Mean+half
	return st
}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of
// freedom, NaN below one degree of freedom: tdist's, the same float64 on
// every machine.
func TQuantile975(df int) float64 { return tdist.Quantile975(df) }

// Results are a sweep's audit table read back: per run, its metrics.
type Results struct {
	Manifest *Manifest
	Metrics  []string    // metric columns, in table order
	Runs     []Run       // runs with results, in run order
	Values   [][]float64 // Values[i][m]: run i, metric m
}

// ReadResults reads every audit fragment of a sweep directory (and any
// compacted audit*.parquet), in run order.
func ReadResults(dir string) (*Results, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s is not a sweep directory (no %s)", dir, ManifestFile)
		}
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, ResultsDir, "audit*.parquet"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	keys := map[string]bool{"sweep": true, "point": true, "replicate": true, "seed": true}
	for _, p := range m.Params {
		keys[p.Path] = true
	}
	res := &Results{Manifest: m}
	type row struct {
		run  Run
		vals []float64
	}
	var rows []row
	for _, f := range files {
		t, err := store.ReadTable(f)
		if err != nil {
			return nil, err
		}
		if res.Metrics == nil {
			for _, n := range t.Names {
				if !keys[n] {
					res.Metrics = append(res.Metrics, n)
				}
			}
		}
		for i := range t.Rows {
			p, r := int(t.Cols["point"].Int[i]), int(t.Cols["replicate"].Int[i])
			vals := make([]float64, len(res.Metrics))
			for k, name := range res.Metrics {
				c := t.Cols[name]
				if c == nil || c.Float == nil {
					vals[k] = math.NaN()
					continue
				}
				vals[k] = c.Float[i]
			}
			rows = append(rows, row{Run{Point: p, Replicate: r, Seed: uint64(t.Cols["seed"].Int[i])}, vals})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].run.Point != rows[j].run.Point {
			return rows[i].run.Point < rows[j].run.Point
		}
		return rows[i].run.Replicate < rows[j].run.Replicate
	})
	for _, r := range rows {
		r.run.ID = m.Sweep.Run(r.run.Point*m.Replicates + r.run.Replicate).ID
		res.Runs = append(res.Runs, r.run)
		res.Values = append(res.Values, r.vals)
	}
	return res, nil
}

// MetricIndex finds a metric column, with a suggestion when it is not there.
func (r *Results) MetricIndex(name string) (int, error) {
	if i := slices.Index(r.Metrics, name); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("no metric %q in the sweep's audit table; it has %s", name, strings.Join(r.Metrics, ", "))
}

// PointStats summarises metric m per point over its replicates. Points
// without results have N = 0.
func (r *Results) PointStats(m int) []Stat {
	byPoint := make([][]float64, len(r.Manifest.Points))
	for i, run := range r.Runs {
		if run.Point < len(byPoint) {
			byPoint[run.Point] = append(byPoint[run.Point], r.Values[i][m])
		}
	}
	out := make([]Stat, len(byPoint))
	for p, xs := range byPoint {
		out[p] = MeanCI(xs)
	}
	return out
}
