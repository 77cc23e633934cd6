package scenario

import "github.com/nosedive-lab/nosedive/internal/rule"

// The scenario language. Every exported field here is a YAML key (its `yaml`
// tag); docs/scenario-language.md documents each one with an example, and
// `nosedive schema` prints the JSON Schema generated from these types.
//
// Fields named Pos are filled by the decoder with the position of the
// mapping they belong to, so that later checks can point at the right line.

// Scenario is one complete regime: who lives under it, what is watched, how
// behaviour is scored and what a score does to people.
type Scenario struct {
	Name          string        `yaml:"name" jsonschema:"required" jsonschema_description:"Short identifier, used in run ids."`
	Description   string        `yaml:"description" jsonschema_description:"One line saying what the scenario shows."`
	Run           RunSettings   `yaml:"run"`
	Population    Population    `yaml:"population" jsonschema:"required"`
	Network       Network       `yaml:"network"`
	Relationships Relationships `yaml:"relationships"`
	Surveillance  Surveillance  `yaml:"surveillance"`
	Behaviours    []Behaviour   `yaml:"behaviours"`
	Chilling      Chilling      `yaml:"chilling"`
	Scoring       Scoring       `yaml:"scoring" jsonschema:"required"`
	Scores        []ExtraScore  `yaml:"scores" jsonschema_description:"Further named per-agent scores beside the main one (a platform's score beside the state's; see scores.go)."`
	Tiers         Tiers         `yaml:"tiers" jsonschema:"required"`
	Sanctions     []Sanction    `yaml:"sanctions"`
	Institutions  []Institution `yaml:"institutions" jsonschema_description:"Decision-makers (a lender, a list authority) that set a threshold per group by a policy; see institutions.go."`
	Privileges    []Privilege   `yaml:"privileges" jsonschema_description:"Rewards: the mirror of sanctions (see privileges.go)."`
	Phases        []Phase       `yaml:"phases"`
	Claims        []Claim       `yaml:"claims" jsonschema_description:"What the scenario says its regime does, in a form nosedive check runs."`
	Citations     []CitationDef `yaml:"citations" jsonschema_description:"The scenario's own sources, for source: keys that docs/calibration.md does not have."`
	Trend         string        `yaml:"trend" jsonschema_description:"Why the regime is not expected to settle (a documented expansion, a roll-out); without it nosedive check also requires a steady state after the first year."`

	// Tables are functions given by points (tables.go).
	Tables []Table       `yaml:"tables" jsonschema_description:"Functions given by points, from a CSV file next to the scenario or inline, called in expressions by name."`
	tables []*rule.Table // loaded by validation, in the order of Tables

	// Set by the loader, not by YAML.
	File   string         `yaml:"-" json:"-"`
	Source []byte         `yaml:"-" json:"-"`
	pos    map[string]Pos // where each key path was given
	// warnings are the traps a valid scenario sets (see Warnings).
	warnings Errors
}

// At returns where a key path (e.g. "run.days", "behaviours[1].rate") was
// given in the file, and whether it was given at all.
func (s *Scenario) At(path string) (Pos, bool) {
	p, ok := s.pos[path]
	return p, ok
}

// RunSettings are the defaults for `nosedive run`; flags override them.
type RunSettings struct {
	Agents int    `yaml:"agents" jsonschema_description:"Number of synthetic citizens (default 100000)."`
	Days   int    `yaml:"days" jsonschema_description:"Days to simulate (default 365)."`
	Seed   uint64 `yaml:"seed" jsonschema_description:"Random seed (default 1)."`
	Ledger string `yaml:"ledger" jsonschema_description:"Score-change ledger: none, sample:FRACTION or all (default sample:0.001)."`
	Pos    Pos    `yaml:"-" json:"-"`
}

// Population describes the synthetic people: regions, groups, traits, ages
// and households.
type Population struct {
	Regions    []Region   `yaml:"regions" jsonschema:"required"`
	Ages       Shares     `yaml:"ages" jsonschema_description:"Age bands and their shares (default adult: 1)."`
	Traits     []Trait    `yaml:"traits"`
	Households Households `yaml:"households"`
	Pos        Pos        `yaml:"-" json:"-"`
}

// Region is a part of the population with its own group composition and
// camera density.
type Region struct {
	Name           string  `yaml:"name" jsonschema:"required"`
	Share          float64 `yaml:"share" jsonschema:"required" jsonschema_description:"Share of all agents living here; shares sum to 1."`
	Groups         Shares  `yaml:"groups" jsonschema:"required" jsonschema_description:"Group labels and their shares in this region; they sum to 1."`
	CamerasPer1000 float64 `yaml:"cameras_per_1000" jsonschema_description:"Surveillance cameras per 1,000 people, used by camera channels."`
	Source         string  `yaml:"source"`
	Description    string  `yaml:"description"`
	Pos            Pos     `yaml:"-" json:"-"`
}

