package audit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Interval is one figure over replicate runs: the mean of the replicates'
// values with its 95% confidence interval, the number of replicates that
// had a value (a rate with no denominator has none) and the values
// themselves, in replicate order (null where a replicate had none).
type Interval struct {
	Mean   Num   `json:"mean"`
	Lo     Num   `json:"lo"`
	Hi     Num   `json:"hi"`
	N      int   `json:"n"`
	Values []Num `json:"values"`
}

// CI turns replicate values into a mean and a 95% interval; NaN values are
// left out and n counts the rest. audit does not import sweep (sweep
// imports audit), so the caller passes sweep.MeanCI, the one
// implementation of the interval.
type CI func(values []float64) (mean, lo, hi float64, n int)

// NamedInterval is a figure's name with its interval.
type NamedInterval struct {
	Name string
	Interval
}

// Figures are named intervals in a fixed order; in JSON an object keyed
// by name, in that order.
type Figures []NamedInterval

// Get returns the named figure (an empty interval when there is none).
func (fs Figures) Get(name string) Interval {
	for _, f := range fs {
		if f.Name == name {
			return f.Interval
		}
	}
	return Interval{Mean: Num(math.NaN()), Lo: Num(math.NaN()), Hi: Num(math.NaN())}
}

// MarshalJSON implements json.Marshaler.
func (fs Figures) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, err := json.Marshal(f.Interval)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ReplicateRow is every figure of one attribute value over the replicates.
type ReplicateRow struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
	// SmallGroup is true when the row is small in any replicate.
	SmallGroup bool    `json:"small_group_warning"`
	Figures    Figures `json:"figures"`
}

// ReplicateWorst is a subgroup that some replicates list among their
// worst-treated; its share ever sanctioned is averaged over those.
type ReplicateWorst struct {
	Attribute string   `json:"attribute"`
	Value     string   `json:"value"`
	Listed    int      `json:"listed_in"`
	People    Interval `json:"people"`
	Ever      Interval `json:"ever_sanctioned"`
}

// ReplicateConditional is the gap at equal behaviour of one group.
type ReplicateConditional struct {
	Group       string   `json:"group"`
	WeightedGap Interval `json:"weighted_gap"`
	ScoreGap    Interval `json:"weighted_score_gap"`
}

// Replicates summarises the audits of replicate runs of one design: the
// same scenario text, overrides, population size and days, different
// seeds. Every figure of the single-run audit becomes an Interval.
type Replicates struct {
	Runs         []string               `json:"runs"`
	Seeds        []uint64               `json:"seeds"`
	Scenario     string                 `json:"scenario"`
	Sets         []string               `json:"sets,omitempty"`
	Agents       int                    `json:"agents"`
	Days         int                    `json:"days"`
	Confidence   float64                `json:"confidence"`
	Method       string                 `json:"interval"`
	MinGroup     int                    `json:"min_group_size"`
	Reference    string                 `json:"reference_group"`
	Tiers        []string               `json:"tiers"`
	Headline     Figures                `json:"headline"`
	Overall      ReplicateRow           `json:"overall"`
	Groups       []ReplicateRow         `json:"groups"`
	Intersection []ReplicateRow         `json:"intersections,omitempty"`
	Conditional  []ReplicateConditional `json:"conditional_disparity"`
	Cascade      Figures                `json:"cascade"`
	Art5         Figures                `json:"eu_ai_act_art5"`
	VerdictsI    map[string]int         `json:"verdicts_i"`
	VerdictsII   map[string]int         `json:"verdicts_ii"`
	Worst        []ReplicateWorst       `json:"worst_subgroups"`
}

// HeadlineNames are the headline figures, named as the columns of a
// sweep's audit table (docs/experiments.md) so that `audit --point` and
// `sweep summarize --point` agree.
var HeadlineNames = []string{
	"mean_score", "gini", "best_tier_share", "worst_tier_share", "ever_sanctioned", "detained",
	"false_sanction_rate", "false_discovery_rate", "missed_violator_rate",
	"sanctioned_without_own_violation", "sanctioned_law_abiding",
	"children_blocked", "children_blocked_rate", "association_share",
	"cascaded", "cross_context_detriment_rate", "disproportionate_share",
	"gap_worst_tier", "gap_ever_sanctioned", "score_change",
}

// NotReplicatesError says runs given as replicates are not replicates of
// one design.
type NotReplicatesError struct{ Msg string }

func (e *NotReplicatesError) Error() string { return e.Msg }

