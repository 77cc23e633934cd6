package audit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/buildinfo"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// stamp names the nosedive computing an audit, as run.json names the one
// that made the run (internal/runner's Build, from the same source).
func stamp() store.Build {
	bi := buildinfo.Read()
	return store.Build{Version: buildinfo.Version, Commit: bi.Commit, Modified: bi.Modified}
}

// Conditional is the gap in sanction rates between a group and the
// reference group among people with the same amount of own penalised
// behaviour (the part of the disparity behaviour does not explain).
type Conditional struct {
	Group       string    `json:"group"`
	Strata      []Stratum `json:"strata"`
	WeightedGap float64   `json:"weighted_gap"` // sum over strata of n_g,s x (rate_g,s - rate_ref,s) / n_g
	ScoreGap    float64   `json:"weighted_score_gap"`
}

// Stratum is one band of own penalised behaviour.
type Stratum struct {
	Behaviour string  `json:"penalised_attempts"`
	N         int64   `json:"n"`
	Rate      Figure  `json:"ever_sanctioned"`
	RefRate   Figure  `json:"reference_ever_sanctioned"`
	MeanScore float64 `json:"mean_score"`
	RefScore  float64 `json:"reference_mean_score"`
}

var strata = []struct {
	name   string
	lo, hi int64
}{{"0", 0, 0}, {"1-2", 1, 2}, {"3-5", 3, 5}, {"6-10", 6, 10}, {"11-25", 11, 25}, {"26-60", 26, 60}, {"61+", 61, math.MaxInt64}}

// Compute audits a loaded run.
func Compute(r *Run, opt Options) (*Report, error) {
	if opt.MinGroup <= 0 {
		opt.MinGroup = DefaultMinGroup
	}
	if len(opt.By) == 0 {
		opt.By = []string{"group", "region"}
	}
	m := r.Manifest
	f := r.facts()
	rep := &Report{Run: m.ID, Nosedive: stamp(), Scenario: m.Scenario.Name, Agents: m.Agents, Days: m.Days, Seed: m.Seed, MinGroup: opt.MinGroup}
	rep.Overall = r.row(f, "all", "all", func(int) bool { return true }, opt.MinGroup)
	attrs := make([]*attr, len(opt.By))
	for k, name := range opt.By {
		a, err := r.attribute(name)
		if err != nil {
			return nil, err
		}
		attrs[k] = a
	}
	// Rows per value of each attribute; the reference is a value of the first.
	var firstRows []Row
	for k, a := range attrs {
		if len(a.values) < 2 && k > 0 {
			continue // one value: nothing to compare
		}
		var rows []Row
		for v, val := range a.values {
			v := v
			rows = append(rows, r.row(f, a.name, val, func(i int) bool { return a.of[i] == v }, opt.MinGroup))
		}
		if k == 0 {
			firstRows = rows
		}
		ref, why, err := reference(rows, opt.Reference, k == 0)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			rep.Reference, rep.ReferenceWhy = ref.Value, why
		}
		for j := range rows {
			rows[j].Disparities = r.disparities(rows[j], ref)
		}
		scoreGaps(rows, ref)
		rep.Groups = append(rep.Groups, rows...)
	}
	// Intersections of each pair of attributes.
	for x := 0; x < len(attrs); x++ {
		for y := x + 1; y < len(attrs); y++ {
			a, b := attrs[x], attrs[y]
			if len(a.values) < 2 || len(b.values) < 2 {
				continue
			}
			for va, na := range a.values {
				for vb, nb := range b.values {
					va, vb := va, vb
					row := r.row(f, a.name+"×"+b.name, na+"×"+nb, func(i int) bool { return a.of[i] == va && b.of[i] == vb }, opt.MinGroup)
					if row.N > 0 {
						rep.Intersections = append(rep.Intersections, row)
					}
				}
			}
		}
	}
	rep.Conditional = r.conditional(f, attrs[0], rep.Reference, opt.MinGroup)
	rep.Cascade = r.cascade(f)
	rep.Art5 = r.art5(f)
	rep.Worst = r.worst(f, opt.MinGroup)
	r.scoreChanges(rep)
	var err error
	if rep.Institutions, err = r.institutionsOf(opt.Reference); err != nil {
		return nil, err
	}
	rep.Findings = findings(rep, firstRows, r, f)
	rep.Headline = make([]string, len(rep.Findings))
	for i, fd := range rep.Findings {
		rep.Headline[i] = fd.Text
	}
	return rep, nil
}

