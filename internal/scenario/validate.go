package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/rule"
)

// PartneredEvent is the event a rule scores with `on: partnered`: a
// partnership formed yesterday (both partners), scored on the day after
// with the new partner readable as partner.*.
const PartneredEvent = "partnered"

// Limits of the engine's narrow types.
const (
	maxCategories = 255 // regions, groups, ages, tiers: uint8 indices
	maxTraits     = 32  // one uint32 bit set
	maxFlags      = 32  // one uint32 bit set
	maxSanctions  = 32  // one uint32 bit set
	maxRules      = 64  // one uint64 mask per region and phase
)

// Schema returns the names expressions in this scenario may use.
func (s *Scenario) Schema() *rule.Schema {
	sc := &rule.Schema{}
	for _, r := range s.Population.Regions {
		sc.Regions = append(sc.Regions, r.Name)
	}
	sc.Groups = s.GroupNames()
	sc.Ages = s.Population.Ages.Names()
	for _, t := range s.Population.Traits {
		sc.Traits = append(sc.Traits, t.Name)
	}
	sc.Flags = s.FlagNames()
	for _, t := range s.Tiers.Levels {
		sc.Tiers = append(sc.Tiers, t.Name)
	}
	for _, x := range s.Sanctions {
		sc.Sanctions = append(sc.Sanctions, x.Name)
	}
	sc.Tables = s.tables
	sc.Scores = s.ScoreNames()
	return sc
}

// GroupNames returns every group label in order of first appearance.
func (s *Scenario) GroupNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Population.Regions {
		for _, g := range r.Groups {
			if !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g.Name)
			}
		}
	}
	return out
}