// Trait is a yes/no attribute drawn independently per agent at day 0.
type Trait struct {
	Name        string       `yaml:"name" jsonschema:"required"`
	P           float64      `yaml:"p" jsonschema_description:"Probability an agent has the trait."`
	Where       []TraitWhere `yaml:"where" jsonschema_description:"Overrides for agents matching region/group/age; the first match wins."`
	Source      string       `yaml:"source"`
	Description string       `yaml:"description"`
	Pos         Pos          `yaml:"-" json:"-"`
}

// TraitWhere overrides a probability for a subset of agents.
type TraitWhere struct {
	Region string  `yaml:"region"`
	Group  string  `yaml:"group"`
	Age    string  `yaml:"age"`
	P      float64 `yaml:"p" jsonschema:"required"`
	Pos    Pos     `yaml:"-" json:"-"`
}

// Households pairs agents into partnerships at day 0 and gives them children.
type Households struct {
	Partnered   float64      `yaml:"partnered" jsonschema_description:"Share of agents in a partnership at day 0 (random pairs)."`
	Children    float64      `yaml:"children" jsonschema_description:"Mean number of school-age children per agent (Poisson)."`
	Where       []ChildWhere `yaml:"where" jsonschema_description:"Overrides of the mean number of children by region/group/age."`
	Source      string       `yaml:"source"`
	Description string       `yaml:"description"`
	Pos         Pos          `yaml:"-" json:"-"`
}

// ChildWhere overrides the mean number of children for matching agents.
type ChildWhere struct {
	Region   string  `yaml:"region"`
	Group    string  `yaml:"group"`
	Age      string  `yaml:"age"`
	Children float64 `yaml:"children" jsonschema:"required"`
	Pos      Pos     `yaml:"-" json:"-"`
}

// Network is the acquaintance graph.
type Network struct {
	Model       string  `yaml:"model" jsonschema:"enum=watts-strogatz,enum=homophilous,enum=none" jsonschema_description:"watts-strogatz (default), homophilous or none."`
	Degree      int     `yaml:"degree" jsonschema_description:"Mean number of acquaintances (even; default 10)."`
	Rewire      float64 `yaml:"rewire" jsonschema_description:"Watts-Strogatz rewiring probability (default 0.1)."`
	Homophily   float64 `yaml:"homophily" jsonschema_description:"Homophilous model: share of ties within the same group and region."`
	Clustering  float64 `yaml:"clustering" jsonschema_description:"Homophilous model: target mean local clustering (default 0.25, or the most the degree and homophily allow)."`
	Source      string  `yaml:"source"`
	Description string  `yaml:"description"`
	Pos         Pos     `yaml:"-" json:"-"`
}

// Relationships governs partnerships after day 0.
type Relationships struct {
	FormRate    float64 `yaml:"form_rate" jsonschema_description:"Daily probability a single agent proposes to a single acquaintance."`
	BreakRate   float64 `yaml:"break_rate" jsonschema_description:"Daily probability a partnership ends."`
	Selectivity float64 `yaml:"selectivity" jsonschema_description:"How strongly people refuse partners who score lower than themselves: a match forms with probability exp(-selectivity x |score gap| / 100), the higher scorer deciding. 0 = scores do not matter (the Nosedive effect grows with it)."`
	Source      string  `yaml:"source"`
	Description string  `yaml:"description"`
	Pos         Pos     `yaml:"-" json:"-"`
}

// Surveillance lists the channels through which behaviour is observed.
type Surveillance struct {
	Channels []Channel `yaml:"channels"`
	Pos      Pos       `yaml:"-" json:"-"`
}

// Channel is one way the regime observes behaviour.
type Channel struct {
	Name string `yaml:"name" jsonschema:"required"`
	// Detect is a fixed detection probability; PerCamera derives it from the
	// region's camera density instead: 1 - exp(-per_camera x cameras_per_1000).
	Detect      *float64       `yaml:"detect" jsonschema_description:"Fixed probability that an event on this channel is detected."`
	PerCamera   float64        `yaml:"per_camera" jsonschema_description:"Detection from camera density: p = 1 - exp(-per_camera x cameras_per_1000)."`
	Where       []ChannelWhere `yaml:"where" jsonschema_description:"Per-region detection probabilities."`
	Source      string         `yaml:"source"`
	Description string         `yaml:"description"`
	Pos         Pos            `yaml:"-" json:"-"`
}

