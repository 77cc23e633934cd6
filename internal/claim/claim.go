// Package claim runs what a scenario says about its regime.
//
// A scenario's `claims:` (docs/scenario-language.md) state figures of the
// audit (docs/metrics.md) with bounds and horizons: "a few per cent of
// Uyghurs are detained within the year" becomes the figure `detained` for
// group uyghur at 365 days between 0.01 and 0.08. Check runs the scenario
// once per horizon, audits each run (with the regime-free twin when a claim
// is about chilling), and says which claims hold. It also checks that the
// regime settles: unless the scenario names a trend (`trend:`), the mean
// score may move at most 5% of the score range a year after the first
// year, and no tier's share more than 5 percentage points a year.
//
// A claim whose figure is undefined (a rate with no one in its
// denominator) does not hold: a claim must be about something that can be
// measured.
package claim

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// Steadiness limits, per year after the first.
const (
	// MaxScoreDrift is the largest change of the mean score per year, as a
	// share of the score range.
	MaxScoreDrift = 0.05
	// MaxTierDrift is the largest change of a tier's share per year.
	MaxTierDrift = 0.05
	// window is the number of days averaged at each anniversary.
	window = 30
)

// Options choose the runs Check makes.
type Options struct {
	Agents  int    // population size (default: the scenario's)
	Seed    uint64 // default: the scenario's
	Workers int
	Sets    []string // --set overrides already applied to the scenario
	// Days, when larger than every claim's horizon, lengthens the longest
	// run, on which steadiness is checked.
	Days int
	// OutDir receives the run directories (default: a temporary directory,
	// removed afterwards).
	OutDir string
	// Progress, when set, is told of each run as it starts.
	Progress func(msg string)
}

// Result is one claim at one horizon.
type Result struct {
	Says    string   `json:"says"`
	Figure  string   `json:"figure"`
	Subject string   `json:"subject"`
	Versus  string   `json:"versus,omitempty"`
	At      int      `json:"at"`
	Value   *float64 `json:"value"` // nil when undefined
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Holds   bool     `json:"holds"`
	Why     string   `json:"why,omitempty"` // why it is undefined
	Source  string   `json:"source,omitempty"`
	Set     []string `json:"set,omitempty"` // the what-if the claim is about
}

// Drift is the change of the steady-state figures over one year.
type Drift struct {
	FromDay   int     `json:"from_day"`
	ToDay     int     `json:"to_day"`
	MeanScore float64 `json:"mean_score_change"` // share of the score range
	Tier      string  `json:"tier"`              // the tier whose share moved most
	TierShare float64 `json:"tier_share_change"`
}

// Steadiness is the check that the regime settles after its first year.
type Steadiness struct {
	Checked bool    `json:"checked"`
	Why     string  `json:"why,omitempty"` // why it was not checked
	Days    int     `json:"days"`
	Years   []Drift `json:"years"`
	Holds   bool    `json:"holds"`
}

// Outcome is everything Check found.
type Outcome struct {
	Scenario string     `json:"scenario"`
	Agents   int        `json:"agents"`
	Seed     uint64     `json:"seed"`
	Runs     []string   `json:"runs,omitempty"` // kept run directories
	Results  []Result   `json:"claims"`
	Steady   Steadiness `json:"steadiness"`
}

// Holds reports whether every claim and the steadiness check hold.
func (o *Outcome) Holds() bool {
	for _, r := range o.Results {
		if !r.Holds {
			return false
		}
	}
	return o.Steady.Holds || !o.Steady.Checked
}

// Failed counts the claims that do not hold.
func (o *Outcome) Failed() int {
	n := 0
	for _, r := range o.Results {
		if !r.Holds {
			n++
		}
	}
	if o.Steady.Checked && !o.Steady.Holds {
		n++
	}
	return n
}