// FlagNames returns every status flag set by some rule, in order.
func (s *Scenario) FlagNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Scoring.Rules {
		for _, f := range r.SetFlags {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Program is a scenario's expressions compiled for the engine, indexed like
// the scenario's lists.
type Program struct {
	Rate         []rule.Num  // per behaviour
	Eligible     []rule.Bool // per behaviour; Fn nil = everyone
	Visible      rule.Bool   // chilling signal
	RuleWhen     []rule.Bool // per rule; Fn nil = always
	RuleAmount   []rule.Num  // per rule
	SanctionWhen []rule.Bool // per sanction
	Institutions []InstitutionProgram
	// Initial is per scoring.initial entry: its from expression, Fn nil
	// for a fixed score.
	Initial []rule.Num
	// Pop lists the population aggregates the expressions read
	// (Refs.Pop bits index it).
	Pop *rule.Aggregates
	// PrivilegeWhen is per privilege (see privileges.go).
	PrivilegeWhen []rule.Bool
	// ScoreInitial is per extra score and its initial entry, like
	// Initial (see scores.go).
	ScoreInitial [][]rule.Num
	// Hoisted lists the static sub-expressions of the day's expressions
	// (everything but the starting scores), computed once per population
	// into columns (see rule.Hoisted).
	Hoisted *rule.Hoisted
}

// Refs is what the program's expressions read, all together.
func (p *Program) Refs() rule.Refs {
	var r rule.Refs
	add := func(x rule.Refs) {
		r.Partner = r.Partner || x.Partner
		r.Acq = r.Acq || x.Acq
		r.Detained = r.Detained || x.Detained
		r.Others |= x.Others
		r.Pop |= x.Pop
	}
	add(p.Visible.Refs)
	for _, x := range p.Institutions {
		add(x.Applicants.Refs)
		add(x.Score.Refs)
		add(x.Believes.Refs)
		add(x.Success.Refs)
	}
	for _, xs := range [][]rule.Bool{p.Eligible, p.RuleWhen, p.SanctionWhen, p.PrivilegeWhen} {
		for _, x := range xs {
			add(x.Refs)
		}
	}
	for _, xs := range [][]rule.Num{p.Rate, p.RuleAmount} {
		for _, x := range xs {
			add(x.Refs)
		}
	}
	return r
}

// Compile compiles every expression of a validated scenario.
func (s *Scenario) Compile() (*Program, error) {
	d := newDiags(s.File, s.Source, nil)
	p := s.compile(d)
	return p, d.err()
}

func (s *Scenario) compile(d *diags) *Program { return s.compileWith(d, true) }

// compileWith compiles with hoisting (rule.Hoisted) or, for the tests that
// hold the two to the same bits, every expression in place.
func (s *Scenario) compileWith(d *diags, hoist bool) *Program {
	sc := s.Schema()
	p := &Program{}
	// Starting scores first, without the day's state or aggregates.
	sc.NoState = true
	for k, b := range s.Scoring.Initial {
		var n rule.Num
		if b.From.IsSet() {
			var err error
			if n, err = rule.CompileNum(b.From.Src, sc); err != nil {
				exprErr(d, b.From, fmt.Sprintf("scoring.initial[%d].from", k), err, sc)
			}
		}
		p.Initial = append(p.Initial, n)
	}
	s.compileScores(d, p, sc)
	sc.NoState = false
	sc.Pop = &rule.Aggregates{}
	p.Pop = sc.Pop
	if hoist {
		sc.Hoist = &rule.Hoisted{}
		p.Hoisted = sc.Hoist
	}
	num := func(e Expr, what string) rule.Num {
		if !e.IsSet() {
			return rule.Num{Fn: func(*rule.View, int32) float64 { return 0 }, Const: true}
		}
		n, err := rule.CompileNum(e.Src, sc)
		if err != nil {
			exprErr(d, e, what, err, sc)
		}
		return n
	}
	cond := func(e Expr, what string) rule.Bool {
		if !e.IsSet() {
			return rule.Bool{}
		}
		b, err := rule.CompileBool(e.Src, sc)
		if err != nil {
			exprErr(d, e, what, err, sc)
		}
		return b
	}
	for _, b := range s.Behaviours {
		r := num(b.Rate, "behaviours."+b.Name+".rate")
		if r.Const && (r.Value < 0 || r.Value > 1) && b.Rate.IsSet() {
			d.add(locate(d, b.Rate, 0), "behaviours.%s.rate: a daily probability must be in [0, 1], got %g", b.Name, r.Value)
		}
		p.Rate = append(p.Rate, r)
		p.Eligible = append(p.Eligible, cond(b.Eligible, "behaviours."+b.Name+".eligible"))
	}
	if s.Chilling.Visible.IsSet() {
		p.Visible = cond(s.Chilling.Visible, "chilling.visible")
	}
	for _, r := range s.Scoring.Rules {
		p.RuleWhen = append(p.RuleWhen, cond(r.When, "scoring.rules."+r.Name+".when"))
		p.RuleAmount = append(p.RuleAmount, num(r.Amount, "scoring.rules."+r.Name+".amount"))
	}
	for _, x := range s.Sanctions {
		p.SanctionWhen = append(p.SanctionWhen, cond(x.When, "sanctions."+x.Name+".when"))
	}
	s.compileInstitutions(d, p, num, cond)
	s.compilePrivileges(p, cond)
	return p
}

// exprErr positions an expression error inside the YAML file, with a hint
// for a category written without quotes (see nameHint).
func exprErr(d *diags, e Expr, what string, err error, sc *rule.Schema) {
	var re *rule.Error
	if !errors.As(err, &re) {
		d.add(e.Pos, "%s: %v", what, err)
		return
	}
	// Rune offset of the error within the expression text.
	off, line := 0, 1
	for _, r := range e.Src {
		if line == re.Line {
			break
		}
		off++
		if r == '\n' {
			line++
		}
	}
	off += re.Col
	msg := nameHint(re.Msg, e.Src, off, sc, exprQuote(d, e))
	if e.Set != "" {
		d.add(Pos{}, "--set %s: %s: %s", e.Set, what, msg)
		return
	}
	d.add(locate(d, e, off), "%s: %s", what, msg)
}

func validate(s *Scenario, d *diags) {
	v := validator{d: d, s: s}
	v.run()
	v.population()
	v.network()
	v.surveillance()
	v.behaviours()
	v.tables()
	v.scoring()
	v.scores()
	v.tiers()
	v.sanctions()
	v.privileges()
	v.phases()
	v.institutions()
	v.claims()
	v.sources()
	// Expressions are compiled whatever the checks above found: they read
	// only the names, which a mistake elsewhere leaves usable.
	s.compile(d)
}

type validator struct {
	d   *diags
	s   *Scenario
	own map[string]string // the scenario's own citations
	// sets holds, by kind, the names known() checks against, made on
	// first use: each kind has one list per scenario, and a set keeps a
	// scenario with many references linear.
	sets   map[string]map[string]bool
	schema *rule.Schema
	// The names of channels and behaviours, made once.
	channelList, behaviourList []string
}

// scenarioSchema is s.Schema(), made once per validation.
func (v *validator) scenarioSchema() *rule.Schema {
	if v.schema == nil {
		v.schema = v.s.Schema()
	}
	return v.schema
}

func (v *validator) prob(p Pos, what string, x float64) {
	if x < 0 || x > 1 || math.IsNaN(x) {
		v.d.add(p, "%s must be a probability in [0, 1], got %g", what, x)
	}
}

// labels are compared as strings in expressions (tier == "x-y") and may
// hold '-'; every other name is an identifier.
var labels = map[string]bool{"region": true, "group": true, "age band": true, "tier": true,
	"population.ages": true}

// reserved words of the expression language, which cannot name a trait,
// flag or sanction.
var reserved = map[string]bool{"and": true, "or": true, "not": true, "in": true, "true": true, "false": true,
	"nil": true, "let": true, "if": true, "else": true, "matches": true, "contains": true, "startsWith": true, "endsWith": true}

func (v *validator) unique(kind string, names []string, poss []Pos) {
	seen := map[string]int{}
	isLabel := labels[kind] || strings.HasSuffix(kind, ": groups")
	for i, n := range names {
		if n == "" {
			continue // the decoder reports the missing name
		}
		switch {
		case isLabel && !validLabel(n):
			v.d.add(poss[i], "%s name %q: use letters, digits, - and _ only, starting with a letter", kind, n)
		case !isLabel && !validName(n):
			v.d.add(poss[i], "%s name %q: use letters, digits and _ only, starting with a letter", kind, n)
		case !isLabel && reserved[n]:
			v.d.add(poss[i], "%s name %q is a word of the expression language; choose another", kind, n)
		}
		if j, ok := seen[n]; ok {
			v.d.add(poss[i], "duplicate %s name %q (first at line %d)", kind, n, poss[j].Line)
		}
		seen[n] = i
	}
}

func validName(s string) bool {
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return s != ""
}

func validLabel(s string) bool {
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && (r >= '0' && r <= '9' || r == '-'))
		if !ok {
			return false
		}
	}
	return s != ""
}