// CheckReplicates refuses runs that are not replicates of one design:
// fewer than two, a different nosedive version or commit, scenario text,
// --set overrides, population
// size or number of days, or the same seed twice (identical runs).
func CheckReplicates(ms []*store.Manifest) error {
	if len(ms) < 2 {
		return &NotReplicatesError{"a single run gives no interval; use `nosedive audit RUN` for one run, or give two or more replicate runs"}
	}
	a := ms[0]
	seeds := map[uint64]string{}
	for _, m := range ms {
		var diff []string
		if m.Scenario.Text != a.Scenario.Text {
			diff = append(diff, fmt.Sprintf("scenario text (%s vs %s)", a.Scenario.Name, m.Scenario.Name))
		}
		if !slices.Equal(m.Scenario.Sets, a.Scenario.Sets) {
			diff = append(diff, fmt.Sprintf("--set overrides ([%s] vs [%s])", strings.Join(a.Scenario.Sets, " "), strings.Join(m.Scenario.Sets, " ")))
		}
		if m.Version != a.Version || m.Commit != a.Commit {
			diff = append(diff, fmt.Sprintf("nosedive version (%s vs %s): their results come from two engines", buildName(a.Build), buildName(m.Build)))
		}
		if m.Agents != a.Agents {
			diff = append(diff, fmt.Sprintf("population size (%d vs %d agents)", a.Agents, m.Agents))
		}
		if m.Days != a.Days {
			diff = append(diff, fmt.Sprintf("days (%d vs %d)", a.Days, m.Days))
		}
		if len(diff) > 0 {
			return &NotReplicatesError{fmt.Sprintf("%s and %s are not replicates of one design: they differ in %s", a.ID, m.ID, strings.Join(diff, ", "))}
		}
		if other, ok := seeds[m.Seed]; ok {
			return &NotReplicatesError{fmt.Sprintf("%s and %s have the same seed %d: they are the same run, not two replicates", other, m.ID, m.Seed)}
		}
		seeds[m.Seed] = m.ID
	}
	return nil
}

// buildName names a nosedive build in messages.
func buildName(b store.Build) string {
	v := b.Version
	if v == "" {
		v = "unrecorded"
	}
	if b.Commit != "" {
		v += " commit " + b.Commit
	}
	return v
}

// Summarize combines the audits of replicate runs (CheckReplicates their
// manifests first). The audits must share their reference group, or the
// disparities would compare against different groups.
func Summarize(reps []*Report, ms []*store.Manifest, ci CI) (*Replicates, error) {
	if len(reps) < 2 || len(reps) != len(ms) {
		return nil, &NotReplicatesError{"a single run gives no interval; use `nosedive audit RUN` for one run"}
	}
	if err := sameReference(reps); err != nil {
		return nil, err
	}
	s := newReplicates(reps, ms[0])
	f := replicateFigures{reps: reps, ci: ci}
	s.Headline = f.headline()
	s.Overall = f.rows(s, func(r *Report) []Row { return []Row{r.Overall} })[0]
	s.Groups = f.rows(s, func(r *Report) []Row { return r.Groups })
	s.Intersection = f.rows(s, func(r *Report) []Row { return r.Intersections })
	s.Conditional = f.conditional()
	s.Cascade = f.cascade()
	s.Art5 = f.art5()
	s.Worst = f.worst()
	return s, nil
}

// sameReference fails unless every audit uses the same reference group,
// naming each reference with its number of runs in first-seen order.
func sameReference(reps []*Report) error {
	refs := map[string][]string{}
	for _, r := range reps {
		refs[r.Reference] = append(refs[r.Reference], r.Run)
	}
	if len(refs) > 1 {
		var parts []string
		for _, r := range reps {
			if runs, ok := refs[r.Reference]; ok {
				parts = append(parts, fmt.Sprintf("%s in %d", r.Reference, len(runs)))
				delete(refs, r.Reference)
			}
		}
		return &NotReplicatesError{fmt.Sprintf("the replicates' audits use different reference groups (%s); audit them together with %s to fix one", strings.Join(parts, ", "), "`nosedive audit RUN RUN...` (or --reference)")}
	}
	return nil
}

