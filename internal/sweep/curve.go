package sweep

// The outcome curve of Liu, Dean, Rolf, Simchowitz and Hardt, "Delayed
// Impact of Fair Machine Learning" (ICML 2018), from a sweep: per group,
// the change of the group's mean score against the selection rate of an
// institution that approves a fixed share of each group (policy
// fixed-rate), with the points of its other policies marked and the
// paper's regions: active harm (the score change is below zero), relative
// harm (below max-utility's) and relative improvement (at or above it).
// docs/experiments.md#the-outcome-curve says how a sweep file asks for it.

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// The paper's regions of the outcome curve.
const (
	ActiveHarm          = "active harm"
	RelativeHarm        = "relative harm"
	RelativeImprovement = "relative improvement"
)

// Curve is the outcome curve of one institution over a sweep's points.
type Curve struct {
	Sweep       string   `json:"sweep"`
	Scenario    string   `json:"scenario"`
	Institution string   `json:"institution"`
	Groups      []string `json:"groups"`
	Replicates  int      `json:"replicates"`
	// Points are the fixed-rate points, by increasing rate; Marks the
	// points of every other policy, in point order.
	Points []CurvePoint `json:"points"`
	Marks  []CurvePoint `json:"marks"`
	// Regions are per group (in Groups' order), when the sweep has a
	// max-utility point to measure relative harm against.
	Regions []CurveRegions `json:"regions,omitempty"`
}

// CurvePoint is one design point: per group the selection rate of the
// institution's last decision and the group's score change, each the mean
// over the point's replicates with its 95% interval.
type CurvePoint struct {
	Point  int     `json:"point"`
	Policy string  `json:"policy"`
	Rate   float64 `json:"rate,omitempty"` // fixed-rate only
	// Selection and Change are indexed by group.
	Selection []Stat `json:"selection_rate"`
	Change    []Stat `json:"score_change"`
}

// CurveRegions splits one group's curve into the paper's regions:
// MaxUtility is max-utility's score change for the group (the mean over
// its replicates); Spans are the selection-rate intervals of each region,
// found where the piecewise-linear curve through the points' means
// crosses zero and MaxUtility.
type CurveRegions struct {
	Group      string  `json:"group"`
	MaxUtility float64 `json:"max_utility_score_change"`
	Spans      []Span  `json:"spans"`
}

// Span is an interval of selection rates in one region.
type Span struct {
	From   float64 `json:"from"`
	To     float64 `json:"to"`
	Region string  `json:"region"`
}

// CurveError says a sweep cannot give an outcome curve, and why.
type CurveError struct{ Msg string }

func (e *CurveError) Error() string { return e.Msg }

// OutcomeCurve reads the outcome curve of institution inst (the only one
// when inst is "") from the sweep in dir: its audit table gives each
// run's INSTITUTION_selection_rate_GROUP and score_change_GROUP, and each
// point's first finished run its policy.
func OutcomeCurve(dir, inst string) (*Curve, error) {
	res, err := ReadResults(dir)
	if err != nil {
		return nil, err
	}
	m := res.Manifest
	c := &Curve{Sweep: m.Name, Scenario: m.Scenario, Replicates: m.Replicates}
	for p := range m.Points {
		done, _ := m.PointRuns(dir, p)
		if len(done) == 0 {
			continue
		}
		rm, err := store.ReadManifest(done[0])
		if err != nil {
			return nil, err
		}
		x, err := pickInstitution(rm, inst)
		if err != nil {
			return nil, err
		}
		if c.Institution == "" {
			c.Institution, c.Groups = x.Name, rm.Names.Groups
		}
		if x.By != "group" {
			return nil, &CurveError{fmt.Sprintf("institution %s decides by %s: the outcome curve is per group, so it needs an institution that decides by group", x.Name, x.By)}
		}
		pt := CurvePoint{Point: p, Policy: x.Policy}
		if x.Rate != nil {
			pt.Rate = *x.Rate
		}
		for _, g := range c.Groups {
			sel, err := res.MetricIndex(colSafe(x.Name) + "_selection_rate_" + colSafe(g))
			if err != nil {
				return nil, &CurveError{err.Error()}
			}
			ch, err := res.MetricIndex("score_change_" + colSafe(g))
			if err != nil {
				return nil, &CurveError{err.Error()}
			}
			pt.Selection = append(pt.Selection, res.PointStats(sel)[p])
			pt.Change = append(pt.Change, res.PointStats(ch)[p])
		}
		if pt.Policy == "fixed-rate" {
			c.Points = append(c.Points, pt)
		} else {
			c.Marks = append(c.Marks, pt)
		}
	}
	if len(c.Points) < 2 {
		return nil, &CurveError{fmt.Sprintf("sweep %s has %d finished points of policy fixed-rate; the outcome curve needs at least two (vary institutions.NAME.rate, docs/experiments.md#the-outcome-curve)", m.Name, len(c.Points))}
	}
	sort.SliceStable(c.Points, func(i, j int) bool { return c.Points[i].Rate < c.Points[j].Rate })
	mu := slices.IndexFunc(c.Marks, func(p CurvePoint) bool { return p.Policy == "max-utility" })
	if mu >= 0 {
		for g, name := range c.Groups {
			xs, ys := c.Line(g)
			level := c.Marks[mu].Change[g].Mean
			c.Regions = append(c.Regions, CurveRegions{Group: name, MaxUtility: level, Spans: Spans(xs, ys, level)})
		}
	}
	return c, nil
}