// ChannelWhere overrides a channel's detection in one region.
type ChannelWhere struct {
	Region string  `yaml:"region" jsonschema:"required"`
	Detect float64 `yaml:"detect" jsonschema:"required"`
	Pos    Pos     `yaml:"-" json:"-"`
}

// Behaviour is a kind of event agents produce at a daily rate.
type Behaviour struct {
	Name        string  `yaml:"name" jsonschema:"required"`
	Channel     string  `yaml:"channel" jsonschema:"required" jsonschema_description:"Surveillance channel that observes it."`
	Context     string  `yaml:"context" jsonschema:"required" jsonschema_description:"Social context its data comes from (commerce, leisure, family, online, travel, ...)."`
	Rate        Expr    `yaml:"rate" jsonschema:"required" jsonschema_description:"Daily probability (number or expression, e.g. 1/7)."`
	Eligible    Expr    `yaml:"eligible" jsonschema_description:"Condition: who can do it at all."`
	Penalised   bool    `yaml:"penalised" jsonschema_description:"The regime penalises it (chilling and audits track these)."`
	Lawful      *bool   `yaml:"lawful" jsonschema_description:"Whether it is lawful (default true)."`
	Gravity     float64 `yaml:"gravity" jsonschema_description:"How grave the behaviour is, 0-10, for proportionality audits."`
	Chill       Chill   `yaml:"chill"`
	Source      string  `yaml:"source"`
	Description string  `yaml:"description"`
	Pos         Pos     `yaml:"-" json:"-"`
}

// Chill lowers a behaviour's rate as people see the regime bite.
type Chill struct {
	Peers  float64 `yaml:"peers" jsonschema_description:"Rate multiplier falls by peers x (share of acquaintances visibly sanctioned)."`
	Self   float64 `yaml:"self" jsonschema_description:"Rate multiplier falls by this after one's own penalty, for memory days."`
	Memory int     `yaml:"memory" jsonschema_description:"Days a personal penalty is remembered (default 30)."`
	Pos    Pos     `yaml:"-" json:"-"`
}

// Chilling says what people notice about their acquaintances.
type Chilling struct {
	Visible Expr `yaml:"visible" jsonschema_description:"Condition on an acquaintance that others notice (default: any active sanction)."`
	Pos     Pos  `yaml:"-" json:"-"`
}

// Scoring holds the score range, starting scores, rules and recovery.
type Scoring struct {
	Range    []float64  `yaml:"range" jsonschema:"required" jsonschema_description:"[min, max] clamp of the score."`
	Initial  []Baseline `yaml:"initial" jsonschema:"required" jsonschema_description:"Starting scores; the first matching entry wins."`
	Rules    []Rule     `yaml:"rules"`
	Recovery *Recovery  `yaml:"recovery"`
	Pos      Pos        `yaml:"-" json:"-"`
}

// Baseline is a starting score for agents matching region/group (blank = any).
type Baseline struct {
	Region      string  `yaml:"region"`
	Group       string  `yaml:"group"`
	Score       float64 `yaml:"score" jsonschema_description:"The starting score (give score or from)."`
	From        Expr    `yaml:"from" jsonschema_description:"The starting score as an expression evaluated for each agent at day 0, e.g. a draw from a table (give score or from)."`
	Source      string  `yaml:"source"`
	Description string  `yaml:"description"`
	Pos         Pos     `yaml:"-" json:"-"`
}