// Check runs sc's claims.
func Check(ctx context.Context, sc *scenario.Scenario, opt Options) (*Outcome, error) {
	opt = withDefaults(sc, opt)
	days, longest := horizons(sc, opt)
	out, keep, done, err := runsDir(opt)
	if err != nil {
		return nil, err
	}
	defer done()
	o := &Outcome{Scenario: sc.Name, Agents: opt.Agents, Seed: opt.Seed}
	series := &dailySeries{}
	if err := o.asGiven(ctx, sc, opt, days, longest, out, keep, series); err != nil {
		return nil, err
	}
	if err := o.whatIfs(ctx, sc, opt, out, keep); err != nil {
		return nil, err
	}
	o.sortResults(sc)
	o.Steady = series.steadiness(sc)
	return o, nil
}

// withDefaults takes the agents and the seed from sc's run section when
// opt leaves them unset.
func withDefaults(sc *scenario.Scenario, opt Options) Options {
	if opt.Agents <= 0 {
		opt.Agents = sc.Run.Agents
	}
	if opt.Seed == 0 {
		opt.Seed = sc.Run.Seed
	}
	return opt
}

// horizons lists, increasingly, the days the scenario as given runs for:
// every claim's horizon and the longest (opt.Days, or sc's days when no
// claim or option gives one), also returned.
func horizons(sc *scenario.Scenario, opt Options) (days []int, longest int) {
	horizons := map[int]bool{}
	for _, c := range sc.Claims {
		for _, d := range c.At {
			horizons[d] = true
		}
	}
	longest = opt.Days
	for d := range horizons {
		longest = max(longest, d)
	}
	if longest == 0 {
		longest = sc.Run.Days
	}
	horizons[longest] = true
	days = make([]int, 0, len(horizons))
	for d := range horizons {
		days = append(days, d)
	}
	sort.Ints(days)
	return days, longest
}

// runsDir is where the runs go: opt.OutDir, kept, or else a temporary
// directory that done removes.
func runsDir(opt Options) (out string, keep bool, done func(), err error) {
	out = opt.OutDir
	keep = out != ""
	if keep {
		return out, keep, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "nosedive-check-*")
	if err != nil {
		return "", false, nil, fmt.Errorf("check: %w", err)
	}
	return tmp, false, func() { os.RemoveAll(tmp) }, nil
}

// asGiven runs the scenario as given at every horizon, the longest with
// the daily series for the steadiness check, and evaluates the claims
// without a set.
func (o *Outcome) asGiven(ctx context.Context, sc *scenario.Scenario, opt Options, days []int, longest int,
	out string, keep bool, series *dailySeries) error {
	base := func(c scenario.Claim) bool { return len(c.Set) == 0 }
	for _, d := range days {
		var onDay func(*daily.Day)
		if d == longest {
			onDay = series.add
		}
		if err := o.horizon(ctx, sc, opt, opt.Sets, d, out, keep, onDay, base); err != nil {
			return err
		}
	}
	return nil
}