// pickInstitution finds the named institution of a run, or its only one.
func pickInstitution(m *store.Manifest, name string) (*store.InstitutionInfo, error) {
	var names []string
	for k := range m.Institutions {
		x := &m.Institutions[k]
		names = append(names, x.Name)
		if x.Name == name {
			return x, nil
		}
	}
	switch {
	case len(names) == 0:
		return nil, &CurveError{fmt.Sprintf("the sweep's scenario %s has no institutions: the outcome curve is about an institution's decisions", m.Scenario.Name)}
	case name == "" && len(names) == 1:
		return &m.Institutions[0], nil
	case name == "":
		return nil, &CurveError{fmt.Sprintf("the scenario has several institutions (%v): name one with --institution", names)}
	}
	return nil, &CurveError{fmt.Sprintf("the scenario has no institution %q; it has %v", name, names)}
}

// Line is group g's curve: the points' mean selection rates and mean
// score changes, leaving out points where either is undefined.
func (c *Curve) Line(g int) (xs, ys []float64) {
	for _, p := range c.Points {
		x, y := p.Selection[g].Mean, p.Change[g].Mean
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

// Region names where a score change y lies against max-utility's mu:
// below zero is active harm (first, as in the paper: a fall of the mean
// score is harm whatever max-utility does), else below mu relative harm,
// else relative improvement.
func Region(y, mu float64) string {
	switch {
	case y < 0:
		return ActiveHarm
	case y < mu:
		return RelativeHarm
	}
	return RelativeImprovement
}

// Spans splits the piecewise-linear curve through (xs, ys), xs
// increasing, into intervals of one region each: it cuts every segment
// where it crosses zero or mu and names each piece by its midpoint.
func Spans(xs, ys []float64, mu float64) []Span {
	var out []Span
	add := func(from, to float64, region string) {
		if to <= from {
			return
		}
		if n := len(out); n > 0 && out[n-1].Region == region && out[n-1].To == from {
			out[n-1].To = to
			return
		}
		out = append(out, Span{From: from, To: to, Region: region})
	}
	for i := 0; i+1 < len(xs); i++ {
		x0, x1, y0, y1 := xs[i], xs[i+1], ys[i], ys[i+1]
		cuts := []float64{x0, x1}
		for _, level := range []float64{0, mu} {
			if (y0-level)*(y1-level) < 0 {
				t := (level - y0) / (y1 - y0)
				cuts = append(cuts, x0+float64(t*(x1-x0)))
			}
		}
		sort.Float64s(cuts)
		cuts = slices.Compact(cuts)
		for k := 0; k+1 < len(cuts); k++ {
			mid := float64((cuts[k] + cuts[k+1]) / 2) // rounded: halving is a multiply, which must not fuse with the subtraction
			t := (mid - x0) / (x1 - x0)
			add(cuts[k], cuts[k+1], Region(y0+float64(t*(y1-y0)), mu))
		}
	}
	return out
}
