package audit

import (
	"fmt"
	"math"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// Chill is the chilling effect on one lawful penalised behaviour: how much
// less people did it under the regime than in the regime-free twin (same
// people, same random numbers).
type Chill struct {
	Behaviour   string  `json:"behaviour"`
	Regime      int64   `json:"attempted_with_regime"`
	Twin        int64   `json:"attempted_without_regime"`
	Drop        float64 `json:"drop"`           // 1 - regime / twin over the run
	Immediate   float64 `json:"immediate_drop"` // over the first 30 days
	Final       float64 `json:"final_drop"`     // over the last 30 days
	TrendPerDay float64 `json:"trend_per_day"`  // OLS slope of the daily drop
	Daily       []Num   `json:"daily_ratio"`    // regime / twin per day (1..D)
}

// ChillWindow is the number of days used for the immediate and final drops.
const ChillWindow = 30

// ComputeChilling compares the run's daily attempts with its no-regime twin.
func ComputeChilling(r *Run, twinDir string) ([]Chill, error) {
	twin, err := store.ReadTable(twinDir + "/" + store.DailyFile)
	if err != nil {
		return nil, err
	}
	days := r.Manifest.Days
	var out []Chill
	for _, b := range r.Manifest.Behaviours {
		if !b.Penalised || !b.Lawful {
			continue
		}
		col := "attempted_" + colSafe(b.Name)
		reg, tw := perDay(r.Daily, col, days), perDay(twin, col, days)
		if reg == nil || tw == nil {
			return nil, fmt.Errorf("daily tables lack %s", col)
		}
		c := Chill{Behaviour: b.Name}
		for d := 1; d <= days; d++ {
			c.Regime += reg[d]
			c.Twin += tw[d]
			ratio := math.NaN()
			if tw[d] > 0 {
				ratio = float64(reg[d]) / float64(tw[d])
			}
			c.Daily = append(c.Daily, Num(ratio))
		}
		c.Drop = drop(reg, tw, 1, days)
		c.Immediate = drop(reg, tw, 1, min(ChillWindow, days))
		c.Final = drop(reg, tw, max(1, days-ChillWindow+1), days)
		c.TrendPerDay = -slope(c.Daily)
		out = append(out, c)
	}
	return out, nil
}

func perDay(t *store.Table, col string, days int) []int64 {
	c, ok := t.Cols[col]
	if !ok {
		return nil
	}
	out := make([]int64, days+1)
	for k, d := range t.Cols["day"].Int {
		if int(d) <= days {
			out[d] += c.Int[k]
		}
	}
	return out
}

func drop(reg, tw []int64, lo, hi int) float64 {
	var a, b int64
	for d := lo; d <= hi; d++ {
		a += reg[d]
		b += tw[d]
	}
	if b == 0 {
		return 0
	}
	return 1 - float64(a)/float64(b)
}

// slope is the least-squares slope of y against day index (NaNs skipped).
func slope(y []Num) float64 {
	var n, sx, sy, sxx, sxy float64
	for k, yv := range y {
		v := float64(yv)
		if math.IsNaN(v) {
			continue
		}
		x := float64(k + 1)
		n++
		sx += x
		sy += v
		sxx += float64(x * x)
		sxy += float64(x * v)
	}
	den := float64(n*sxx) - float64(sx*sx)
	if n < 2 || den == 0 {
		return 0
	}
	return (float64(n*sxy) - float64(sx*sy)) / den
}

// Ablation is the change in the headline harms when one rule is removed.
type Ablation struct {
	Rule    string             `json:"rule"`
	Metrics map[string]float64 `json:"with_rule"`
	Without map[string]float64 `json:"without_rule"`
	Effect  map[string]float64 `json:"effect"` // with - without
}

// Headline harm metrics used for ablation and attribution.
const (
	MetricGap      = "gap_worst_tier"   // worst-tier share: most minus least affected group
	MetricEver     = "ever_sanctioned"  // share ever sanctioned
	MetricChildren = "children_blocked" // school-age children blocked at the end
	MetricFalse    = "sanctioned_without_own_violation"
)

// HeadlineMetrics computes the metrics ablation and attribution explain.
func HeadlineMetrics(r *Run) (map[string]float64, error) {
	rep, err := Compute(r, Options{By: []string{"group"}})
	if err != nil {
		return nil, err
	}
	worst := r.worstTier()
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range rep.Groups {
		if g.SmallGroup {
			continue
		}
		v := float64(find(g.Tiers, worst).Value)
		lo, hi = min(lo, v), max(hi, v)
	}
	gap := 0.0
	if hi >= lo {
		gap = hi - lo
	}
	return map[string]float64{
		MetricGap:      gap,
		MetricEver:     float64(rep.Overall.Ever.Value),
		MetricChildren: float64(rep.Overall.ChildrenBlocked),
		MetricFalse:    float64(rep.Overall.NoOwnViolation),
	}, nil
}

// Attribution is added by `nosedive attribute`; see attribute.go.
type Attribution struct {
	Method string `json:"method"`
	// Choice says why exact or sampled values were computed.
	Choice      string                        `json:"choice,omitempty"`
	Rules       []string                      `json:"rules"`
	Metrics     []string                      `json:"metrics,omitempty"` // the figures attributed
	Total       map[string]float64            `json:"total_effect"`      // all rules minus no rules
	LeaveOneOut map[string]map[string]float64 `json:"leave_one_out"`
	Shapley     map[string]map[string]float64 `json:"shapley"`
	StdErr      map[string]map[string]float64 `json:"shapley_stderr,omitempty"`
	// Interval is each sampled value's 95% interval (Student t over the
	// permutation pairs); Pairs is their number.
	Interval map[string]map[string][2]float64 `json:"shapley_ci95,omitempty"`
	Pairs    int                              `json:"pairs,omitempty"`
	// Estimator is how the values were computed: "exact", "permutation"
	// or "kernel" (KernelSHAP, with CoalitionPairs sampled coalition
	// pairs besides the coalition sizes it enumerates).
	Estimator      string `json:"estimator,omitempty"`
	CoalitionPairs int    `json:"coalition_pairs,omitempty"`
	// Sum is the sum of each metric's Shapley values, checked against Total.
	Sum    map[string]float64 `json:"shapley_sum,omitempty"`
	Runs   int                `json:"runs"`
	Agents int                `json:"agents"`
}
