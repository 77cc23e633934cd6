package audit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// DefaultMinGroup is the group size below which figures carry a
// small-group warning: with fewer than 30 people a single person moves a
// rate by more than 3 percentage points.
const DefaultMinGroup = 30

// FourFifths is the screen's band for ratios against the reference group.
var FourFifths = [2]Num{0.8, 1.25}

// Options tune an audit.
type Options struct {
	By        []string // attributes: group, region, age, or a trait name
	Reference string   // reference value of the first attribute (default: the most favoured)
	MinGroup  int
}

// Figure is a rate with the counts behind it.
type Figure struct {
	Value       Num   `json:"value"`
	Numerator   int64 `json:"numerator"`
	Denominator int64 `json:"denominator"`
}

func rate(num, den int64) Figure {
	f := Figure{Numerator: num, Denominator: den}
	if den > 0 {
		f.Value = Num(float64(num) / float64(den))
	} else {
		f.Value = Num(math.NaN())
	}
	return f
}

// Named pairs a name with a figure.
type Named struct {
	Name string `json:"name"`
	Figure
}

// Disparity compares a group's rate with the reference group's.
type Disparity struct {
	Metric       string `json:"metric"`
	Rate         Num    `json:"rate"`
	Reference    Num    `json:"reference_rate"`
	Ratio        Num    `json:"ratio"`
	Difference   Num    `json:"difference"`
	OutsideBand  bool   `json:"outside_four_fifths"`
	HigherIsWors bool   `json:"higher_is_worse"`
	// Undefined says why the ratio is null, when it is: one of the rates
	// has no one in its denominator, or both rates are 0 (0/0: never
	// flagged outside the band), or only the reference rate is 0 (the ratio
	// is unbounded: flagged, since the group fares infinitely worse).
	Undefined string `json:"undefined,omitempty"`
}

// Loss splits a group's score loss by where it came from.
type Loss struct {
	Total            float64 `json:"total_points"`
	Own              float64 `json:"own_behaviour"`
	Partner          float64 `json:"partner"`
	Acquaintances    float64 `json:"acquaintances"`
	Baseline         float64 `json:"baseline"`
	Characteristics  float64 `json:"characteristics"` // periodic rules on one's own traits
	AssociationShare float64 `json:"association_share"`
}

// Row is every figure for one value of an attribute (or intersection).
type Row struct {
	Attribute  string  `json:"attribute"`
	Value      string  `json:"value"`
	N          int64   `json:"n"`
	SmallGroup bool    `json:"small_group_warning"`
	MeanScore  float64 `json:"mean_score"`
	Gini       float64 `json:"gini"`
	Tiers      []Named `json:"tiers"`
	Sanctions  []Named `json:"sanctions"` // at the end of the run
	Ever       Figure  `json:"ever_sanctioned"`
	Detention  Figure  `json:"detained"`
	// Ground truth: violators did at least one penalised behaviour.
	FalseSanctionRate  Figure `json:"false_sanction_rate"`  // sanctioned & not violator / not violator
	FalseDiscoveryRate Figure `json:"false_discovery_rate"` // sanctioned & not violator / sanctioned
	MissedViolatorRate Figure `json:"missed_violator_rate"` // not sanctioned & violator / violator
	NoOwnViolation     int64  `json:"sanctioned_without_own_violation"`
	// LawAbiding: of those ever sanctioned, the share who never did a
	// behaviour the scenario declares unlawful (lawful: false).
	LawAbiding Figure `json:"sanctioned_law_abiding"`
	// WithoutOwnLoss: of those ever sanctioned, the share whose own
	// behaviour never cost them a point: everything they lost came from
	// their characteristics, their starting score, their partner or their
	// acquaintances.
	WithoutOwnLoss      Figure      `json:"sanctioned_without_own_loss"`
	ChildrenBlocked     int64       `json:"children_blocked"`
	ChildrenBlockedRate Figure      `json:"children_blocked_rate"` // blocked children / school-age children
	Loss                Loss        `json:"loss"`
	Disparities         []Disparity `json:"disparities,omitempty"`
	// Privileged: who is rewarded (privileges.go); nil without privileges.
	Privileged *Privileged `json:"privileged,omitempty"`

	// ScoreChange is the mean score at the end minus that on day 0
	// (institutions.go); null for rows the daily table cannot split out.
	ScoreChange Num `json:"score_change"`
	// Scores are the extra scores' means (scores.go); nil without.
	Scores []ScoreMean `json:"scores,omitempty"`
}

