package delayedimpact

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Group names as the Federal Reserve's tables spell them (the white
// column's header has a space after "Non-").
const (
	White = "Non- Hispanic white"
	Black = "Black"
)

// The files Load reads from a data directory.
const (
	CDFFile         = "transrisk_cdf_by_race_ssa.csv"
	PerformanceFile = "transrisk_performance_by_race_ssa.csv"
	TotalsFile      = "totals.csv"
)

// Data is the TransRisk table at its discrete score levels: one row per
// level (ascending), one column per group. Mass and Repay are indexed
// [group][level].
type Data struct {
	Groups     []string    // group names, in the files' column order
	Percentile []float64   // the level's percentile rank (0-100), as the files give it
	Score      []float64   // the level on the 300-850 scale (ScoreOf of Percentile)
	Mass       [][]float64 // pi_j(x): share of group j at the level; each row sums to 1
	Repay      [][]float64 // rho_j(x): probability that a member of group j at the level repays
	Count      []float64   // people of each group in the sample (totals.csv)
}

// scoreMap is the piecewise-linear map from percentile rank to the
// 300-850 scale, the points listed in the data directory's README.md.
var scoreMap = [][2]float64{
	{0, 300}, {2.1, 350}, {6.3, 400}, {11.7, 450}, {18.2, 500}, {26.1, 550},
	{35.7, 600}, {47.7, 650}, {61.5, 700}, {78.5, 750}, {94.3, 800}, {100, 850},
}

// ScoreOf maps a percentile rank p in [0, 100] to the 300-850 scale by
// linear interpolation between the points of the data README; ranks
// outside [0, 100] are clamped to the ends.
func ScoreOf(p float64) float64 {
	if p <= scoreMap[0][0] {
		return scoreMap[0][1]
	}
	for i := 1; i < len(scoreMap); i++ {
		x0, y0 := scoreMap[i-1][0], scoreMap[i-1][1]
		x1, y1 := scoreMap[i][0], scoreMap[i][1]
		if p <= x1 {
			return float64((p-x0)/(x1-x0)*(y1-y0)) + y0
		}
	}
	return scoreMap[len(scoreMap)-1][1]
}

// GroupIndex returns the column of the named group (exact spelling).
func (d *Data) GroupIndex(name string) (int, error) {
	for j, g := range d.Groups {
		if g == name {
			return j, nil
		}
	}
	return -1, fmt.Errorf("delayedimpact: unknown group %q (groups: %q)", name, d.Groups)
}