func (v *validator) known(p Pos, kind, name string, names []string) bool {
	if name == "" {
		return true
	}
	set, ok := v.sets[kind]
	if !ok {
		set = make(map[string]bool, len(names))
		for _, n := range names {
			set[n] = true
		}
		if v.sets == nil {
			v.sets = map[string]map[string]bool{}
		}
		v.sets[kind] = set
	}
	if set[name] {
		return true
	}
	v.d.add(p, "unknown %s %q%s", kind, name, v.d.suggest(name, names))
	return false
}

// at returns where path was given, or fallback.
func (v *validator) at(fallback Pos, format string, args ...any) Pos {
	if p, ok := v.s.pos[fmt.Sprintf(format, args...)]; ok {
		return p
	}
	return fallback
}

func (v *validator) run() {
	r := v.s.Run
	if _, given := v.s.pos["name"]; given && !ValidName(v.s.Name) {
		v.d.add(v.at(Pos{Line: 1, Col: 1}, "name"), "name %q: a scenario name is 1 to %d letters, digits, - and _, starting with a letter or digit (it names run directories)", v.s.Name, MaxNameLen)
	}
	if r.Agents < 2 || r.Agents > MaxAgents {
		v.d.add(v.at(r.Pos, "run.agents"), "run.agents must be between 2 and %d, got %d", MaxAgents, r.Agents)
	}
	if r.Days < 1 || r.Days > MaxDays {
		v.d.add(v.at(r.Pos, "run.days"), "run.days must be between 1 and %d, got %d", MaxDays, r.Days)
	}
	if _, err := ParseLedger(r.Ledger); err != nil {
		v.d.add(v.at(r.Pos, "run.ledger"), "run.ledger: %v", err)
	}
}