// newReplicates fills what the replicates share (from the first audit and
// manifest m) and lists their runs, seeds and Art. 5 verdicts.
func newReplicates(reps []*Report, m *store.Manifest) *Replicates {
	first := reps[0]
	s := &Replicates{Scenario: first.Scenario, Sets: m.Scenario.Sets, Agents: m.Agents, Days: m.Days,
		Confidence: 0.95, Method: "Student t over replicates", MinGroup: first.MinGroup, Reference: first.Reference,
		Tiers: m.Names.Tiers, VerdictsI: map[string]int{}, VerdictsII: map[string]int{}}
	for _, r := range reps {
		s.Runs = append(s.Runs, r.Run)
		s.Seeds = append(s.Seeds, r.Seed)
		s.VerdictsI[r.Art5.VerdictI]++
		s.VerdictsII[r.Art5.VerdictII]++
	}
	return s
}

// replicateFigures turns one value per replicate into an interval.
type replicateFigures struct {
	reps []*Report
	ci   CI
}

// interval builds one figure from a value per replicate.
func (f replicateFigures) interval(get func(r *Report) float64) Interval {
	xs := make([]float64, len(f.reps))
	iv := Interval{Values: make([]Num, len(f.reps))}
	for i, r := range f.reps {
		x := get(r)
		if math.IsInf(x, 0) {
			x = math.NaN() // a ratio against zero has no mean
		}
		xs[i], iv.Values[i] = x, Num(x)
	}
	mean, lo, hi, n := f.ci(xs)
	iv.Mean, iv.Lo, iv.Hi, iv.N = Num(mean), Num(lo), Num(hi), n
	return iv
}

// named is interval with the figure's name.
func (f replicateFigures) named(name string, get func(r *Report) float64) NamedInterval {
	return NamedInterval{Name: name, Interval: f.interval(get)}
}

// headline is the headline figures, then the institution columns of the first audit.
func (f replicateFigures) headline() Figures {
	var out Figures
	for _, name := range append(slices.Clone(HeadlineNames), InstitutionColumns(f.reps[0])...) {
		out = append(out, f.named(name, func(r *Report) float64 { return HeadlineFigure(r, name) }))
	}
	return out
}