// Report is audit.json.
type Report struct {
	Run string `json:"run"`
	// Nosedive is the nosedive that computed the audit (run.json names the
	// one that made the run).
	Nosedive      store.Build   `json:"nosedive"`
	Scenario      string        `json:"scenario"`
	Agents        int           `json:"agents"`
	Days          int           `json:"days"`
	Seed          uint64        `json:"seed"`
	MinGroup      int           `json:"min_group_size"`
	Reference     string        `json:"reference_group"`
	ReferenceWhy  string        `json:"reference_rule"`
	Overall       Row           `json:"overall"`
	Groups        []Row         `json:"groups"`
	Intersections []Row         `json:"intersections,omitempty"`
	Conditional   []Conditional `json:"conditional_disparity"`
	Cascade       Cascade       `json:"cascade"`
	Art5          Art5          `json:"eu_ai_act_art5"`
	Worst         []Row         `json:"worst_subgroups"`
	Chilling      []Chill       `json:"chilling,omitempty"`
	Ablations     []Ablation    `json:"ablations,omitempty"`
	Attribution   *Attribution  `json:"attribution,omitempty"`

	// Institutions audits the decisions of the scenario's institutions
	// (institutions.go), when it has any.
	Institutions []Institution `json:"institutions,omitempty"`
	// Findings are the plain-language findings with their figures, largest
	// and most certain first; Headline is their text.
	Findings []Finding `json:"findings"`
	Headline []string  `json:"headline"`
}

// attr is one attribute agents can be grouped by.
type attr struct {
	name   string
	values []string
	of     []int // value index per agent
}

func (r *Run) attribute(name string) (*attr, error) {
	m := r.Manifest
	a := &attr{name: name, of: make([]int, m.Agents)}
	var col []string
	switch name {
	case "group":
		a.values, col = m.Names.Groups, r.strs("group")
	case "region":
		a.values, col = m.Names.Regions, r.strs("region")
	case "age":
		a.values, col = m.Names.Ages, r.strs("age")
	default:
		if !slices.Contains(m.Names.Traits, name) {
			known := append([]string{"group", "region", "age"}, m.Names.Traits...)
			return nil, &BadAttributeError{Name: name, Known: known}
		}
		a.values = []string{"no", "yes"}
		for i, b := range r.bools(name) {
			if b {
				a.of[i] = 1
			}
		}
		return a, nil
	}
	idx := map[string]int{}
	for k, v := range a.values {
		idx[v] = k
	}
	for i, s := range col {
		a.of[i] = idx[s]
	}
	return a, nil
}

// BadAttributeError says --by named something agents are not grouped by.
type BadAttributeError struct {
	Name  string
	Known []string
}

func (e *BadAttributeError) Error() string {
	return fmt.Sprintf("cannot group by %q; use one of %s", e.Name, strings.Join(e.Known, ", "))
}

// agentFacts are the per-agent quantities every row aggregates.
type agentFacts struct {
	score, baseline []float64
	tier            []string
	sanctionedEnd   [][]bool // [sanction][agent]
	anyEnd, ever    []bool
	detained        []bool
	violator        []bool
	lawbreaker      []bool
	kids            []int64
	schoolBlocked   []bool
	loss            []Loss // per agent
	priv            *privFacts
}