// whatIfs evaluates the claims about a what-if: for each distinct set, in
// the order first given, the scenario loaded again with it and run at the
// horizons of its claims.
func (o *Outcome) whatIfs(ctx context.Context, sc *scenario.Scenario, opt Options, out string, keep bool) error {
	var sets []string
	for _, c := range sc.Claims {
		if k := strings.Join(c.Set, "\n"); k != "" && !slices.Contains(sets, k) {
			sets = append(sets, k)
		}
	}
	for _, k := range sets {
		extra := strings.Split(k, "\n")
		all := append(slices.Clone(opt.Sets), extra...)
		wsc, err := scenario.LoadContext(ctx, sc.File, sc.Source, all)
		if err != nil {
			return fmt.Errorf("check: %s with %s: %w", sc.Name, strings.Join(extra, " "), err)
		}
		mine := func(c scenario.Claim) bool { return strings.Join(c.Set, "\n") == k }
		hs := map[int]bool{}
		for _, c := range sc.Claims {
			if mine(c) {
				for _, d := range c.At {
					hs[d] = true
				}
			}
		}
		for _, d := range slices.Sorted(maps.Keys(hs)) {
			if err := o.horizon(ctx, wsc, opt, all, d, out, keep, nil, mine); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortResults puts the results in the order sc gives its claims, each
// claim's by horizon.
func (o *Outcome) sortResults(sc *scenario.Scenario) {
	order := map[string]int{}
	for i, c := range sc.Claims {
		order[c.Says+"\x00"+c.Figure+"\x00"+scenario.Subject(c.Group, c.Region)+"\x00"+strings.Join(c.Set, " ")] = i
	}
	sort.SliceStable(o.Results, func(i, j int) bool {
		a, b := o.Results[i], o.Results[j]
		ka, kb := order[a.Says+"\x00"+a.Figure+"\x00"+a.Subject+"\x00"+strings.Join(a.Set, " ")], order[b.Says+"\x00"+b.Figure+"\x00"+b.Subject+"\x00"+strings.Join(b.Set, " ")]
		if ka != kb {
			return ka < kb
		}
		return a.At < b.At
	})
}

// horizon runs sc (with the overrides sets, for the manifest) for d days,
// audits the run and evaluates the claims that pick chooses among those
// at horizon d.
func (o *Outcome) horizon(ctx context.Context, sc *scenario.Scenario, opt Options, sets []string, d int, out string, keep bool,
	onDay func(*daily.Day), pick func(scenario.Claim) bool) error {
	if opt.Progress != nil {
		what := ""
		if len(sets) > len(opt.Sets) {
			what = " with " + strings.Join(sets[len(opt.Sets):], " ")
		}
		opt.Progress(fmt.Sprintf("running %s%s for %d days at %d agents", sc.Name, what, d, opt.Agents))
	}
	spec := runner.Spec{Scenario: sc, Sets: sets, Agents: opt.Agents, Days: d, Seed: opt.Seed,
		Workers: opt.Workers, Ledger: "none", OutDir: out, OnDay: onDay}
	res, err := runner.Execute(ctx, spec)
	if err != nil {
		return err
	}
	if keep {
		o.Runs = append(o.Runs, res.Dir)
	}
	var claims []scenario.Claim
	chill := false
	for _, c := range sc.Claims {
		if pick(c) && slices.Contains(c.At, d) {
			claims = append(claims, c)
			k, _ := scenario.ParseFigure(c.Figure)
			chill = chill || k == "chilling" || k == "final_chilling"
		}
	}
	if len(claims) == 0 {
		return nil
	}
	run, err := audit.Load(res.Dir)
	if err != nil {
		return err
	}
	rep, err := audit.Compute(run, audit.Options{})
	if err != nil {
		return err
	}
	if chill {
		if opt.Progress != nil {
			opt.Progress(fmt.Sprintf("running the regime-free twin of the %d-day run", d))
		}
		twin, err := runner.Twin(ctx, res.Dir, runner.NoRegime, opt.Workers)
		if err != nil {
			return err
		}
		if rep.Chilling, err = audit.ComputeChilling(run, twin); err != nil {
			return err
		}
	}
	parts := map[string]*audit.Report{} // audits of the runs without some rules, by rule list
	for _, c := range claims {
		if len(c.Without) == 0 {
			o.Results = append(o.Results, Evaluate(c, d, rep))
			continue
		}
		key := strings.Join(c.Without, ", ")
		part, ok := parts[key]
		if !ok {
			if opt.Progress != nil {
				opt.Progress(fmt.Sprintf("running %s for %d days without %s", sc.Name, d, key))
			}
			if part, err = without(ctx, sc, opt, sets, d, out, c.Without); err != nil {
				return err
			}
			parts[key] = part
		}
		o.Results = append(o.Results, EvaluateWithout(c, d, rep, part))
	}
	return nil
}

// without runs sc (with the overrides sets) for days with the named rules
// switched off and audits the run.
func without(ctx context.Context, sc *scenario.Scenario, opt Options, sets []string, days int, out string, rules []string) (*audit.Report, error) {
	res, err := runner.Execute(ctx, runner.Spec{Scenario: sc, Sets: sets, Agents: opt.Agents, Days: days, Seed: opt.Seed,
		Workers: opt.Workers, Ledger: "none", OutDir: out, Disabled: rules})
	if err != nil {
		return nil, err
	}
	run, err := audit.Load(res.Dir)
	if err != nil {
		return nil, err
	}
	return audit.Compute(run, audit.Options{})
}

// EvaluateWithout computes c's figure as the ratio of its value in rep to
// its value in part, the audit of the run without c.Without's rules.
func EvaluateWithout(c scenario.Claim, at int, rep, part *audit.Report) Result {
	r := Result{Says: c.Says, Figure: c.Figure, Subject: scenario.Subject(c.Group, c.Region), At: at,
		Min: c.Min, Max: c.Max, Source: c.Source, Set: c.Set, Versus: "without " + strings.Join(c.Without, ", ")}
	v, why := figure(rep, c.Figure, c.Group, c.Region)
	if why == "" {
		w, whyW := figure(part, c.Figure, c.Group, c.Region)
		switch {
		case whyW != "":
			why = r.Versus + ": " + whyW
		case w == 0:
			why = "the figure " + r.Versus + " is 0, so the ratio is undefined"
		default:
			v /= w
		}
	}
	if why != "" {
		r.Why = why
		return r
	}
	r.Value = &v
	r.Holds = (c.Min == nil || v >= *c.Min) && (c.Max == nil || v <= *c.Max)
	return r
}

// Evaluate computes c's figure from an audit at horizon at.
func Evaluate(c scenario.Claim, at int, rep *audit.Report) Result {
	r := Result{Says: c.Says, Figure: c.Figure, Subject: scenario.Subject(c.Group, c.Region), At: at,
		Min: c.Min, Max: c.Max, Source: c.Source, Set: c.Set}
	v, why := figure(rep, c.Figure, c.Group, c.Region)
	if why == "" && c.Versus != nil {
		r.Versus = scenario.Subject(c.Versus.Group, c.Versus.Region)
		w, whyW := figure(rep, c.Figure, c.Versus.Group, c.Versus.Region)
		switch {
		case whyW != "":
			why = r.Versus + ": " + whyW
		case w == 0:
			why = fmt.Sprintf("the figure for %s is 0, so the ratio is undefined", r.Versus)
		default:
			v /= w
		}
	}
	if why != "" {
		r.Why = why
		return r
	}
	r.Value = &v
	r.Holds = (c.Min == nil || v >= *c.Min) && (c.Max == nil || v <= *c.Max)
	return r
}

// figure returns one figure of the audit for a subject, or why it is
// undefined.
func figure(rep *audit.Report, name, group, region string) (float64, string) {
	kind, arg := scenario.ParseFigure(name)
	rate := func(f audit.Figure) (float64, string) {
		if f.Denominator == 0 {
			return 0, "no one in the denominator"
		}
		return float64(f.Value), ""
	}
	switch kind {
	case "cross_context_detriment":
		return rate(rep.Art5.CrossContext)
	case "disproportionate":
		return rate(rep.Art5.Proportionality.Disproportionate)
	case "chilling", "final_chilling":
		for _, ch := range rep.Chilling {
			if ch.Behaviour == arg {
				if ch.Twin == 0 {
					return 0, "no attempts in the regime-free twin"
				}
				if kind == "final_chilling" {
					return ch.Final, ""
				}
				return ch.Drop, ""
			}
		}
		return 0, "no chilling figure for " + arg
	case "institution":
		return institutionFigure(rep, arg, group, region)
	}
	row, ok := findRow(rep, group, region)
	if !ok {
		return 0, "no one in " + scenario.Subject(group, region)
	}
	switch kind {
	case "ever_sanctioned":
		return rate(row.Ever)
	case "detained":
		return rate(row.Detention)
	case "mean_score":
		if arg != "" { // an extra score
			for _, s := range row.Scores {
				if s.Name == arg && !math.IsNaN(float64(s.Mean)) {
					return float64(s.Mean), ""
				}
			}
			return 0, "no mean of score " + arg
		}
		return row.MeanScore, ""
	case "gini":
		return row.Gini, ""
	case "tier", "sanction":
		list := row.Tiers
		if kind == "sanction" {
			list = row.Sanctions
		}
		for _, n := range list {
			if n.Name == arg {
				return rate(n.Figure)
			}
		}
		return 0, "no " + kind + " " + arg
	case "sanctioned_law_abiding":
		return rate(row.LawAbiding)
	case "sanctioned_without_penalised_act":
		return rate(row.FalseDiscoveryRate)
	case "sanctioned_without_own_loss":
		return rate(row.WithoutOwnLoss)
	case "association_share":
		if row.Loss.Total == 0 {
			return 0, "no points lost"
		}
		return row.Loss.AssociationShare, ""
	case "children_blocked_rate":
		return rate(row.ChildrenBlockedRate)
	case "ever_privileged", "privilege", "privileged_through_others", "privileged_minus_sanctioned", "sanctioned_vs_privileged":
		return privilegeFigure(row, kind, arg)
	case "score_change":
		if math.IsNaN(float64(row.ScoreChange)) {
			return 0, "no score change for " + scenario.Subject(group, region)
		}
		return float64(row.ScoreChange), ""
	}
	return 0, "unknown figure " + name
}

// institutionFigure is institution:NAME:FIGURE for a category (the
// claim's group or region) or every category together.
func institutionFigure(rep *audit.Report, arg, group, region string) (float64, string) {
	name, fig, _ := strings.Cut(arg, ":")
	for _, in := range rep.Institutions {
		if in.Name != name {
			continue
		}
		if in.Decisions == 0 {
			return 0, "institution " + name + " made no decision"
		}
		c := in.All
		if cat := group + region; cat != "" {
			k := slices.IndexFunc(in.Categories, func(x audit.InstitutionCategory) bool { return x.Category == cat })
			if k < 0 {
				return 0, "institution " + name + " has no category " + cat
			}
			c = in.Categories[k]
		}
		var v float64
		switch fig {
		case "mean_selection_rate":
			v = float64(c.Run.MeanSelectionRate)
		case "run_approval_rate":
			v = float64(c.Run.ApprovalRate.Value)
		case "run_success_rate":
			v = float64(c.Run.SuccessRate.Value)
		case "run_expected_utility":
			v = c.Run.ExpectedUtility
		case "run_utility":
			v = c.Run.Utility
		default:
			v = audit.LastDecisionFigure(c.Last, fig)
		}
		if math.IsNaN(v) {
			return 0, fmt.Sprintf("%s of institution %s is undefined for %s (no applicants, or no expected successes for a TPR)", fig, name, scenario.Subject(group, region))
		}
		return v, ""
	}
	return 0, "no institution " + name
}

func findRow(rep *audit.Report, group, region string) (audit.Row, bool) {
	var rows []audit.Row
	var attr, value string
	switch {
	case group != "" && region != "":
		rows, attr, value = rep.Intersections, "group×region", group+"×"+region
	case group != "":
		rows, attr, value = rep.Groups, "group", group
	case region != "":
		rows, attr, value = rep.Groups, "region", region
	default:
		return rep.Overall, rep.Overall.N > 0
	}
	for _, r := range rows {
		if r.Attribute == attr && r.Value == value {
			return r, r.N > 0
		}
	}
	return audit.Row{}, false
}

// dailySeries keeps, for each day of the longest run, the overall mean
// score and tier shares (from the day's integer aggregates).
type dailySeries struct {
	mean  []float64   // points
	tiers [][]float64 // [day][tier] share
}

func (s *dailySeries) add(d *daily.Day) {
	var n, sum int64
	var tiers []int64
	for _, c := range d.Cells {
		n += c.Agents
		sum += c.ScoreSum
		if tiers == nil {
			tiers = make([]int64, len(c.Tier))
		}
		for k, x := range c.Tier {
			tiers[k] += x
		}
	}
	share := make([]float64, len(tiers))
	mean := math.NaN()
	if n > 0 {
		mean = float64(sum) / float64(daily.ScoreScale) / float64(n)
		for k, x := range tiers {
			share[k] = float64(x) / float64(n)
		}
	}
	s.mean = append(s.mean, mean)
	s.tiers = append(s.tiers, share)
}

// at averages the window of days ending at day.
func (s *dailySeries) at(day int) (mean float64, tiers []float64) {
	lo := max(0, day-window+1)
	tiers = make([]float64, len(s.tiers[day]))
	for d := lo; d <= day; d++ {
		mean += s.mean[d]
		for k, x := range s.tiers[d] {
			tiers[k] += x
		}
	}
	w := float64(day - lo + 1)
	for k := range tiers {
		tiers[k] /= w
	}
	return mean / w, tiers
}

func (s *dailySeries) steadiness(sc *scenario.Scenario) Steadiness {
	days := len(s.mean) - 1 // day 0 is the start
	st := Steadiness{Days: days, Holds: true}
	switch {
	case sc.Trend != "":
		st.Why = "the scenario names a trend: " + sc.Trend
		return st
	case days < 2*365:
		st.Why = fmt.Sprintf("the longest run has %d days; steadiness is checked from the first to later anniversaries, so it needs at least 730", days)
		return st
	}
	st.Checked = true
	width := 1.0
	if r := sc.Scoring.Range; len(r) == 2 && r[1] > r[0] {
		width = r[1] - r[0]
	}
	names := make([]string, len(sc.Tiers.Levels))
	for k, l := range sc.Tiers.Levels {
		names[k] = l.Name
	}
	for from := 365; from+365 <= days; from += 365 {
		m0, t0 := s.at(from)
		m1, t1 := s.at(from + 365)
		d := Drift{FromDay: from, ToDay: from + 365, MeanScore: math.Abs(m1-m0) / width}
		for k := range t0 {
			if ch := math.Abs(t1[k] - t0[k]); ch > d.TierShare || d.Tier == "" {
				d.TierShare, d.Tier = ch, names[k]
			}
		}
		if d.MeanScore > MaxScoreDrift || d.TierShare > MaxTierDrift {
			st.Holds = false
		}
		st.Years = append(st.Years, d)
	}
	return st
}

// privilegeFigure is one of a row's privilege figures (audit.Privileged).
func privilegeFigure(row audit.Row, kind, arg string) (float64, string) {
	p := row.Privileged
	if p == nil {
		return 0, "the run has no privileges"
	}
	rate := func(f audit.Figure) (float64, string) {
		if f.Denominator == 0 {
			return 0, "no one in the denominator"
		}
		return float64(f.Value), ""
	}
	switch kind {
	case "ever_privileged":
		return rate(p.Ever)
	case "privilege":
		for _, n := range p.Privileges {
			if n.Name == arg {
				return rate(n.Figure)
			}
		}
		return 0, "no privilege " + arg
	case "privileged_through_others":
		return rate(p.ThroughOthers)
	case "privileged_minus_sanctioned":
		if row.N == 0 {
			return 0, "no one in the denominator"
		}
		return float64(p.Gap), ""
	}
	if d := p.SanctionedVsPrivileged; d.Undefined != "" {
		return 0, d.Undefined
	}
	return float64(p.SanctionedVsPrivileged.Ratio), ""
}