// reference picks the reference row: the named value, or the most favoured
// (lowest ever-sanctioned rate among groups of adequate size).
func reference(rows []Row, name string, first bool) (Row, string, error) {
	if name != "" && first {
		var names []string
		for _, r := range rows {
			names = append(names, r.Value)
			if r.Value == name {
				return r, "chosen with --reference", nil
			}
		}
		return Row{}, "", &BadAttributeError{Name: name, Known: names}
	}
	best := -1
	for k, r := range rows {
		if r.N == 0 {
			continue
		}
		if best < 0 || (r.SmallGroup == rows[best].SmallGroup && r.Ever.Value < rows[best].Ever.Value) || (!r.SmallGroup && rows[best].SmallGroup) {
			best = k
		}
	}
	if best < 0 {
		return Row{}, "", fmt.Errorf("no agents to compare")
	}
	return rows[best], "most favoured: lowest share ever sanctioned", nil
}

func (r *Run) conditional(f *agentFacts, a *attr, ref string, minGroup int) []Conditional {
	pen := r.ints("penalised_attempts")
	refIdx := slices.Index(a.values, ref)
	type acc struct {
		n, s  int64
		score float64
	}
	cells := make([][]acc, len(a.values))
	for v := range cells {
		cells[v] = make([]acc, len(strata))
	}
	for i := 0; i < r.Manifest.Agents; i++ {
		s := 0
		for k, st := range strata {
			if pen[i] >= st.lo && pen[i] <= st.hi {
				s = k
			}
		}
		c := &cells[a.of[i]][s]
		c.n++
		c.score += f.score[i]
		if f.ever[i] {
			c.s++
		}
	}
	var out []Conditional
	for v, name := range a.values {
		if v == refIdx {
			continue
		}
		c := Conditional{Group: name}
		var n int64
		var gap, sgap float64
		for k, st := range strata {
			g, rf := cells[v][k], cells[refIdx][k]
			if g.n == 0 {
				continue
			}
			row := Stratum{Behaviour: st.name, N: g.n, Rate: rate(g.s, g.n), RefRate: rate(rf.s, rf.n), MeanScore: g.score / float64(g.n)}
			if rf.n > 0 {
				row.RefScore = rf.score / float64(rf.n)
			}
			c.Strata = append(c.Strata, row)
			if rf.n >= int64(minGroup) && g.n > 0 {
				n += g.n
				gap += float64(float64(g.n) * float64(row.Rate.Value-row.RefRate.Value))
				sgap += float64(float64(g.n) * (row.MeanScore - row.RefScore))
			}
		}
		if n > 0 {
			c.WeightedGap, c.ScoreGap = gap/float64(n), sgap/float64(n)
		}
		out = append(out, c)
	}
	return out
}

// Cascade describes how sanctions spread along ties (acquaintances and
// partners): a person is a seed when no tie was sanctioned before them,
// otherwise part of a cascade whose depth is one more than the shallowest
// earlier-sanctioned tie.
type Cascade struct {
	Sanctioned          int64   `json:"sanctioned"`
	Seeds               int64   `json:"seeds"`
	Cascaded            int64   `json:"cascaded"`
	CascadedNoViolation int64   `json:"cascaded_without_own_violation"`
	MeanSizePerSeed     float64 `json:"mean_cascade_size_per_seed"`
	MaxDepth            int     `json:"max_depth"`
	MeanDepth           float64 `json:"mean_depth"`
	DepthCounts         []int64 `json:"depth_counts"`
}