// MaxNameLen bounds a scenario name's length.
const MaxNameLen = 64

// ValidName reports whether s can name a scenario: 1 to MaxNameLen ASCII
// letters, digits, '-' and '_', starting with a letter or digit. Such a
// name is a single path component that cannot be taken for a flag or a
// hidden file, and the run ids made from it are ones the lab lists.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

func (v *validator) shares(p Pos, what string, sh Shares) {
	sum := 0.0
	var names []string
	var poss []Pos
	for _, x := range sh {
		if x.Value < 0 || x.Value > 1 {
			v.d.add(x.Pos, "%s.%s must be a share in [0, 1], got %g", what, x.Name, x.Value)
		}
		sum += x.Value
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
	}
	v.unique(what, names, poss)
	if len(sh) == 0 {
		v.d.add(p, "%s: needs at least one entry", what)
	} else if math.Abs(sum-1) > 1e-6 {
		v.d.add(p, "%s: shares sum to %.6g, not 1", what, sum)
	}
	if len(sh) > maxCategories {
		v.d.add(p, "%s: at most %d entries", what, maxCategories)
	}
}

func (v *validator) population() {
	pop := v.s.Population
	if len(pop.Regions) == 0 {
		v.d.add(pop.Pos, "population.regions: needs at least one region")
	}
	if len(pop.Regions) > maxCategories {
		v.d.add(pop.Pos, "population.regions: at most %d regions", maxCategories)
	}
	var names []string
	var poss []Pos
	sum := 0.0
	for k, r := range pop.Regions {
		names = append(names, r.Name)
		poss = append(poss, r.Pos)
		if r.Share <= 0 || r.Share > 1 {
			v.d.add(v.at(r.Pos, "population.regions[%d].share", k), "region %s: share must be in (0, 1], got %g", r.Name, r.Share)
		}
		sum += r.Share
		v.shares(v.at(r.Pos, "population.regions[%d].groups", k), "region "+r.Name+": groups", r.Groups)
		if r.CamerasPer1000 < 0 || r.CamerasPer1000 > 1000 {
			v.d.add(v.at(r.Pos, "population.regions[%d].cameras_per_1000", k), "region %s: cameras_per_1000 must be in [0, 1000], got %g", r.Name, r.CamerasPer1000)
		}
	}
	v.unique("region", names, poss)
	if len(pop.Regions) > 0 && math.Abs(sum-1) > 1e-6 {
		v.d.add(pop.Pos, "population.regions: shares sum to %.6g, not 1", sum)
	}
	if len(v.s.GroupNames()) > maxCategories {
		v.d.add(pop.Pos, "at most %d groups", maxCategories)
	}
	v.shares(v.at(pop.Pos, "population.ages"), "population.ages", pop.Ages)
	if len(pop.Traits) > maxTraits {
		v.d.add(v.at(pop.Pos, "population.traits"), "population.traits: at most %d traits", maxTraits)
	}
	names, poss = nil, nil
	builtin := map[string]bool{"score": true, "tier": true, "group": true, "region": true, "age": true, "children": true,
		"has_partner": true, "detained": true, "flags": true, "sanctions": true, "partner": true, "acq": true, "day": true}
	for _, t := range pop.Traits {
		names = append(names, t.Name)
		poss = append(poss, t.Pos)
		if builtin[t.Name] {
			v.d.add(t.Pos, "trait name %q is reserved for a built-in field", t.Name)
		}
		v.prob(t.Pos, "trait "+t.Name+": p", t.P)
		for _, w := range t.Where {
			v.where(w.Pos, w.Region, w.Group, w.Age)
			v.prob(w.Pos, "trait "+t.Name+": where.p", w.P)
		}
	}
	v.unique("trait", names, poss)
	h := pop.Households
	v.prob(h.Pos, "households.partnered", h.Partnered)
	if h.Children < 0 || h.Children > 20 {
		v.d.add(h.Pos, "households.children must be in [0, 20], got %g", h.Children)
	}
	for _, w := range h.Where {
		v.where(w.Pos, w.Region, w.Group, w.Age)
		if w.Children < 0 || w.Children > 20 {
			v.d.add(w.Pos, "households.where.children must be in [0, 20], got %g", w.Children)
		}
	}
}

