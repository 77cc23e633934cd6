package audit

import (
	"math"
	"strings"
)

// Kind says what a headline figure measures: how it is printed and the
// range it can take. A 95% interval is clipped to that range when printed
// (a share's lower bound at 0, a count's at 0): the true value lies in the
// range, so the clipped interval covers it at least as often as the
// unclipped one.
type Kind uint8

const (
	// Share is a fraction of people or of sanctions, in [0, 1], printed
	// as a percentage.
	Share Kind = iota
	// Gap is the largest minus the smallest share over the groups, in
	// [0, 1], printed in percentage points.
	Gap
	// Count is a number of people, at least 0.
	Count
	// Score is a mean score, in the scenario's range (not clipped here).
	Score
	// Index is a Gini coefficient, in [0, 1].
	Index
	// Amount is a signed quantity that is not a share: a change of the
	// mean score, an institution's utility (printed as a number).
	Amount
)

// Bounds is the range a figure of kind k can take (NaN-free; ±Inf where
// open).
func (k Kind) Bounds() (lo, hi float64) {
	switch k {
	case Share, Gap, Index:
		return 0, 1
	case Count:
		return 0, inf
	}
	return -inf, inf
}

var inf = math.Inf(1)

// headline holds each headline figure's kind and what it means, in the
// words of docs/metrics.md.
var headline = map[string]struct {
	kind    Kind
	meaning string
}{
	"mean_score":                       {Score, "mean score of everyone at the end"},
	"gini":                             {Index, "Gini coefficient of the final scores"},
	"best_tier_share":                  {Share, "share in the best tier at the end"},
	"worst_tier_share":                 {Share, "share in the worst tier at the end"},
	"ever_sanctioned":                  {Share, "share of people sanctioned at some point"},
	"detained":                         {Share, "share detained at the end"},
	"false_sanction_rate":              {Share, "share of those who did nothing penalised who were sanctioned"},
	"false_discovery_rate":             {Share, "share of the sanctioned who did nothing penalised"},
	"missed_violator_rate":             {Share, "share of those who did something penalised who were never sanctioned"},
	"sanctioned_without_own_violation": {Count, "people sanctioned who did nothing penalised"},
	"sanctioned_law_abiding":           {Share, "share of the sanctioned who never did anything unlawful"},
	"children_blocked":                 {Count, "school-age children kept out of top schools"},
	"children_blocked_rate":            {Share, "share of school-age children kept out of top schools"},
	"association_share":                {Share, "share of points lost through partners and acquaintances"},
	"cascaded":                         {Count, "people sanctioned who were reached through a sanctioned tie"},
	"cross_context_detriment_rate":     {Share, "share of sanctions acting outside the context of the data that caused them"},
	"disproportionate_share":           {Share, "share of sanctions more than twice as severe as the gravest conduct penalised, or on no own conduct"},
	"gap_worst_tier":                   {Gap, "worst-tier share, most minus least affected group"},
	"gap_ever_sanctioned":              {Gap, "share ever sanctioned, most minus least affected group"},
	"score_change":                     {Amount, "mean score at the end minus on day 0"},
}

// institutionHeadline are the figures of an institution's last decision
// that a sweep's audit table has a column for, named INSTITUTION_FIGURE
// (every category together; threshold has none) and
// INSTITUTION_FIGURE_CATEGORY, longest name first (so that
// expected_utility is not read as utility).
var institutionHeadline = []instFigure{
	{"expected_utility", Amount, "expected utility of the institution's last decision"},
	{"selection_rate", Share, "selection rate of the institution's last decision"},
	{"threshold", Score, "threshold of the institution's last decision"},
	{"utility", Amount, "realised utility of the institution's last decision"},
	{"tpr", Share, "true-positive rate of the institution's last decision"},
}

// HeadlineKind is the kind of a headline figure, or of a per-group column
// of one (METRIC_GROUP, as a sweep's audit table names them); ok is false
// for a name that is neither.
func HeadlineKind(name string) (k Kind, ok bool) {
	base, ok := headlineBase(name)
	if !ok {
		if _, f, _, ok := institutionColumn(name); ok {
			return f.kind, true
		}
		return Share, false
	}
	return headline[base].kind, true
}