func (r *Run) cascade(f *agentFacts) Cascade {
	pop := r.Population()
	first := r.ints("first_sanction_day")
	partner := r.ints("partner")
	n := r.Manifest.Agents
	order := make([]int, 0)
	for i := 0; i < n; i++ {
		if first[i] >= 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return first[order[a]] < first[order[b]] })
	depth := make([]int32, n)
	for i := range depth {
		depth[i] = -1
	}
	var c Cascade
	c.Sanctioned = int64(len(order))
	sumDepth := 0
	var buf [64]int32
	for _, i := range order {
		best := int32(-1)
		consider := func(j int) {
			if j >= 0 && first[j] >= 0 && first[j] < first[i] && depth[j] >= 0 && (best < 0 || depth[j] < best) {
				best = depth[j]
			}
		}
		for _, j := range pop.Graph.Neighbours(int32(i), buf[:0]) {
			consider(int(j))
		}
		consider(int(pop.Partner[i]))
		consider(int(partner[i]))
		if best < 0 {
			depth[i] = 0
			c.Seeds++
		} else {
			depth[i] = best + 1
			c.Cascaded++
			if !f.violator[i] {
				c.CascadedNoViolation++
			}
		}
		d := int(depth[i])
		for len(c.DepthCounts) <= d {
			c.DepthCounts = append(c.DepthCounts, 0)
		}
		c.DepthCounts[d]++
		c.MaxDepth = max(c.MaxDepth, d)
		sumDepth += d
	}
	if c.Seeds > 0 {
		c.MeanSizePerSeed = float64(c.Cascaded) / float64(c.Seeds)
	}
	if c.Sanctioned > 0 {
		c.MeanDepth = float64(sumDepth) / float64(c.Sanctioned)
	}
	return c
}

// Art5 is the EU AI Act Art. 5(1)(c) lens: (i) detrimental treatment in
// social contexts unrelated to where the data came from; (ii) treatment
// unjustified or disproportionate to the behaviour or its gravity.
type Art5 struct {
	SanctionInstances int64             `json:"sanction_instances"`
	CrossContext      Figure            `json:"cross_context_detriment_rate"`
	ByContext         map[string]Figure `json:"cross_context_by_sanction"`
	Proportionality   Proportionality   `json:"proportionality"`
	VerdictI          string            `json:"verdict_i"`
	VerdictII         string            `json:"verdict_ii"`
	EvidenceI         string            `json:"evidence_i"`
	EvidenceII        string            `json:"evidence_ii"`
}

// Proportionality summarises severity(sanction) / gravity(own behaviour).
type Proportionality struct {
	Threshold        float64 `json:"threshold"`
	MedianRatio      Num     `json:"median_ratio"`
	Disproportionate Figure  `json:"share_above_threshold"`
	NoOwnConduct     Figure  `json:"share_without_own_conduct"`
}

// DisproportionThreshold is the ratio of sanction severity to behaviour
// gravity (both 0-10) above which a sanction counts as disproportionate.
const DisproportionThreshold = 2.0

// art5 measures both conditions of Art. 5(1)(c) over the sanctions in
// force at the end of the run, and gives a verdict on each.
func (r *Run) art5(f *agentFacts) Art5 {
	out := Art5{ByContext: map[string]Figure{}}
	t := r.art5Tally(f, r.art5Rules(), out.ByContext)
	out.SanctionInstances = t.inst
	out.CrossContext = rate(t.cross, t.inst)
	out.Proportionality = Proportionality{Threshold: DisproportionThreshold,
		Disproportionate: rate(t.disp, t.inst), NoOwnConduct: rate(t.noOwn, t.inst)}
	if len(t.ratios) > 0 {
		sort.Float64s(t.ratios)
		out.Proportionality.MedianRatio = Num(t.ratios[len(t.ratios)/2])
	}
	out.VerdictI, out.EvidenceI = verdict(out.CrossContext,
		"of sanctions act in a social context other than the one whose data drove the person's score down")
	out.VerdictII, out.EvidenceII = verdict(out.Proportionality.Disproportionate,
		fmt.Sprintf("of sanctions are more than %.0fx as severe as the gravest behaviour the person was penalised for, or hit people penalised for no conduct of their own", DisproportionThreshold))
	return out
}

// art5Rule is a main-score rule as Art. 5 sees it: the social context of
// the data it scores, and the gravity of the behaviour when it scores the
// person's own conduct.
type art5Rule struct {
	col     []float64
	ctx     string
	gravity float64
	own     bool
}