func (v *validator) where(p Pos, region, group, age string) {
	sc := v.scenarioSchema()
	v.known(p, "region", region, sc.Regions)
	v.known(p, "group", group, sc.Groups)
	v.known(p, "age band", age, sc.Ages)
}

func (v *validator) network() {
	n := v.s.Network
	switch n.Model {
	case "watts-strogatz", "homophilous":
		if n.Degree < 0 || n.Degree%2 != 0 || n.Degree > 1000 {
			v.d.add(v.at(n.Pos, "network.degree"), "network.degree must be an even number in [0, 1000], got %d", n.Degree)
		} else if v.s.Run.Agents > 0 && n.Degree >= v.s.Run.Agents {
			v.d.add(v.at(n.Pos, "network.degree"), "network.degree %d needs more than %d agents", n.Degree, v.s.Run.Agents)
		}
		v.prob(v.at(n.Pos, "network.rewire"), "network.rewire", n.Rewire)
		v.prob(v.at(n.Pos, "network.homophily"), "network.homophily", n.Homophily)
		if n.Model == "homophilous" {
			if _, ok := netgraph.HomophilousRewire(n.Degree, n.Homophily, n.Clustering); !ok {
				v.d.add(v.at(n.Pos, "network.clustering"), "network.clustering %v is out of reach with degree %d and homophily %v: at most %.3f (docs/scenario-language.md, Network)",
					n.Clustering, n.Degree, n.Homophily, netgraph.MaxHomophilousClustering(n.Degree, n.Homophily))
			}
		} else if n.Clustering != 0 {
			v.d.add(v.at(n.Pos, "network.clustering"), "network.clustering applies to the homophilous model only (watts-strogatz's clustering follows from degree and rewire)")
		}
	case "none":
	default:
		v.d.add(v.at(n.Pos, "network.model"), "network.model %q: use watts-strogatz, homophilous or none%s", n.Model,
			rule.Suggest(n.Model, []string{"watts-strogatz", "homophilous", "none"}))
	}
	r := v.s.Relationships
	v.prob(v.at(r.Pos, "relationships.form_rate"), "relationships.form_rate", r.FormRate)
	v.prob(v.at(r.Pos, "relationships.break_rate"), "relationships.break_rate", r.BreakRate)
	if r.Selectivity < 0 || r.Selectivity > 100 {
		v.d.add(r.Pos, "relationships.selectivity must be in [0, 100], got %g", r.Selectivity)
	}
}

func (v *validator) channelNames() []string {
	if v.channelList == nil {
		v.channelList = make([]string, 0, len(v.s.Surveillance.Channels))
		for _, c := range v.s.Surveillance.Channels {
			v.channelList = append(v.channelList, c.Name)
		}
	}
	return v.channelList
}

func (v *validator) surveillance() {
	var poss []Pos
	for _, c := range v.s.Surveillance.Channels {
		poss = append(poss, c.Pos)
		switch {
		case c.Detect != nil && c.PerCamera != 0:
			v.d.add(c.Pos, "channel %s: give detect or per_camera, not both", c.Name)
		case c.Detect != nil:
			v.prob(c.Pos, "channel "+c.Name+": detect", *c.Detect)
		case c.PerCamera < 0 || c.PerCamera > 100:
			v.d.add(c.Pos, "channel %s: per_camera must be in [0, 100], got %g", c.Name, c.PerCamera)
		case c.PerCamera == 0 && len(c.Where) == 0:
			v.d.add(c.Pos, "channel %s: needs detect or per_camera", c.Name)
		}
		for _, w := range c.Where {
			v.where(w.Pos, w.Region, "", "")
			v.prob(w.Pos, "channel "+c.Name+": where.detect", w.Detect)
		}
	}
	v.unique("channel", v.channelNames(), poss)
}

