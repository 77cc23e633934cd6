package report

import (
	"sort"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// groupSeries aggregates daily.parquet cells per group (over regions), day
// by day.
type groupSeries struct {
	days   []float64
	groups []string
	agents [][]float64            // [group][day]
	mean   [][]float64            // [group][day]
	q      map[string][][]float64 // quantile column -> [group][day], agent-weighted over regions
	counts map[string][][]float64 // any count column -> [group][day]
}

func daySeries(t *store.Table, groups []string, countCols []string) *groupSeries {
	day := t.Cols["day"].Int
	maxDay := 0
	for _, d := range day {
		maxDay = max(maxDay, int(d))
	}
	gi := map[string]int{}
	for k, g := range groups {
		gi[g] = k
	}
	s := &groupSeries{groups: groups, q: map[string][][]float64{}, counts: map[string][][]float64{}}
	for d := 0; d <= maxDay; d++ {
		s.days = append(s.days, float64(d))
	}
	mk := func() [][]float64 {
		out := make([][]float64, len(groups))
		for k := range out {
			out[k] = make([]float64, maxDay+1)
		}
		return out
	}
	s.agents, s.mean = mk(), mk()
	qcols := []string{"score_p10", "score_p25", "score_p50", "score_p75", "score_p90"}
	for _, c := range qcols {
		s.q[c] = mk()
	}
	for _, c := range countCols {
		s.counts[c] = mk()
	}
	grp := t.Cols["group"].Str
	n := t.Cols["agents"].Int
	mean := t.Cols["score_mean"].Float
	for r := range day {
		g, d := gi[grp[r]], int(day[r])
		w := float64(n[r])
		s.agents[g][d] += w
		if w > 0 { // an empty cell's mean and quantiles are NULL (NaN)
			s.mean[g][d] += float64(w * mean[r])
			for _, c := range qcols {
				s.q[c][g][d] += float64(w * t.Cols[c].Float[r])
			}
		}
		for _, c := range countCols {
			if col, ok := t.Cols[c]; ok {
				s.counts[c][g][d] += float64(col.Int[r])
			}
		}
	}
	for g := range groups {
		for d := range s.days {
			if w := s.agents[g][d]; w > 0 {
				s.mean[g][d] /= w
				for _, c := range qcols {
					s.q[c][g][d] /= w
				}
			}
		}
	}
	return s
}

// total sums a count column over groups.
func (s *groupSeries) total(col string) []float64 {
	out := make([]float64, len(s.days))
	for _, g := range s.counts[col] {
		for d, x := range g {
			out[d] += x
		}
	}
	return out
}

// lorenz returns the Lorenz curve of values (shifted to start at zero).
func lorenz(v []float64) (xs, ys []float64) {
	if len(v) == 0 {
		return nil, nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	lo := s[0]
	total := 0.0
	for _, x := range s {
		total += x - lo
	}
	xs, ys = []float64{0}, []float64{0}
	step := max(1, len(s)/400)
	acc := 0.0
	for k, x := range s {
		acc += x - lo
		if (k+1)%step == 0 || k == len(s)-1 {
			xs = append(xs, float64(k+1)/float64(len(s)))
			if total > 0 {
				ys = append(ys, acc/total)
			} else {
				ys = append(ys, float64(k+1)/float64(len(s)))
			}
		}
	}
	return xs, ys
}

func groupRow(rep *audit.Report, attribute, value string) *audit.Row {
	for k := range rep.Groups {
		if rep.Groups[k].Attribute == attribute && rep.Groups[k].Value == value {
			return &rep.Groups[k]
		}
	}
	return nil
}
