package audit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Explanation answers "why is this citizen where they are?" in the shape of
// harm-metrics.md: an additive breakdown, principal reasons in adverse-action
// style, who else contributed, and the smallest change that would have
// changed the tier.
type Explanation struct {
	Run       string   `json:"run"`
	Agent     int32    `json:"citizen_id"`
	Day       int      `json:"tick"`
	Region    string   `json:"region"`
	Group     string   `json:"group"`
	Age       string   `json:"age"`
	Traits    []string `json:"traits"`
	Children  int      `json:"children"`
	Partner   int32    `json:"partner"`
	Score     float64  `json:"score"`
	Tier      string   `json:"tier"`
	NextTier  string   `json:"next_better_tier,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	Capped    string   `json:"cap,omitempty"`
	Detained  bool     `json:"detained"`
	Flags     []string `json:"flags"`
	Sanctions []Span   `json:"sanctions"`
	BaseValue float64  `json:"base_value"`

	Contributions    []Contribution   `json:"contributions"`
	Sum              float64          `json:"sum_of_parts"`
	Exact            bool             `json:"sum_equals_score"`
	MatchesStored    bool             `json:"matches_stored_run"`
	PrincipalReasons []string         `json:"principal_reasons"`
	Reference        string           `json:"reference"`
	Counterfactuals  []Counterfactual `json:"counterfactuals"`
	TierChanges      []TierChange     `json:"tier_changes"`
	Trajectory       []float64        `json:"trajectory"`
	Events           []EventCount     `json:"events"`
}

// Span is a period under a sanction (End -1 = still in force).
type Span struct {
	Name    string `json:"name"`
	Context string `json:"context"`
	Start   int    `json:"start_day"`
	End     int    `json:"end_day"`
}

// Contribution is one additive part of the final score.
type Contribution struct {
	Rule          string  `json:"rule"`
	Points        float64 `json:"points"`
	VsReference   float64 `json:"vs_reference"`
	Origin        string  `json:"origin"` // own behaviour, partner, acquaintances, own characteristics, system
	OwnBehaviour  bool    `json:"own_behaviour"`
	Via           []int32 `json:"via,omitempty"`
	SourceContext string  `json:"source_context"`
	Times         int     `json:"times"`
	Source        string  `json:"source,omitempty"`
	Description   string  `json:"description,omitempty"`
}

// Counterfactual is a single change and the tier it would have given,
// holding everything else fixed.
type Counterfactual struct {
	Change   string  `json:"change"`
	NewScore float64 `json:"new_score"`
	NewTier  string  `json:"new_tier"`
}

// TierChange is a move between tiers at the end of a day.
type TierChange struct {
	Day  int    `json:"day"`
	From string `json:"from"`
	To   string `json:"to"`
}

// EventCount counts the agent's events of one behaviour.
type EventCount struct {
	Behaviour string `json:"behaviour"`
	Attempted int    `json:"attempted"`
	Blocked   int    `json:"blocked"`
	Detected  int    `json:"detected"`
}

// Explain builds the explanation of agent a from a replay trace and the
// final state of that replay, and checks it against the stored run.
func Explain(r *Run, a int32, final *sim.Final, tr *sim.Trace) (*Explanation, error) {
	m := r.Manifest
	if a < 0 || int(a) >= m.Agents {
		return nil, &BadAgentError{Agent: a, Agents: m.Agents}
	}
	end := agentEnd{Score: final.Score[a], Tier: final.Tier[a], Flags: final.Flags[a], Partner: final.Partner[a],
		Detained: final.Detained[a], Baseline: final.BaselineAt(int(a)), Names: final.ContribNames,
		Contrib: make([]int32, len(final.ContribNames))}
	for k := range end.Contrib {
		end.Contrib[k] = final.ContribAt(int(a), k)
	}
	return explain(r, a, &end, tr)
}

// agentEnd is one agent's state at the end of a run: what an explanation
// needs of a replay's sim.Final, or of the stored trace (ExplainStored).
type agentEnd struct {
	Score    int32
	Tier     uint8
	Flags    uint32
	Partner  int32
	Detained bool
	Baseline int32
	Names    []string // contribution names (sim.Engine.ContribNames)
	Contrib  []int32  // per name, fixed point
}

// explain builds the explanation of agent a from its state at the end of
// the run and its trace; its steps fill the Explanation in order.
func explain(r *Run, a int32, final *agentEnd, tr *sim.Trace) (*Explanation, error) {
	nm := r.Manifest.Names
	x := explainHeader(r, a, final)
	ref, refDesc := r.reference(final.Tier)
	x.Reference = refDesc
	var sum int64
	x.Contributions, sum = breakdown(r, a, final, tr, ref)
	x.Sum = float64(sum) / daily.ScoreScale
	x.Exact = sum == int64(final.Score)
	x.MatchesStored = matchesStored(r, a, final, x.Tier)
	maxBase := maxBaseline(r)
	x.setTier(r.Scenario, nm.Tiers, int(final.Tier))
	x.Trajectory, x.TierChanges = trajectory(tr, nm.Tiers)
	x.Sanctions = sanctionSpans(tr, r.Manifest)
	x.Events = eventCounts(tr, nm.Behaviours)
	x.PrincipalReasons = principalReasons(x, maxBase)
	x.Counterfactuals = counterfactuals(r, x, maxBase)
	return x, nil
}

// explainHeader returns the explanation's who and where: the agent's
// attributes, traits, final score, tier and flags.
func explainHeader(r *Run, a int32, final *agentEnd) *Explanation {
	m := r.Manifest
	nm := m.Names
	x := &Explanation{Run: m.ID, Agent: a, Day: m.Days,
		Region: r.strs("region")[a], Group: r.strs("group")[a], Age: r.strs("age")[a],
		Children: int(r.ints("children")[a]), Partner: final.Partner,
		Score: fixed(final.Score), Tier: nm.Tiers[final.Tier], Detained: final.Detained,
		BaseValue: fixed(final.Baseline)}
	for t, name := range nm.Traits {
		if r.bools(name)[a] {
			x.Traits = append(x.Traits, nm.Traits[t])
		}
	}
	for f, name := range nm.Flags {
		if final.Flags&(1<<uint(f)) != 0 {
			x.Flags = append(x.Flags, name)
		}
	}
	return x
}

// breakdown returns the additive parts of the main score from the replay's
// own books (fixed point, exact), classified by origin, and their sum with
// the baseline.
func breakdown(r *Run, a int32, final *agentEnd, tr *sim.Trace, ref map[string]float64) ([]Contribution, int64) {
	m := r.Manifest
	sum := int64(final.Baseline)
	times := map[int]int{}
	for _, ch := range tr.Changes {
		times[int(ch.Rule)]++
	}
	pop := r.Population()
	var out []Contribution
	for k, name := range final.Names {
		if store.ScoreOfContribution(m, name) != store.MainScore {
			continue // it moves an extra score (see Report.Scores)
		}
		v := int64(final.Contrib[k])
		sum += v
		if v == 0 {
			continue
		}
		c := Contribution{Rule: name, Points: float64(v) / daily.ScoreScale, Times: times[k], VsReference: float64(v)/daily.ScoreScale - ref[name]}
		if k < len(m.Rules) {
			ruleOrigin(&c, m, k, a, tr, pop)
		} else if pi := slices.IndexFunc(m.Privileges, func(p store.PrivilegeInfo) bool { return p.Name == name }); pi >= 0 {
			privilegeOrigin(&c, m.Privileges[pi])
		} else {
			systemOrigin(&c, name)
		}
		out = append(out, c)
	}
	return out, sum
}

// ruleOrigin says where the part of rule k came from: the agent's own
// behaviour, their partner, their acquaintances or their characteristics.
func ruleOrigin(c *Contribution, m *store.Manifest, k int, a int32, tr *sim.Trace, pop *population.Population) {
	ri := m.Rules[k]
	c.Source, c.Description = ri.Source, ri.Description
	switch {
	case ri.Kind == "event":
		c.Origin, c.OwnBehaviour = "own behaviour", true
		c.SourceContext = eventContext(m, ri.On)
	case strings.Contains(ri.Via, "partner"):
		c.Origin, c.SourceContext = "partner", "social ties"
		c.Via = partnersVia(tr, k)
	case ri.Via == "acquaintances":
		c.Origin, c.SourceContext = "acquaintances", "social ties"
		c.Via = append(c.Via, pop.Graph.Neighbours(a, nil)...)
	default:
		c.Origin, c.SourceContext = "own characteristics", "personal characteristics"
	}
}

// eventContext returns the context of the behaviour or institution event
// on (the last match wins), or "" when none matches.
func eventContext(m *store.Manifest, on string) string {
	ctx := ""
	for _, b := range m.Behaviours {
		if b.Name == on {
			ctx = b.Context
		}
	}
	if inst, _, ok := scenario.InstitutionEvent(on); ok {
		for _, x := range m.Institutions {
			if x.Name == inst {
				ctx = x.Context
			}
		}
	}
	return ctx
}

// partnersVia returns the distinct partners, in order of first charge,
// through whom rule k changed the score.
func partnersVia(tr *sim.Trace, k int) []int32 {
	var via []int32
	seen := map[int32]bool{}
	for _, ch := range tr.Changes {
		if int(ch.Rule) == k {
			if p := tr.Days[ch.Day-1].Partner; p >= 0 && !seen[p] {
				seen[p] = true
				via = append(via, p)
			}
		}
	}
	return via
}

// privilegeOrigin describes the part of privilege p: the charges it waived.
func privilegeOrigin(c *Contribution, p store.PrivilegeInfo) {
	c.Origin, c.SourceContext, c.Source = "privilege", p.Context, p.Source
	c.Description = "charges of " + strings.Join(p.Waives, ", ") + " waived by the privilege"
	if p.Description != "" {
		c.Description += ": " + p.Description
	}
}

// systemOrigin describes a part the engine itself made (recovery, clamp,
// release).
func systemOrigin(c *Contribution, name string) {
	c.Origin, c.SourceContext = "system", "-"
	c.Description = map[string]string{
		sim.ContribRecovery: "daily recovery toward the target score",
		sim.ContribClamp:    "score held inside the allowed range",
		sim.ContribRelease:  "score reset on release from detention",
	}[name]
}

// matchesStored says whether the replay reproduces the stored run exactly:
// score, tier and every contribution column.
func matchesStored(r *Run, a int32, final *agentEnd, tier string) bool {
	stored := int64(math.Round(r.floats("score")[a] * daily.ScoreScale))
	ok := stored == int64(final.Score) && r.strs("tier")[a] == tier
	for k, name := range final.Names {
		col := r.floats("delta_" + colSafe(name))
		if int64(math.Round(col[a]*daily.ScoreScale)) != int64(final.Contrib[k]) {
			ok = false
		}
	}
	return ok
}

// maxBaseline returns the most favoured starting score: a baseline below
// it is itself a reason.
func maxBaseline(r *Run) float64 {
	maxBase := math.Inf(-1)
	for _, b := range r.floats("baseline") {
		maxBase = max(maxBase, b)
	}
	return maxBase
}

// setTier fills in the next better tier and its threshold, and the cap
// when the group's cap holds the agent below the tier their score earns.
func (x *Explanation) setTier(sc *scenario.Scenario, tiers []string, ti int) {
	raw := sc.TierOf(x.Score, "", "\x00") // no caps apply to this group name
	if ti > 0 {
		x.NextTier = tiers[ti-1]
		th := *sc.Tiers.Levels[ti-1].Min
		x.Threshold = &th
	}
	if raw < ti {
		x.Capped = fmt.Sprintf("%s %s is capped: the score (%.1f) would earn %s, but this group can rank no better than %s",
			"group", x.Group, x.Score, tiers[raw], x.Tier)
	}
}

// trajectory returns the score at the end of each traced day and the
// moves between tiers.
func trajectory(tr *sim.Trace, tiers []string) ([]float64, []TierChange) {
	traj := make([]float64, len(tr.Days))
	var changes []TierChange
	for d, day := range tr.Days {
		traj[d] = fixed(day.Score)
		if d > 0 && day.Tier != tr.Days[d-1].Tier {
			changes = append(changes, TierChange{Day: day.Day, From: tiers[tr.Days[d-1].Tier], To: tiers[day.Tier]})
		}
	}
	return traj, changes
}

// sanctionSpans returns the periods under each sanction, by start day
// (End -1 for those still in force).
func sanctionSpans(tr *sim.Trace, m *store.Manifest) []Span {
	var spans []Span
	open := map[int]*Span{}
	for _, day := range tr.Days {
		for s, name := range m.Names.Sanctions {
			on := day.Sanctions&(1<<uint(s)) != 0
			if sp, ok := open[s]; ok && !on {
				sp.End = day.Day
				spans = append(spans, *sp)
				delete(open, s)
			} else if !ok && on {
				open[s] = &Span{Name: name, Context: m.Sanctions[s].Context, Start: day.Day, End: -1}
			}
		}
	}
	for s := range m.Names.Sanctions {
		if sp, ok := open[s]; ok {
			spans = append(spans, *sp)
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	return spans
}

// eventCounts returns the agent's attempted, blocked and detected events
// per behaviour, for the behaviours they attempted at all.
func eventCounts(tr *sim.Trace, behaviours []string) []EventCount {
	ev := make([]EventCount, len(behaviours))
	for b, name := range behaviours {
		ev[b].Behaviour = name
	}
	for _, day := range tr.Days {
		for _, e := range day.Events {
			ev[e.Behaviour].Attempted++
			if e.Blocked {
				ev[e.Behaviour].Blocked++
			}
			if e.Detected {
				ev[e.Behaviour].Detected++
			}
		}
	}
	var out []EventCount
	for _, e := range ev {
		if e.Attempted > 0 {
			out = append(out, e)
		}
	}
	return out
}

func fixed(v int32) float64 { return float64(v) / daily.ScoreScale }

// BadAgentError says an agent id is out of range.
type BadAgentError struct {
	Agent  int32
	Agents int
}

func (e *BadAgentError) Error() string {
	return fmt.Sprintf("no agent %d: this run has agents 0 to %d", e.Agent, e.Agents-1)
}

// reference returns the mean contribution per rule of the people just above
// the threshold of the tier better than `tier`: those who made it.
func (r *Run) reference(tier uint8) (map[string]float64, string) {
	m := r.Manifest
	out := map[string]float64{}
	if tier == 0 {
		return out, "none: the person is in the best tier"
	}
	better := m.Names.Tiers[tier-1]
	lo := *r.Scenario.Tiers.Levels[tier-1].Min
	span := r.Scenario.Scoring.Range[1] - r.Scenario.Scoring.Range[0]
	hi := lo + float64(0.05*span)
	score, tiers := r.floats("score"), r.strs("tier")
	var members []int
	for i := range score {
		if tiers[i] == better && score[i] >= lo && score[i] < hi {
			members = append(members, i)
		}
	}
	what := fmt.Sprintf("the %d people just above the %s threshold (%.0f to %.0f points)", len(members), better, lo, hi)
	if len(members) == 0 {
		// Scores that jump (a listing, say) leave nobody near the
		// threshold: compare with everyone in the better tier instead.
		for i := range score {
			if tiers[i] == better {
				members = append(members, i)
			}
		}
		if len(members) == 0 {
			return out, fmt.Sprintf("none: nobody is in the %s tier", better)
		}
		what = fmt.Sprintf("the %d people in the %s tier (nobody is within 5%% of the range above its threshold)", len(members), better)
	}
	for _, name := range m.Names.Contributions {
		if store.ScoreOfContribution(m, name) != store.MainScore {
			continue
		}
		col := r.floats("delta_" + colSafe(name))
		s := 0.0
		for _, i := range members {
			s += col[i]
		}
		out[name] = s / float64(len(members))
	}
	return out, what
}

func principalReasons(x *Explanation, maxBase float64) []string {
	type cand struct {
		text string
		key  float64
	}
	var cands []cand
	for _, c := range x.Contributions {
		if c.Points >= 0 || c.Origin == "system" {
			continue
		}
		who := c.Origin
		if len(c.Via) > 0 && len(c.Via) <= 5 {
			who += fmt.Sprintf(" %v", c.Via)
		} else if len(c.Via) > 5 {
			who += fmt.Sprintf(" (%d people)", len(c.Via))
		}
		text := fmt.Sprintf("%s: %+.1f points (%+.1f vs reference) from %s", c.Rule, c.Points, c.VsReference, who)
		if c.Description != "" {
			text += " — " + c.Description
		}
		cands = append(cands, cand{text, math.Min(c.VsReference, c.Points)})
	}
	if gap := maxBase - x.BaseValue; gap > 0 {
		cands = append(cands, cand{fmt.Sprintf("starting score: %.0f points below the most favoured group's start because of group or region", gap), -gap})
	}
	if x.Capped != "" {
		cands = append(cands, cand{x.Capped, math.Inf(-1)})
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].key < cands[j].key })
	var out []string
	for k, c := range cands[:min(4, len(cands))] {
		out = append(out, fmt.Sprintf("R%02d %s", k+1, c.text))
	}
	return out
}

func counterfactuals(r *Run, x *Explanation, maxBase float64) []Counterfactual {
	sc := r.Scenario
	lo, hi := sc.Scoring.Range[0], sc.Scoring.Range[1]
	cur := sc.TierOf(x.Score, x.Region, x.Group)
	var out []Counterfactual
	try := func(change string, score float64, region, group string) {
		score = min(max(score, lo), hi)
		t := sc.TierOf(score, region, group)
		if t != cur {
			out = append(out, Counterfactual{Change: change, NewScore: score, NewTier: r.Manifest.Names.Tiers[t]})
		}
	}
	cs := append([]Contribution(nil), x.Contributions...)
	sort.SliceStable(cs, func(i, j int) bool { return math.Abs(cs[i].Points) < math.Abs(cs[j].Points) })
	for _, c := range cs {
		if c.Origin == "system" {
			continue
		}
		try("without the "+c.Rule+" rule", x.Score-c.Points, x.Region, x.Group)
	}
	if gap := maxBase - x.BaseValue; gap > 0 {
		try("with the most favoured group's starting score", x.Score+gap, x.Region, x.Group)
	}
	if x.Capped != "" {
		try("without the group cap", x.Score, x.Region, "\x00")
	}
	return out
}