// art5Rules returns the main-score rules with their context and gravity.
func (r *Run) art5Rules() []art5Rule {
	m := r.Manifest
	ctxOfBehaviour := map[string]string{}
	gravity := map[string]float64{}
	for _, x := range m.Institutions { // rules on an institution's events
		for _, ev := range scenario.InstitutionEvents {
			ctxOfBehaviour[x.Name+"."+ev] = x.Context
		}
	}
	for _, b := range m.Behaviours {
		ctxOfBehaviour[b.Name] = b.Context
		gravity[b.Name] = b.Gravity
	}
	var rules []art5Rule
	for _, ru := range m.Rules {
		if ru.Score != "" {
			continue // it moves an extra score
		}
		rc := art5Rule{col: r.floats("delta_" + colSafe(ru.Name))}
		switch {
		case ru.Kind == "event":
			rc.ctx, rc.gravity, rc.own = ctxOfBehaviour[ru.On], gravity[ru.On], true
		case ru.Via == "self":
			rc.ctx = "personal characteristics"
		default:
			rc.ctx = "social ties"
		}
		rules = append(rules, rc)
	}
	return rules
}

// art5Counts are the sanction instances at the end of the run: all of
// them, those in another context than the one that drove the score down,
// the disproportionate ones, those without own conduct, and every
// instance's ratio of severity to gravity.
type art5Counts struct {
	cross, inst, disp, noOwn int64
	ratios                   []float64
}

// art5Tally classifies every sanction instance at the end of the run by
// the dominant context of the person's score loss and the proportion of
// its severity to their gravest penalised behaviour; it sets each
// sanction's cross-context rate in byContext.
func (r *Run) art5Tally(f *agentFacts, rules []art5Rule, byContext map[string]Figure) art5Counts {
	m := r.Manifest
	var cross, inst int64
	var ratios []float64
	var disp, noOwn int64
	for k, s := range m.Sanctions {
		var sc, si int64
		for i := 0; i < m.Agents; i++ {
			if !f.sanctionedEnd[k][i] {
				continue
			}
			si++
			// Dominant context of the person's score loss.
			loss := map[string]float64{}
			maxGrav, hasOwn := 0.0, false
			for _, rc := range rules {
				if x := rc.col[i]; x < 0 {
					loss[rc.ctx] += -x
					if rc.own {
						hasOwn = true
						maxGrav = max(maxGrav, rc.gravity)
					}
				}
			}
			if f.loss[i].Baseline > 0 {
				loss["personal characteristics"] += f.loss[i].Baseline
			}
			dom, best := "", -1.0
			keys := make([]string, 0, len(loss))
			for c := range loss {
				keys = append(keys, c)
			}
			sort.Strings(keys)
			for _, c := range keys {
				if loss[c] > best {
					dom, best = c, loss[c]
				}
			}
			// A sanction on children always acts in a context their own
			// data never entered.
			if s.Target == "children" || dom != s.Context {
				sc++
			}
			if !hasOwn {
				noOwn++
				ratios = append(ratios, math.Inf(1))
				disp++
			} else {
				ratio := s.Severity / max(maxGrav, 0.1)
				ratios = append(ratios, ratio)
				if ratio > DisproportionThreshold {
					disp++
				}
			}
		}
		byContext[s.Name] = rate(sc, si)
		cross += sc
		inst += si
	}
	return art5Counts{cross: cross, inst: inst, disp: disp, noOwn: noOwn, ratios: ratios}
}

func verdict(f Figure, what string) (string, string) {
	ev := fmt.Sprintf("%.1f%% (%d of %d) %s.", 100*float64(f.Value), f.Numerator, f.Denominator, what)
	switch {
	case f.Denominator == 0:
		return "no sanctions to assess", "No one was sanctioned in this run."
	case f.Value >= 0.10:
		return "likely prohibited", ev
	case f.Value > 0:
		return "concerns", ev
	}
	return "not observed", ev
}