// HeadlineMeaning says in a few words what a headline figure (or a
// per-group column of one) measures; "" for other names.
func HeadlineMeaning(name string) string {
	base, ok := headlineBase(name)
	if !ok {
		if inst, f, cat, ok := institutionColumn(name); ok {
			m := strings.Replace(f.meaning, "the institution", "institution "+inst, 1)
			if cat != "" {
				m += ", category " + cat
			}
			return m
		}
		return ""
	}
	m := headline[base].meaning
	if base != name {
		m += ", group " + strings.TrimPrefix(name, base+"_")
	}
	return m
}

func headlineBase(name string) (string, bool) {
	if _, ok := headline[name]; ok {
		return name, true
	}
	// The longest headline name that prefixes name + "_" (mean_score_han
	// is mean_score of han, not a figure "mean").
	best := ""
	for k := range headline {
		if strings.HasPrefix(name, k+"_") && len(k) > len(best) {
			best = k
		}
	}
	return best, best != ""
}

// instFigure is an institution figure of the sweep's audit table.
type instFigure struct {
	name    string
	kind    Kind
	meaning string
}

// institutionColumn splits a column INSTITUTION_FIGURE[_CATEGORY] of a
// sweep's audit table (with - written as _).
func institutionColumn(name string) (inst string, f instFigure, cat string, ok bool) {
	for _, f := range institutionHeadline {
		i := strings.Index(name, "_"+f.name)
		if i <= 0 {
			continue
		}
		rest := name[i+1+len(f.name):]
		if rest != "" && !strings.HasPrefix(rest, "_") {
			continue
		}
		if f.name == "threshold" && rest == "" {
			continue // every category together has no threshold
		}
		return name[:i], f, strings.TrimPrefix(rest, "_"), true
	}
	return "", f, "", false
}

// InstitutionColumns names the institution columns of a sweep's audit
// table for an audit: per institution its last decision's figures for
// every category together, then per category.
func InstitutionColumns(rep *Report) []string {
	var out []string
	for _, in := range rep.Institutions {
		name := colSafe(in.Name)
		for _, f := range institutionHeadline {
			if f.name != "threshold" {
				out = append(out, name+"_"+f.name)
			}
		}
		for _, c := range in.Categories {
			for _, f := range institutionHeadline {
				out = append(out, name+"_"+f.name+"_"+colSafe(c.Category))
			}
		}
	}
	return out
}

// institutionFigure is the value of an institution column for an audit;
// ok is false when rep has no such column.
func institutionFigure(rep *Report, name string) (float64, bool) {
	for _, in := range rep.Institutions {
		prefix := colSafe(in.Name) + "_"
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, f := range institutionHeadline {
			rest, found := strings.CutPrefix(name[len(prefix):], f.name)
			if !found || rest != "" && !strings.HasPrefix(rest, "_") {
				continue
			}
			if rest == "" {
				if f.name == "threshold" {
					return 0, false
				}
				return LastDecisionFigure(in.All.Last, f.name), true
			}
			for _, c := range in.Categories {
				if "_"+colSafe(c.Category) == rest {
					return LastDecisionFigure(c.Last, f.name), true
				}
			}
		}
	}
	return 0, false
}

// LastDecisionFigure is one figure of a decision by its name
// (selection_rate, approval_rate, tpr, threshold, boundary, applicants,
// approved, expected_utility, utility): NaN when it is undefined or the
// name is none of these.
func LastDecisionFigure(d InstitutionDecision, name string) float64 {
	switch name {
	case "selection_rate":
		return float64(d.SelectionRate)
	case "approval_rate":
		return float64(d.ApprovalRate.Value)
	case "tpr":
		return float64(d.TPR)
	case "threshold":
		return float64(d.Threshold)
	case "boundary":
		return float64(d.Boundary)
	case "applicants":
		return float64(d.Applicants)
	case "approved":
		return float64(d.Approved)
	case "expected_utility":
		return d.ExpectedUtility
	case "utility":
		return d.Utility
	}
	return math.NaN()
}