func (v *validator) behaviourNames() []string {
	if v.behaviourList == nil {
		v.behaviourList = make([]string, 0, len(v.s.Behaviours))
		for _, b := range v.s.Behaviours {
			v.behaviourList = append(v.behaviourList, b.Name)
		}
	}
	return v.behaviourList
}

func (v *validator) behaviours() {
	var poss []Pos
	for k, b := range v.s.Behaviours {
		poss = append(poss, b.Pos)
		if b.Name == PartneredEvent {
			v.d.add(b.Pos, "behaviour name %q is the event of a partnership forming (on: %s); choose another", b.Name, PartneredEvent)
		}
		if b.Channel != "" {
			v.known(v.at(b.Pos, "behaviours[%d].channel", k), "channel", b.Channel, v.channelNames())
		}
		if b.Gravity < 0 || b.Gravity > 10 {
			v.d.add(v.at(b.Pos, "behaviours[%d].gravity", k), "behaviour %s: gravity must be in [0, 10], got %g", b.Name, b.Gravity)
		}
		v.prob(b.Chill.Pos, "behaviour "+b.Name+": chill.peers", b.Chill.Peers)
		v.prob(b.Chill.Pos, "behaviour "+b.Name+": chill.self", b.Chill.Self)
		if b.Chill.Memory < 0 || b.Chill.Memory > MaxDays {
			v.d.add(b.Chill.Pos, "behaviour %s: chill.memory must be >= 0 days", b.Name)
		}
	}
	v.unique("behaviour", v.behaviourNames(), poss)
}

func (v *validator) scoring() {
	sc := v.s.Scoring
	rangeOK := len(sc.Range) == 2 && sc.Range[0] < sc.Range[1]
	if !rangeOK {
		v.d.add(v.at(sc.Pos, "scoring.range"), "scoring.range must be [min, max] with min < max")
	} else if math.Abs(sc.Range[0]) > 2e6 || math.Abs(sc.Range[1]) > 2e6 {
		rangeOK = false
		v.d.add(v.at(sc.Pos, "scoring.range"), "scoring.range must stay within ±2,000,000 points")
	}
	if len(sc.Initial) == 0 {
		v.d.add(sc.Pos, "scoring.initial: needs at least one starting score")
	}
	schema := v.scenarioSchema()
	for k, b := range sc.Initial {
		v.where(b.Pos, b.Region, b.Group, "")
		_, hasScore := v.s.pos[fmt.Sprintf("scoring.initial[%d].score", k)]
		switch {
		case hasScore && b.From.IsSet():
			v.d.add(b.Pos, "scoring.initial[%d]: give score or from, not both", k)
		case !hasScore && !b.From.IsSet():
			v.d.add(b.Pos, "scoring.initial[%d]: missing key \"score\" (or from, an expression)", k)
		}
		if rangeOK && hasScore && (b.Score < sc.Range[0] || b.Score > sc.Range[1]) {
			v.d.add(b.Pos, "initial score %g is outside scoring.range", b.Score)
		}
	}
	if len(sc.Rules) > maxRules {
		v.d.add(sc.Pos, "scoring.rules: at most %d rules", maxRules)
	}
	if len(schema.Flags) > maxFlags {
		v.d.add(sc.Pos, "at most %d flags", maxFlags)
	}
	var names []string
	var poss []Pos
	for _, r := range sc.Rules {
		names = append(names, r.Name)
		poss = append(poss, r.Pos)
		switch {
		case r.On != "" && r.Every != 0:
			v.d.add(r.Pos, "rule %s: give on (an event rule) or every (a periodic rule), not both", r.Name)
		case r.On == PartneredEvent:
		case r.On != "":
			v.ruleOn(r.Pos, r.On)
		case r.Every < 0 || r.Every > MaxDays:
			v.d.add(r.Pos, "rule %s: every must be a number of days >= 1, got %d", r.Name, r.Every)
		case r.Every == 0:
			v.d.add(r.Pos, "rule %s: needs on (a behaviour) or every (days)", r.Name)
		}
		if !r.Amount.IsSet() && len(r.SetFlags) == 0 {
			v.d.add(r.Pos, "rule %s: needs an amount", r.Name)
		}
		for _, f := range r.SetFlags {
			if !validName(f) {
				v.d.add(r.Pos, "rule %s: flag name %q: use letters, digits and _ only", r.Name, f)
			}
		}
		if r.Name == "baseline" || r.Name == "clamp" || r.Name == "recovery" || r.Name == "release" {
			v.d.add(r.Pos, "rule name %q is reserved", r.Name)
		}
	}
	v.unique("rule", names, poss)
	if rc := sc.Recovery; rc != nil {
		if rc.Rate < 0 || rc.Rate > 1e6 {
			v.d.add(rc.Pos, "recovery.rate must be >= 0 points per day, got %g", rc.Rate)
		}
		switch rc.Direction {
		case "up", "down", "both":
		default:
			v.d.add(rc.Pos, "recovery.direction must be up, down or both, got %q", rc.Direction)
		}
		for _, f := range rc.UnlessFlags {
			v.known(rc.Pos, "flag", f, schema.Flags)
		}
	}
}