// worst scans single attributes and pairs of them for the subgroups with the
// highest ever-sanctioned rate (groups below the minimum size are skipped).
func (r *Run) worst(f *agentFacts, minGroup int) []Row {
	names := append([]string{"group", "region", "age"}, r.Manifest.Names.Traits...)
	var attrs []*attr
	for _, n := range names {
		if a, err := r.attribute(n); err == nil && len(a.values) > 1 {
			attrs = append(attrs, a)
		}
	}
	type cand struct {
		label, value string
		in           func(int) bool
		n, s         int64
	}
	var cands []cand
	count := func(in func(int) bool) (n, s int64) {
		for i := 0; i < r.Manifest.Agents; i++ {
			if in(i) {
				n++
				if f.ever[i] {
					s++
				}
			}
		}
		return
	}
	for x := range attrs {
		for y := x; y < len(attrs); y++ {
			a, b := attrs[x], attrs[y]
			for va := range a.values {
				for vb := range b.values {
					if x == y && vb > 0 {
						break
					}
					va, vb := va, vb
					var in func(int) bool
					label, value := a.name, a.values[va]
					if x == y {
						in = func(i int) bool { return a.of[i] == va }
					} else {
						in = func(i int) bool { return a.of[i] == va && b.of[i] == vb }
						label, value = a.name+"×"+b.name, a.values[va]+"×"+b.values[vb]
					}
					n, s := count(in)
					if n >= int64(minGroup) {
						cands = append(cands, cand{label, value, in, n, s})
					}
				}
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		return float64(cands[i].s)/float64(cands[i].n) > float64(cands[j].s)/float64(cands[j].n)
	})
	var out []Row
	for _, c := range cands[:min(5, len(cands))] {
		out = append(out, r.row(f, c.label, c.value, c.in, minGroup))
	}
	return out
}

// pct prints a share as a percentage with the precision it needs: a small
// share is never printed as "0%" unless it is 0.
func pct[T ~float64](x T) string {
	p := 100 * float64(x)
	switch a := math.Abs(p); {
	case p == 0:
		return "0%"
	case a < 0.1:
		return "<0.1%"
	case a < 10:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// Finding is one plain-language finding with the figure behind it. Value
// is a share (0-1) with its numerator and denominator; findings are never
// built on an empty denominator.
type Finding struct {
	Text        string  `json:"text"`
	Metric      string  `json:"metric"`
	Value       float64 `json:"value"`
	Numerator   int64   `json:"numerator"`
	Denominator int64   `json:"denominator"`
	// Weight orders findings: the size of the figure less twice its
	// binomial standard error, so large and well-measured ones come first.
	Weight float64 `json:"weight"`
}

func finding(metric, text string, value float64, num, den int64) Finding {
	se := 0.0
	if den > 0 {
		se = math.Sqrt(max(value*(1-value), 0) / float64(den))
	}
	return Finding{Text: text, Metric: metric, Value: value, Numerator: num, Denominator: den, Weight: math.Abs(value) - 2*se}
}

// findings writes the plain-language findings, largest and most certain
// first. A figure that cannot be anything else (a share of people who did
// nothing penalised when everyone did something penalised, a tier share
// that is 0 in both groups compared) or whose denominator is empty is not
// a finding and is left out.
func findings(rep *Report, rows []Row, r *Run, f *agentFacts) []Finding {
	var out []Finding
	add := func(fd Finding) {
		if fd.Denominator > 0 && !math.IsNaN(fd.Value) {
			out = append(out, fd)
		}
	}
	worst := r.worstTier()
	if len(rows) > 1 {
		sorted := slices.Clone(rows)
		sort.SliceStable(sorted, func(i, j int) bool {
			return find(sorted[i].Tiers, worst).Value > find(sorted[j].Tiers, worst).Value
		})
		hi, lo := sorted[0], sorted[len(sorted)-1]
		h, l := find(hi.Tiers, worst), find(lo.Tiers, worst)
		if h.Denominator > 0 && l.Denominator > 0 && h.Value > l.Value {
			fd := finding("tier_"+worst+"_gap", fmt.Sprintf("By day %d, %s of %s %s is %s against %s of %s %s.",
				rep.Days, pct(h.Value), hi.Attribute, hi.Value, worst, pct(l.Value), lo.Attribute, lo.Value),
				float64(h.Value-l.Value), h.Numerator, h.Denominator)
			// The gap is as uncertain as the smaller group's share.
			se := math.Sqrt(float64(h.Value)*(1-float64(h.Value))/float64(h.Denominator) + float64(l.Value)*(1-float64(l.Value))/float64(l.Denominator))
			fd.Weight = fd.Value - 2*se
			add(fd)
		}
	}
	o := rep.Overall
	// People who did nothing penalised, and people who broke no law: only
	// where such people exist in numbers, and, for a share of 0, only where
	// one of them lost points (or was sanctioned): otherwise the share is 0
	// (or 100%) by construction, not a finding.
	nonViolators, lawAbiding := int64(0), int64(0)
	nonViolatorHit, lawAbidingHit := false, false
	unlawful := false
	for _, b := range r.Manifest.Behaviours {
		unlawful = unlawful || !b.Lawful
	}
	for i := range f.violator {
		hit := f.loss[i].Total > 0 || f.ever[i]
		if !f.violator[i] {
			nonViolators++
			nonViolatorHit = nonViolatorHit || hit
		}
		if !f.lawbreaker[i] {
			lawAbiding++
			lawAbidingHit = lawAbidingHit || hit
		}
	}
	minN := int64(rep.MinGroup)
	if o.Ever.Numerator > 0 && nonViolators >= minN && (o.FalseDiscoveryRate.Numerator > 0 || nonViolatorHit) {
		x := o.FalseDiscoveryRate
		add(finding("sanctioned_without_penalised_act", fmt.Sprintf("%s of the %d people sanctioned at some point (%s of everyone) had done nothing the regime penalises.",
			pct(x.Value), o.Ever.Numerator, pct(o.Ever.Value)), float64(x.Value), x.Numerator, x.Denominator))
	}
	if o.Ever.Numerator > 0 && unlawful && lawAbiding >= minN && int64(len(f.lawbreaker))-lawAbiding >= minN && (o.LawAbiding.Numerator > 0 || lawAbidingHit) {
		x := o.LawAbiding
		add(finding("sanctioned_law_abiding", fmt.Sprintf("%s of the %d people sanctioned at some point broke no law: everything they were scored for is lawful.",
			pct(x.Value), o.Ever.Numerator), float64(x.Value), x.Numerator, x.Denominator))
	}
	if x := o.WithoutOwnLoss; x.Numerator > 0 {
		add(finding("sanctioned_without_own_loss", fmt.Sprintf("%s of the people sanctioned at some point never lost a point for anything they did: their characteristics, starting score, partner or acquaintances put them there.",
			pct(x.Value)), float64(x.Value), x.Numerator, x.Denominator))
	}
	if o.Loss.Total > 0 && o.Loss.AssociationShare > 0.005 {
		add(finding("association_share", fmt.Sprintf("%s of all points lost came from partners and acquaintances rather than one's own behaviour.", pct(o.Loss.AssociationShare)),
			o.Loss.AssociationShare, 0, o.N))
	}
	if x := o.ChildrenBlockedRate; o.ChildrenBlocked > 0 {
		add(finding("children_blocked_rate", fmt.Sprintf("%d school-age children (%s of them) are kept out of top schools because of their parents' scores.", o.ChildrenBlocked, pct(x.Value)),
			float64(x.Value), x.Numerator, x.Denominator))
	}
	if x := o.Detention; x.Numerator > 0 {
		add(finding("detained", fmt.Sprintf("%d people (%s) are detained at the end of the run.", x.Numerator, pct(x.Value)), float64(x.Value), x.Numerator, x.Denominator))
	}
	for _, c := range rep.Conditional {
		if math.Abs(c.WeightedGap) >= 0.01 {
			n := int64(0)
			for _, s := range c.Strata {
				n += s.N
			}
			add(finding("conditional_gap", fmt.Sprintf("At equal behaviour, %s %s is %+.0f percentage points more likely to be sanctioned than %s.",
				rows[0].Attribute, c.Group, 100*c.WeightedGap, rep.Reference), math.Abs(c.WeightedGap), 0, n))
		}
	}
	if a := rep.Art5; a.SanctionInstances > 0 && a.CrossContext.Denominator > 0 {
		add(finding("cross_context_detriment", fmt.Sprintf("EU AI Act Art. 5(1)(c): cross-context detriment %s (%s), disproportionate treatment %s (%s).",
			pct(a.CrossContext.Value), a.VerdictI, pct(a.Proportionality.Disproportionate.Value), a.VerdictII),
			float64(a.CrossContext.Value), a.CrossContext.Numerator, a.CrossContext.Denominator))
	}
	for _, fd := range privilegeFindings(rep, rows) {
		add(fd)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Weight > out[j].Weight })
	return out
}

var _ = strings.Join