// Load reads the three TransRisk tables of dir: the cumulative
// distribution by group (masses are its differences), the default rates
// by group (rho = 1 - rate/100) and the sample counts.
func Load(dir string) (*Data, error) {
	cdfHead, cdfRows, err := readTable(filepath.Join(dir, CDFFile), "Score")
	if err != nil {
		return nil, err
	}
	perfHead, perfRows, err := readTable(filepath.Join(dir, PerformanceFile), "Score")
	if err != nil {
		return nil, err
	}
	totHead, totRows, err := readTable(filepath.Join(dir, TotalsFile), "Kind")
	if err != nil {
		return nil, err
	}
	groups := cdfHead[1:]
	if err := sameColumns(PerformanceFile, perfHead[1:], groups); err != nil {
		return nil, err
	}
	if err := sameColumns(TotalsFile, totHead[1:], groups); err != nil {
		return nil, err
	}
	if len(perfRows) != len(cdfRows) {
		return nil, fmt.Errorf("delayedimpact: %s has %d levels, %s %d", PerformanceFile, len(perfRows), CDFFile, len(cdfRows))
	}
	if len(totRows) != 1 {
		return nil, fmt.Errorf("delayedimpact: %s: want 1 row, have %d", TotalsFile, len(totRows))
	}
	n, m := len(cdfRows), len(groups)
	d := &Data{
		Groups:     append([]string(nil), groups...),
		Percentile: make([]float64, n),
		Score:      make([]float64, n),
		Mass:       make([][]float64, m),
		Repay:      make([][]float64, m),
		Count:      make([]float64, m),
	}
	for j := range groups {
		d.Mass[j] = make([]float64, n)
		d.Repay[j] = make([]float64, n)
	}
	cdf := make([][]float64, m)
	for j := range cdf {
		cdf[j] = make([]float64, n)
	}
	for i := range n {
		c, p := cdfRows[i], perfRows[i]
		if c.vals[0] != p.vals[0] {
			return nil, fmt.Errorf("delayedimpact: %s:%d: level %v, but %s:%d has %v", CDFFile, c.line, c.vals[0], PerformanceFile, p.line, p.vals[0])
		}
		if i > 0 && c.vals[0] <= d.Percentile[i-1] {
			return nil, fmt.Errorf("delayedimpact: %s:%d: level %v not above the previous %v", CDFFile, c.line, c.vals[0], d.Percentile[i-1])
		}
		d.Percentile[i] = c.vals[0]
		d.Score[i] = ScoreOf(c.vals[0])
		for j := range groups {
			v := c.vals[j+1]
			if v < 0 || v > 100 || (i > 0 && v < cdf[j][i-1]) {
				return nil, fmt.Errorf("delayedimpact: %s:%d: %s: cumulative share %v out of [previous, 100]", CDFFile, c.line, groups[j], v)
			}
			cdf[j][i] = v
			bad := p.vals[j+1]
			if bad < 0 || bad > 100 {
				return nil, fmt.Errorf("delayedimpact: %s:%d: %s: default rate %v out of [0, 100]", PerformanceFile, p.line, groups[j], bad)
			}
			d.Repay[j][i] = 1 - bad/100
		}
	}
	for j := range groups {
		total := cdf[j][n-1]
		if total <= 0 {
			return nil, fmt.Errorf("delayedimpact: %s: %s: the cumulative share never rises above 0", CDFFile, groups[j])
		}
		prev := 0.0
		for i := range n {
			d.Mass[j][i] = (cdf[j][i] - prev) / total
			prev = cdf[j][i]
		}
		c := totRows[0].vals[j+1]
		if c <= 0 {
			return nil, fmt.Errorf("delayedimpact: %s:%d: %s: count %v is not positive", TotalsFile, totRows[0].line, groups[j], c)
		}
		d.Count[j] = c
	}
	return d, nil
}

type row struct {
	line int
	vals []float64 // first column included, parsed as a number except in totals.csv
}

// readTable reads a CSV whose header starts with first; every later row
// has the header's width and numbers in every column but the first of
// totals.csv (its "Kind" label, stored as NaN).
func readTable(path, first string) ([]string, []row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("delayedimpact: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("delayedimpact: %s:1: header: %w", path, err)
	}
	if len(head) < 2 || head[0] != first {
		return nil, nil, fmt.Errorf("delayedimpact: %s:1: header %q: want %q and at least one group", path, head, first)
	}
	var rows []row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, nil, fmt.Errorf("delayedimpact: %s: %w", path, err)
		}
		vals := make([]float64, len(rec))
		for k, s := range rec {
			if k == 0 && first == "Kind" {
				vals[k] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				_, col := r.FieldPos(k)
				return nil, nil, fmt.Errorf("delayedimpact: %s:%d:%d: %s: %q is not a number", path, line, col, head[k], s)
			}
			vals[k] = v
		}
		rows = append(rows, row{line: line, vals: vals})
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("delayedimpact: %s: no rows", path)
	}
	return head, rows, nil
}

func sameColumns(file string, got, want []string) error {
	if len(got) != len(want) {
		return fmt.Errorf("delayedimpact: %s:1: groups %q, want %q", file, got, want)
	}
	for k := range got {
		if got[k] != want[k] {
			return fmt.Errorf("delayedimpact: %s:1: groups %q, want %q", file, got, want)
		}
	}
	return nil
}