func (v *validator) tierIndex(name string) int {
	for i, t := range v.s.Tiers.Levels {
		if t.Name == name {
			return i
		}
	}
	return -1
}

func (v *validator) tiers() {
	t := v.s.Tiers
	if len(t.Levels) == 0 {
		v.d.add(t.Pos, "tiers.levels: needs at least one tier")
		return
	}
	if len(t.Levels) > maxCategories {
		v.d.add(t.Pos, "tiers.levels: at most %d tiers", maxCategories)
	}
	var names []string
	var poss []Pos
	prev := math.Inf(1)
	for i, l := range t.Levels {
		names = append(names, l.Name)
		poss = append(poss, l.Pos)
		last := i == len(t.Levels)-1
		switch {
		case last && l.Min != nil:
			v.d.add(l.Pos, "tier %s: the last (worst) tier takes everyone below the others; remove its min", l.Name)
		case !last && l.Min == nil:
			v.d.add(l.Pos, "tier %s: needs a min (only the last tier has none)", l.Name)
		case !last:
			if *l.Min >= prev {
				v.d.add(l.Pos, "tier %s: min %g must be below the previous tier's min %g (levels go best first)", l.Name, *l.Min, prev)
			}
			prev = *l.Min
		}
	}
	v.unique("tier", names, poss)
	for _, c := range t.Caps {
		v.where(c.Pos, c.Region, c.Group, "")
		b, w := -1, -1
		if c.Best != "" && v.known(c.Pos, "tier", c.Best, names) {
			b = v.tierIndex(c.Best)
		}
		if c.Worst != "" && v.known(c.Pos, "tier", c.Worst, names) {
			w = v.tierIndex(c.Worst)
		}
		if c.Best == "" && c.Worst == "" {
			v.d.add(c.Pos, "tier cap: give best and/or worst")
		}
		if b >= 0 && w >= 0 && b > w {
			v.d.add(c.Pos, "tier cap: best %s is below worst %s", c.Best, c.Worst)
		}
	}
}