func (r *Run) facts() *agentFacts {
	m := r.Manifest
	n := m.Agents
	f := &agentFacts{score: r.floats("score"), baseline: r.floats("baseline"), tier: r.strs("tier"),
		detained: r.bools("detained"), kids: r.ints("children")}
	f.anyEnd = make([]bool, n)
	f.priv = r.privFacts()
	f.schoolBlocked = make([]bool, n)
	for k, s := range m.Names.Sanctions {
		col := r.bools("sanction_" + colSafe(s))
		f.sanctionedEnd = append(f.sanctionedEnd, col)
		for i, b := range col {
			if b {
				f.anyEnd[i] = true
				if m.Sanctions[k].School {
					f.schoolBlocked[i] = true
				}
			}
		}
	}
	first := r.ints("first_sanction_day")
	pen := r.ints("penalised_attempts")
	f.ever = make([]bool, n)
	f.violator = make([]bool, n)
	f.lawbreaker = make([]bool, n)
	for _, b := range m.Behaviours {
		if b.Lawful {
			continue
		}
		for i, x := range r.ints("attempted_" + colSafe(b.Name)) {
			if x > 0 {
				f.lawbreaker[i] = true
			}
		}
	}
	for i := 0; i < n; i++ {
		f.ever[i] = first[i] >= 0
		f.violator[i] = pen[i] > 0
	}
	// Loss by origin, per agent.
	maxBase := math.Inf(-1)
	for _, b := range f.baseline {
		maxBase = max(maxBase, b)
	}
	f.loss = make([]Loss, n)
	for _, ru := range m.Rules {
		if ru.Score != "" {
			continue // an extra score's rule: the losses here are the main score's
		}
		col := r.floats("delta_" + colSafe(ru.Name))
		for i, x := range col {
			if x >= 0 {
				continue
			}
			l := &f.loss[i]
			l.Total += -x
			switch {
			case ru.Kind == "event":
				l.Own += -x
			case strings.Contains(ru.Via, "partner") && strings.Contains(ru.Via, "acq"):
				l.Partner += float64(-x / 2)
				l.Acquaintances += float64(-x / 2)
			case ru.Via == "partner":
				l.Partner += -x
			case ru.Via == "acquaintances":
				l.Acquaintances += -x
			default:
				l.Characteristics += -x
			}
		}
	}
	for i, b := range f.baseline {
		if d := maxBase - b; d > 0 {
			f.loss[i].Baseline += d
			f.loss[i].Total += d
		}
	}
	return f
}

func colSafe(s string) string { return strings.ReplaceAll(s, "-", "_") }