// Rule changes scores: on a detected event (On), or periodically (Every).
type Rule struct {
	Name        string   `yaml:"name" jsonschema:"required"`
	On          string   `yaml:"on" jsonschema_description:"Behaviour whose detected events trigger the rule, or partnered: a partnership forming."`
	Every       int      `yaml:"every" jsonschema_description:"Periodic rule: runs every k days."`
	When        Expr     `yaml:"when" jsonschema_description:"Condition; the rule applies only when true."`
	Amount      Expr     `yaml:"amount" jsonschema_description:"Points added (negative to remove): number or expression."`
	SetFlags    []string `yaml:"set_flags" jsonschema_description:"Status flags set when the rule fires; flags never clear."`
	Score       string   `yaml:"score" jsonschema_description:"The score the rule changes: the name of one of scores: (default the main score)."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// Recovery moves scores toward a target each day.
type Recovery struct {
	Target      float64  `yaml:"target" jsonschema:"required"`
	Rate        float64  `yaml:"rate" jsonschema:"required" jsonschema_description:"Points per day."`
	Direction   string   `yaml:"direction" jsonschema:"enum=up,enum=down,enum=both" jsonschema_description:"up (default): only scores below the target rise; down: only scores above fall; both."`
	UnlessFlags []string `yaml:"unless_flags" jsonschema_description:"Agents with any of these flags do not recover."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// Tiers are named, ordered score bands with group caps and floors.
type Tiers struct {
	Levels []Tier    `yaml:"levels" jsonschema:"required" jsonschema_description:"Best first; the last level has no min."`
	Caps   []TierCap `yaml:"caps" jsonschema_description:"Agents matching region/group can never rank above Best / below Worst."`
	Pos    Pos       `yaml:"-" json:"-"`
}

// Tier is one band: score >= Min.
type Tier struct {
	Name        string   `yaml:"name" jsonschema:"required"`
	Min         *float64 `yaml:"min" jsonschema_description:"Lowest score in the band (omit on the last level)."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// TierCap limits the tiers some agents can reach.
type TierCap struct {
	Region      string `yaml:"region"`
	Group       string `yaml:"group"`
	Best        string `yaml:"best" jsonschema_description:"Best tier reachable."`
	Worst       string `yaml:"worst" jsonschema_description:"Worst tier reachable."`
	Source      string `yaml:"source"`
	Description string `yaml:"description"`
	Pos         Pos    `yaml:"-" json:"-"`
}

// Sanction is a consequence applied while its condition holds.
type Sanction struct {
	Name        string     `yaml:"name" jsonschema:"required"`
	When        Expr       `yaml:"when" jsonschema:"required" jsonschema_description:"Condition on the end-of-day state."`
	Target      string     `yaml:"target" jsonschema:"enum=self,enum=children" jsonschema_description:"self (default) or children (the agent's school-age children)."`
	Context     string     `yaml:"context" jsonschema:"required" jsonschema_description:"Social context it acts in (travel, commerce, online, education, liberty, ...)."`
	Severity    float64    `yaml:"severity" jsonschema_description:"How harsh, 0-10, for proportionality audits."`
	Blocks      []string   `yaml:"blocks" jsonschema_description:"Behaviours it stops."`
	DenyAccount bool       `yaml:"deny_account" jsonschema_description:"No social-media account: blocks every behaviour in the online context."`
	School      bool       `yaml:"school" jsonschema_description:"Children are refused admission to top schools (target: children)."`
	Detain      *Detention `yaml:"detain" jsonschema_description:"The person is detained: no events, ties inactive."`
	Source      string     `yaml:"source"`
	Description string     `yaml:"description"`
	Pos         Pos        `yaml:"-" json:"-"`
}

// Detention removes a person from society for a while.
type Detention struct {
	ReleaseAfter int      `yaml:"release_after" jsonschema_description:"Days until release (0 = never)."`
	ReleaseScore *float64 `yaml:"release_score" jsonschema_description:"Score set on release."`
	Pos          Pos      `yaml:"-" json:"-"`
}

// Phase switches the regime on in regions from a day on, optionally with a
// subset of rules and sanctions.
type Phase struct {
	Name        string   `yaml:"name" jsonschema:"required"`
	Day         int      `yaml:"day" jsonschema_description:"First day of the phase."`
	Regions     []string `yaml:"regions" jsonschema_description:"Regions it covers (default all)."`
	Rules       []string `yaml:"rules" jsonschema_description:"Active rules (default all)."`
	Sanctions   []string `yaml:"sanctions" jsonschema_description:"Active sanctions (default all)."`
	Recovery    *bool    `yaml:"recovery" jsonschema_description:"Whether recovery runs (default true)."`
	Source      string   `yaml:"source"`
	Description string   `yaml:"description"`
	Pos         Pos      `yaml:"-" json:"-"`
}

// Expr is a number or an expr-lang expression kept as text with its position.
type Expr struct {
	Src string
	Pos Pos
	// Quoted tells whether the YAML scalar was quoted (its text starts one
	// column after Pos); Block that it was a | or > block scalar.
	Quoted, Block bool
	// Set is the --set override it came from, if any.
	Set string
}

// IsSet reports whether the expression was given.
func (e Expr) IsSet() bool { return e.Src != "" }

// Share is one entry of an ordered name -> share mapping.
type Share struct {
	Name  string
	Value float64
	Pos   Pos
}

// Shares is an ordered mapping from names to shares (YAML map order is kept:
// it fixes category indices and so the run's outputs).
type Shares []Share

// Names returns the names in order.
func (s Shares) Names() []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}

// DefaultClustering is the homophilous network's target clustering when a
// scenario gives none (lowered to the most its degree and homophily allow).
const DefaultClustering = 0.25