func (v *validator) sanctions() {
	var names []string
	var poss []Pos
	if len(v.s.Sanctions) > maxSanctions {
		// at the first sanction past the limit
		v.d.add(v.s.Sanctions[maxSanctions].Pos, "sanctions: at most %d sanctions", maxSanctions)
	}
	for _, x := range v.s.Sanctions {
		names = append(names, x.Name)
		poss = append(poss, x.Pos)
		switch x.Target {
		case "self":
			if x.School {
				v.d.add(x.Pos, "sanction %s: school admission blocks apply to children; set target: children", x.Name)
			}
		case "children":
			if len(x.Blocks) > 0 || x.DenyAccount || x.Detain != nil {
				v.d.add(x.Pos, "sanction %s: a sanction on children can only block school admission", x.Name)
			}
		default:
			v.d.add(x.Pos, "sanction %s: target must be self or children, got %q", x.Name, x.Target)
		}
		if x.Severity < 0 || x.Severity > 10 {
			v.d.add(x.Pos, "sanction %s: severity must be in [0, 10], got %g", x.Name, x.Severity)
		}
		for _, b := range x.Blocks {
			v.known(x.Pos, "behaviour", b, v.behaviourNames())
		}
		if d := x.Detain; d != nil {
			if d.ReleaseAfter < 0 || d.ReleaseAfter > MaxDays {
				v.d.add(d.Pos, "sanction %s: detain.release_after must be >= 0 days", x.Name)
			}
			if d.ReleaseScore != nil && len(v.s.Scoring.Range) == 2 &&
				(*d.ReleaseScore < v.s.Scoring.Range[0] || *d.ReleaseScore > v.s.Scoring.Range[1]) {
				v.d.add(d.Pos, "sanction %s: detain.release_score is outside scoring.range", x.Name)
			}
		}
	}
	v.unique("sanction", names, poss)
	detains := 0
	for _, x := range v.s.Sanctions {
		if x.Detain != nil {
			detains++
			if detains == 2 {
				v.d.add(x.Pos, "sanction %s: only one sanction may detain people", x.Name)
			}
		}
	}
}

func (v *validator) phases() {
	var names []string
	var poss []Pos
	sc := v.scenarioSchema()
	var rules []string
	for _, r := range v.s.Scoring.Rules {
		rules = append(rules, r.Name)
	}
	prevDay := -1
	for _, p := range v.s.Phases {
		names = append(names, p.Name)
		poss = append(poss, p.Pos)
		if p.Day < 0 || p.Day >= MaxDays {
			v.d.add(p.Pos, "phase %s: day must be >= 0, got %d", p.Name, p.Day)
		}
		if p.Day < prevDay {
			v.d.add(p.Pos, "phase %s: phases must be listed in order of day", p.Name)
		}
		prevDay = p.Day
		for _, r := range p.Regions {
			v.known(p.Pos, "region", r, sc.Regions)
		}
		for _, r := range p.Rules {
			v.known(p.Pos, "rule", r, rules)
		}
		for _, r := range p.Sanctions {
			v.known(p.Pos, "sanction", r, sc.Sanctions)
		}
	}
	v.unique("phase", names, poss)
}

// Ledger says which agents' score changes are recorded one by one.
type Ledger struct {
	All      bool
	Fraction float64 // 0 = none
}

// ParseLedger parses none | all | sample:FRACTION.
func ParseLedger(s string) (Ledger, error) {
	switch {
	case s == "none":
		return Ledger{}, nil
	case s == "all":
		return Ledger{All: true, Fraction: 1}, nil
	case strings.HasPrefix(s, "sample:"):
		var f float64
		if _, err := fmtSscan(strings.TrimPrefix(s, "sample:"), &f); err != nil || f <= 0 || f > 1 || math.IsNaN(f) {
			return Ledger{}, errors.New("sample:FRACTION needs a fraction in (0, 1], e.g. sample:0.001")
		}
		return Ledger{Fraction: f}, nil
	}
	return Ledger{}, errors.New("use none, all or sample:FRACTION (e.g. sample:0.001), got " + `"` + s + `"`)
}

func fmtSscan(s string, f *float64) (int, error) {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	*f = x
	return 1, err
}

// TierOf returns the index of the tier (0 = best) that a score earns an
// agent of the given region and group, caps and floors applied. The engine
// uses an equivalent fixed-point table; tests keep the two in step.
func (s *Scenario) TierOf(score float64, region, group string) int {
	levels := s.Tiers.Levels
	t := len(levels) - 1
	for k, l := range levels[:len(levels)-1] {
		if score >= *l.Min {
			t = k
			break
		}
	}
	best, worst := 0, len(levels)-1
	for _, c := range s.Tiers.Caps {
		if (c.Region == "" || c.Region == region) && (c.Group == "" || c.Group == group) {
			for k, l := range levels {
				if l.Name == c.Best {
					best = max(best, k)
				}
				if l.Name == c.Worst {
					worst = min(worst, k)
				}
			}
		}
	}
	return min(max(t, best), worst)
}