// rows matches the rows pick returns by attribute and value across
// replicates, in first-seen order, and builds each one's figures.
func (f replicateFigures) rows(s *Replicates, pick func(r *Report) []Row) []ReplicateRow {
	var keys [][2]string
	for _, r := range f.reps {
		for _, row := range pick(r) {
			k := [2]string{row.Attribute, row.Value}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	var out []ReplicateRow
	for _, k := range keys {
		get := func(r *Report) *Row {
			for i, row := range pick(r) {
				if row.Attribute == k[0] && row.Value == k[1] {
					return &pick(r)[i]
				}
			}
			return nil
		}
		out = append(out, s.row(f.reps, k, get, f.interval))
	}
	return out
}

// conditional is the gaps at equal behaviour per group, groups in first-seen order.
func (f replicateFigures) conditional() []ReplicateConditional {
	var groups []string
	for _, r := range f.reps {
		for _, c := range r.Conditional {
			if !slices.Contains(groups, c.Group) {
				groups = append(groups, c.Group)
			}
		}
	}
	var out []ReplicateConditional
	for _, g := range groups {
		cond := func(get func(c Conditional) float64) Interval {
			return f.interval(func(r *Report) float64 {
				for _, c := range r.Conditional {
					if c.Group == g {
						return get(c)
					}
				}
				return math.NaN()
			})
		}
		out = append(out, ReplicateConditional{Group: g,
			WeightedGap: cond(func(c Conditional) float64 { return c.WeightedGap }),
			ScoreGap:    cond(func(c Conditional) float64 { return c.ScoreGap })})
	}
	return out
}

// cascade is the figures of sanction cascades along ties.
func (f replicateFigures) cascade() Figures {
	return Figures{
		f.named("sanctioned", func(r *Report) float64 { return float64(r.Cascade.Sanctioned) }),
		f.named("seeds", func(r *Report) float64 { return float64(r.Cascade.Seeds) }),
		f.named("cascaded", func(r *Report) float64 { return float64(r.Cascade.Cascaded) }),
		f.named("cascaded_without_own_violation", func(r *Report) float64 { return float64(r.Cascade.CascadedNoViolation) }),
		f.named("mean_depth", func(r *Report) float64 { return r.Cascade.MeanDepth }),
		f.named("max_depth", func(r *Report) float64 { return float64(r.Cascade.MaxDepth) }),
	}
}

// art5 is the figures of the EU AI Act Art. 5(1)(c) lens.
func (f replicateFigures) art5() Figures {
	return Figures{
		f.named("sanction_instances", func(r *Report) float64 { return float64(r.Art5.SanctionInstances) }),
		f.named("cross_context_detriment_rate", func(r *Report) float64 { return float64(r.Art5.CrossContext.Value) }),
		f.named("disproportionate_share", func(r *Report) float64 { return float64(r.Art5.Proportionality.Disproportionate.Value) }),
		f.named("without_own_conduct_share", func(r *Report) float64 { return float64(r.Art5.Proportionality.NoOwnConduct.Value) }),
		f.named("median_severity_ratio", func(r *Report) float64 { return float64(r.Art5.Proportionality.MedianRatio) }),
	}
}

// worst is every subgroup any replicate lists among its worst treated,
// most often listed first, then by highest mean share ever sanctioned.
func (f replicateFigures) worst() []ReplicateWorst {
	var wkeys [][2]string
	for _, r := range f.reps {
		for _, w := range r.Worst {
			if k := [2]string{w.Attribute, w.Value}; !slices.Contains(wkeys, k) {
				wkeys = append(wkeys, k)
			}
		}
	}
	var out []ReplicateWorst
	for _, k := range wkeys {
		listed := 0
		pick := func(get func(w Row) float64) Interval {
			return f.interval(func(r *Report) float64 {
				for _, w := range r.Worst {
					if w.Attribute == k[0] && w.Value == k[1] {
						return get(w)
					}
				}
				return math.NaN()
			})
		}
		ever := pick(func(w Row) float64 { return float64(w.Ever.Value) })
		for _, v := range ever.Values {
			if !math.IsNaN(float64(v)) {
				listed++
			}
		}
		out = append(out, ReplicateWorst{Attribute: k[0], Value: k[1], Listed: listed,
			People: pick(func(w Row) float64 { return float64(w.N) }), Ever: ever})
	}
	slices.SortStableFunc(out, func(a, b ReplicateWorst) int {
		if a.Listed != b.Listed {
			return b.Listed - a.Listed
		}
		return cmp.Compare(b.Ever.Mean, a.Ever.Mean)
	})
	return out
}

// row builds the figures of one attribute value; get returns a
// replicate's row or nil when the replicate has none.
func (s *Replicates) row(reps []*Report, k [2]string, get func(*Report) *Row, interval func(func(*Report) float64) Interval) ReplicateRow {
	out := ReplicateRow{Attribute: k[0], Value: k[1]}
	for _, r := range reps {
		if row := get(r); row != nil && row.SmallGroup {
			out.SmallGroup = true
		}
	}
	fig := func(name string, f func(row *Row) float64) {
		out.Figures = append(out.Figures, NamedInterval{Name: name, Interval: interval(func(r *Report) float64 {
			if row := get(r); row != nil {
				return f(row)
			}
			return math.NaN()
		})})
	}
	fig("people", func(r *Row) float64 { return float64(r.N) })
	fig("mean_score", func(r *Row) float64 { return r.MeanScore })
	for _, t := range s.Tiers {
		fig("tier_"+t, func(r *Row) float64 { return float64(find(r.Tiers, t).Value) })
	}
	var sanctions []string
	for _, r := range reps {
		if row := get(r); row != nil {
			for _, x := range row.Sanctions {
				if !slices.Contains(sanctions, x.Name) {
					sanctions = append(sanctions, x.Name)
				}
			}
		}
	}
	for _, name := range sanctions {
		fig("sanction_"+name, func(r *Row) float64 { return float64(find(r.Sanctions, name).Value) })
	}
	fig("ever_sanctioned", func(r *Row) float64 { return float64(r.Ever.Value) })
	fig("detained", func(r *Row) float64 { return float64(r.Detention.Value) })
	fig("false_sanction_rate", func(r *Row) float64 { return float64(r.FalseSanctionRate.Value) })
	fig("false_discovery_rate", func(r *Row) float64 { return float64(r.FalseDiscoveryRate.Value) })
	fig("missed_violator_rate", func(r *Row) float64 { return float64(r.MissedViolatorRate.Value) })
	fig("sanctioned_without_own_violation", func(r *Row) float64 { return float64(r.NoOwnViolation) })
	fig("sanctioned_law_abiding", func(r *Row) float64 { return float64(r.LawAbiding.Value) })
	fig("children_blocked", func(r *Row) float64 { return float64(r.ChildrenBlocked) })
	fig("children_blocked_rate", func(r *Row) float64 { return float64(r.ChildrenBlockedRate.Value) })
	fig("association_share", func(r *Row) float64 { return r.Loss.AssociationShare })
	fig("gini", func(r *Row) float64 { return r.Gini })
	fig("score_change", func(r *Row) float64 { return float64(r.ScoreChange) })
	var metrics []string
	for _, r := range reps {
		if row := get(r); row != nil {
			for _, d := range row.Disparities {
				if !slices.Contains(metrics, d.Metric) {
					metrics = append(metrics, d.Metric)
				}
			}
		}
	}
	disp := func(r *Row, metric string) *Disparity {
		for i := range r.Disparities {
			if r.Disparities[i].Metric == metric {
				return &r.Disparities[i]
			}
		}
		return nil
	}
	for _, metric := range metrics {
		fig("ratio_"+metric, func(r *Row) float64 {
			if d := disp(r, metric); d != nil {
				return float64(d.Ratio)
			}
			return math.NaN()
		})
		fig("difference_"+metric, func(r *Row) float64 {
			if d := disp(r, metric); d != nil {
				return float64(d.Difference)
			}
			return math.NaN()
		})
	}
	return out
}

// HeadlineFigure is one of HeadlineNames, or of InstitutionColumns, for
// one audit (sweeps' audit tables use it too). The gaps are the largest
// minus the smallest value over the groups that are not small.
func HeadlineFigure(r *Report, name string) float64 {
	o := r.Overall
	tier := func(row Row, last bool) float64 {
		if len(row.Tiers) == 0 {
			return math.NaN()
		}
		if last {
			return float64(row.Tiers[len(row.Tiers)-1].Value)
		}
		return float64(row.Tiers[0].Value)
	}
	gap := func(f func(Row) float64) float64 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, g := range r.Groups {
			if g.Attribute != "group" || g.SmallGroup {
				continue
			}
			v := f(g)
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi >= lo {
			return hi - lo
		}
		return 0
	}
	switch name {
	case "mean_score":
		return o.MeanScore
	case "gini":
		return o.Gini
	case "best_tier_share":
		return tier(o, false)
	case "worst_tier_share":
		return tier(o, true)
	case "ever_sanctioned":
		return float64(o.Ever.Value)
	case "detained":
		return float64(o.Detention.Value)
	case "false_sanction_rate":
		return float64(o.FalseSanctionRate.Value)
	case "false_discovery_rate":
		return float64(o.FalseDiscoveryRate.Value)
	case "missed_violator_rate":
		return float64(o.MissedViolatorRate.Value)
	case "sanctioned_without_own_violation":
		return float64(o.NoOwnViolation)
	case "sanctioned_law_abiding":
		return float64(o.LawAbiding.Value)
	case "children_blocked":
		return float64(o.ChildrenBlocked)
	case "children_blocked_rate":
		return float64(o.ChildrenBlockedRate.Value)
	case "association_share":
		return o.Loss.AssociationShare
	case "cascaded":
		return float64(r.Cascade.Cascaded)
	case "cross_context_detriment_rate":
		return float64(r.Art5.CrossContext.Value)
	case "disproportionate_share":
		return float64(r.Art5.Proportionality.Disproportionate.Value)
	case "gap_worst_tier":
		return gap(func(g Row) float64 { return tier(g, true) })
	case "gap_ever_sanctioned":
		return gap(func(g Row) float64 { return float64(g.Ever.Value) })
	case "score_change":
		return float64(o.ScoreChange)
	}
	if v, ok := institutionFigure(r, name); ok {
		return v
	}
	if _, _, _, ok := institutionColumn(name); ok {
		return math.NaN() // an institution or category this audit does not have
	}
	panic("audit: unknown headline figure " + name)
}

// LoadAggregates reads a run directory without its agents table (a sweep
// run keeps none unless its sweep file says keep: [agents]): the
// manifest, scenario and daily aggregates, enough for a report with its
// audit.json. Agents is nil; Compute needs Load.
func LoadAggregates(dir string) (*Run, error) {
	m, err := store.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	sc, err := scenario.Load(m.Scenario.File, []byte(m.Scenario.Text), m.Scenario.Sets)
	if err != nil {
		return nil, fmt.Errorf("%s: the stored scenario no longer validates: %w", dir, err)
	}
	daily, err := store.ReadTable(filepath.Join(dir, store.DailyFile))
	if err != nil {
		return nil, err
	}
	return &Run{Dir: dir, Manifest: m, Scenario: sc, Daily: daily}, nil
}