// row aggregates the agents for which in(i) holds.
func (r *Run) row(f *agentFacts, attrName, value string, in func(i int) bool, minGroup int) Row {
	m := r.Manifest
	row := Row{Attribute: attrName, Value: value}
	tierN := make([]int64, len(m.Names.Tiers))
	sancN := make([]int64, len(m.Names.Sanctions))
	var anyN, everN, det, viol, nonViol, falseS, missed, kids, kidsBlocked, lawAbiding, noOwnLoss int64
	var sum float64
	var scores []float64
	tierIdx := map[string]int{}
	for k, t := range m.Names.Tiers {
		tierIdx[t] = k
	}
	for i := 0; i < m.Agents; i++ {
		if !in(i) {
			continue
		}
		row.N++
		sum += f.score[i]
		scores = append(scores, f.score[i])
		tierN[tierIdx[f.tier[i]]]++
		for k := range sancN {
			if f.sanctionedEnd[k][i] {
				sancN[k]++
			}
		}
		if f.anyEnd[i] {
			anyN++
		}
		if f.ever[i] {
			everN++
			if !f.lawbreaker[i] {
				lawAbiding++
			}
			if f.loss[i].Own == 0 {
				noOwnLoss++
			}
		}
		if f.detained[i] {
			det++
		}
		if f.violator[i] {
			viol++
			if !f.ever[i] {
				missed++
			}
		} else {
			nonViol++
			if f.ever[i] {
				falseS++
			}
		}
		kids += f.kids[i]
		if f.schoolBlocked[i] {
			kidsBlocked += f.kids[i]
		}
		l := f.loss[i]
		row.Loss.Total += l.Total
		row.Loss.Own += l.Own
		row.Loss.Partner += l.Partner
		row.Loss.Acquaintances += l.Acquaintances
		row.Loss.Baseline += l.Baseline
		row.Loss.Characteristics += l.Characteristics
	}
	row.SmallGroup = row.N < int64(minGroup)
	if row.N > 0 {
		row.MeanScore = sum / float64(row.N)
	}
	row.Gini = gini(scores, m)
	for k, t := range m.Names.Tiers {
		row.Tiers = append(row.Tiers, Named{Name: t, Figure: rate(tierN[k], row.N)})
	}
	for k, s := range m.Names.Sanctions {
		row.Sanctions = append(row.Sanctions, Named{Name: s, Figure: rate(sancN[k], row.N)})
	}
	row.Sanctions = append(row.Sanctions, Named{Name: "any", Figure: rate(anyN, row.N)})
	row.Ever = rate(everN, row.N)
	row.Detention = rate(det, row.N)
	row.FalseSanctionRate = rate(falseS, nonViol)
	row.FalseDiscoveryRate = rate(falseS, everN)
	row.MissedViolatorRate = rate(missed, viol)
	row.NoOwnViolation = falseS
	row.LawAbiding = rate(lawAbiding, everN)
	row.WithoutOwnLoss = rate(noOwnLoss, everN)
	row.ChildrenBlocked = kidsBlocked
	row.ChildrenBlockedRate = rate(kidsBlocked, kids)
	if row.Loss.Total > 0 {
		row.Loss.AssociationShare = (row.Loss.Partner + row.Loss.Acquaintances) / row.Loss.Total
	}
	row.Privileged = r.privileged(f, in, &row)
	row.Scores = r.scoreMeans(in)
	return row
}

// gini is the Gini coefficient of scores shifted to start at the bottom of
// the score range (so that it is defined for any range).
func gini(x []float64, _ any) float64 {
	if len(x) < 2 {
		return 0
	}
	s := slices.Clone(x)
	sort.Float64s(s)
	lo := s[0]
	var num, tot float64
	n := float64(len(s))
	for k, v := range s {
		v -= lo
		num += float64((float64(2*float64(k+1)) - n - 1) * v)
		tot += v
	}
	if tot == 0 {
		return 0
	}
	return num / (n * tot)
}

// worstTier returns the name of the last (worst) tier.
func (r *Run) worstTier() string { t := r.Manifest.Names.Tiers; return t[len(t)-1] }

func find(ns []Named, name string) Figure {
	for _, x := range ns {
		if x.Name == name {
			return x.Figure
		}
	}
	return Figure{Value: Num(math.NaN())}
}

// disparities compares a row with the reference row on the harm rates.
func (r *Run) disparities(row, ref Row) []Disparity {
	var out []Disparity
	add := func(metric string, a, b Figure) { out = append(out, compareRates(metric, a, b, true)) }
	add("tier_"+r.worstTier(), find(row.Tiers, r.worstTier()), find(ref.Tiers, r.worstTier()))
	for _, s := range row.Sanctions {
		add("sanction_"+s.Name, s.Figure, find(ref.Sanctions, s.Name))
	}
	add("ever_sanctioned", row.Ever, ref.Ever)
	add("detained", row.Detention, ref.Detention)
	add("false_sanction_rate", row.FalseSanctionRate, ref.FalseSanctionRate)
	add("children_blocked_rate", row.ChildrenBlockedRate, ref.ChildrenBlockedRate)
	return append(out, privilegeDisparities(row, ref)...)
}
