package store

import (
	"math"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// AgentsTable is the table agents.parquet would hold for a run's final
// state, built in memory without writing it: the same columns, and the
// values ReadTable would return for the written file (integers as Int,
// doubles as Float, booleans as Bool, strings as Str). Counterfactual twins
// that are audited and thrown away (`nosedive attribute`) use it.
func AgentsTable(m *Manifest, f *sim.Final) *Table {
	return memTable(agentColumns(m, f), f.Pop.N)
}

// DailyTable is the table daily.parquet would hold for the days, built in
// memory as AgentsTable is (a NULL double is NaN, a NULL integer NullInt,
// as ReadTable reads them).
func DailyTable(m *Manifest, days []*daily.Day) *Table {
	cols, n := dailyColumns(m, days)
	return memTable(cols, n)
}

// memTable evaluates the columns of rows [0, n) into a Table.
func memTable(cols []column, n int) *Table {
	t := &Table{Rows: n, Cols: make(map[string]*Column, len(cols)), Names: make([]string, len(cols))}
	for k := range cols {
		c := &cols[k]
		col := &Column{}
		switch c.typ {
		case tInt32:
			col.Int = make([]int64, n)
			for r := range col.Int {
				if c.null != nil && c.null(r) {
					col.Int[r] = NullInt
				} else {
					col.Int[r] = int64(c.i32(r))
				}
			}
		case tInt64:
			col.Int = make([]int64, n)
			for r := range col.Int {
				col.Int[r] = c.i64(r)
			}
		case tDouble:
			col.Float = make([]float64, n)
			for r := range col.Float {
				if c.null != nil && c.null(r) {
					col.Float[r] = math.NaN()
				} else {
					col.Float[r] = c.f64(r)
				}
			}
		case tBool:
			col.Bool = make([]bool, n)
			for r := range col.Bool {
				col.Bool[r] = c.b(r)
			}
		case tString:
			// The few distinct values are interned: one string per value,
			// not one per row.
			col.Str = make([]string, n)
			seen := map[string]string{}
			for r := range col.Str {
				b := c.s(r)
				s, ok := seen[string(b)]
				if !ok {
					s = string(b)
					seen[s] = s
				}
				col.Str[r] = s
			}
		}
		t.Cols[c.name] = col
		t.Names[k] = c.name
	}
	return t
}
