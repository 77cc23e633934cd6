package report

import (
	"fmt"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// ODD is the model description in the structure of the ODD protocol
// (Grimm et al. 2006, 2020): Overview, Design concepts, Details.
type ODD struct {
	Purpose, Entities, Schedule                 string
	Emergence, Adaptation, Sensing, Interaction string
	Stochasticity, Collectives, Observation     string
	Initialisation, InputData                   string
	Behaviours                                  []Line
	Rules                                       []Line
	Tiers                                       []Line
	Sanctions                                   []Line
	Privileges                                  []Line // nil without privileges
	Phases                                      []Line
	// References lists, in order of first use, every citation the tables
	// name, with its full text (docs/calibration.md).
	References []Reference
}

// Line is one row of a submodel table.
type Line struct {
	Name, What, Source string
}

// sources resolves `source:` fields to what the report prints: each entry
// as "note [key]" in the submodel tables, and each key once, with its full
// citation, in the references list.
type sources struct {
	own  map[string]string
	seen map[string]bool
	refs []Reference
}

// Reference is one citation the model description names.
type Reference struct {
	Key, Text, Quality string
}

func (r *sources) src(s string) string {
	if s == "" {
		return "not stated"
	}
	refs, err := scenario.ResolveSource(s, r.own)
	if err != nil {
		return s // a run made before sources were keys: print it as written
	}
	parts := make([]string, len(refs))
	for i, ref := range refs {
		parts[i] = "[" + ref.Key + "]"
		if ref.Note != "" {
			parts[i] = ref.Note + " " + parts[i]
		}
		if !r.seen[ref.Key] {
			r.seen[ref.Key] = true
			c, ok := scenario.LookupCitation(ref.Key)
			if !ok {
				c = scenario.Citation{Key: ref.Key, Text: r.own[ref.Key], Quality: "the scenario's own citation"}
			}
			r.refs = append(r.refs, Reference{Key: c.Key, Text: c.Text, Quality: c.Quality})
		}
	}
	return strings.Join(parts, "; ")
}

// describe builds the ODD description of a run, one section at a time.
// The submodel tables are filled in the order the report prints them,
// because that order numbers the references (first use first).
func describe(r *audit.Run) ODD {
	sc, m := r.Scenario, r.Manifest
	cite := &sources{own: sc.OwnCitations(), seen: map[string]bool{}}
	src := cite.src
	var o ODD
	o.Purpose = oddPurpose(sc)
	o.Entities = oddEntities(sc, m)
	o.Schedule = oddSchedule
	o.Emergence = oddEmergence
	o.Adaptation = oddAdaptation(sc)
	o.Sensing = oddSensing(sc)
	o.Interaction = oddInteraction(sc)
	o.Stochasticity = oddStochasticity
	o.Collectives = oddCollectives
	o.Observation = oddObservation
	o.Initialisation = oddInitialisation(sc)
	o.InputData = oddInputData
	o.Behaviours = behaviourLines(sc, src)
	o.Rules = ruleLines(sc, src)
	o.Tiers = tierLines(sc, src)
	o.Sanctions = sanctionLines(sc, src)
	o.Privileges = privilegeLines(sc, src)
	o.Phases = phaseLines(sc, src)
	o.References = cite.refs
	return o
}

// The ODD sections whose text does not depend on the scenario.
const (
	oddSchedule      = "Each day, synchronously (every read sees the start-of-day state): people attempt behaviours at their daily rates, reduced by chilling; sanctions block some attempts; surveillance channels detect the rest with a probability; detected events trigger event rules; periodic rules read the person, their partner and acquaintances; recovery moves scores toward a target unless a flag forbids it; scores are clamped to the range; tiers follow from thresholds and group caps; partnerships form and break; sanctions are applied on the end-of-day state; detention removes people from society until release."
	oddEmergence     = "Tier and sanction distributions by group, cascades of sanctions along ties, and the fall in penalised behaviour emerge from individual events and rules."
	oddStochasticity = "Events, detection, trait assignment, the network and partnerships are random, drawn from counter-based streams keyed by seed, purpose, day and person: the same seed gives identical results on any number of cores."
	oddCollectives   = "Groups (as labelled in the scenario), regions and households."
	oddObservation   = "Daily aggregates per region and group; final state per person with the contribution of each rule; a ledger of score changes for a sample."
	oddInputData     = "None. nosedive uses synthetic people only; the only real-world numbers are aggregate calibration figures cited as sources below."
)

// oddPurpose states what the model is for, after the scenario's description.
func oddPurpose(sc *scenario.Scenario) string {
	return fmt.Sprintf("%s. The model shows what a social scoring regime of this design does to a synthetic population: who is scored down, who is sanctioned, and through which rules and ties.", strings.TrimSuffix(sc.Description, "."))
}

// oddEntities describes the people, their regions and groups, the network and the time step.
func oddEntities(sc *scenario.Scenario, m *store.Manifest) string {
	var regions []string
	for _, reg := range sc.Population.Regions {
		var gs []string
		for _, g := range reg.Groups {
			gs = append(gs, fmt.Sprintf("%s %.0f%%", g.Name, 100*g.Value))
		}
		regions = append(regions, fmt.Sprintf("%s (%.0f%% of people: %s; %.0f cameras per 1,000)", reg.Name, 100*reg.Share, strings.Join(gs, ", "), reg.CamerasPer1000))
	}
	return fmt.Sprintf("%d synthetic citizens in %d region(s): %s. Each has a group, an age band, yes/no traits (%s), a partner or none, school-age children, a score, a tier, status flags and sanctions. Acquaintances form a %s network (mean degree %.2f, clustering %.3f). One time step is one day; the run covers %d days.",
		m.Agents, len(regions), strings.Join(regions, "; "), strings.Join(m.Names.Traits, ", "), m.Graph.Model, m.Graph.MeanDegree, m.Graph.Clustering, m.Days)
}

// oddAdaptation lists the behaviours people chill, or says there are none.
func oddAdaptation(sc *scenario.Scenario) string {
	var chill []string
	for _, b := range sc.Behaviours {
		if b.Chill.Peers > 0 || b.Chill.Self > 0 {
			chill = append(chill, fmt.Sprintf("%s (peers %.2f, own penalty %.2f for %d days)", b.Name, b.Chill.Peers, b.Chill.Self, b.Chill.Memory))
		}
	}
	if len(chill) > 0 {
		return "People lower their rate of penalised behaviour as they see acquaintances sanctioned and after being penalised themselves: " + strings.Join(chill, "; ") + "."
	}
	return "None: people do not change their behaviour in response to the regime."
}

// oddSensing lists the surveillance channels and how much each detects.
func oddSensing(sc *scenario.Scenario) string {
	var ch []string
	for _, c := range sc.Surveillance.Channels {
		switch {
		case c.Detect != nil:
			ch = append(ch, fmt.Sprintf("%s detects %.0f%% of events", c.Name, 100**c.Detect))
		default:
			ch = append(ch, fmt.Sprintf("%s detects 1 − exp(−%.4g × cameras per 1,000)", c.Name, c.PerCamera))
		}
	}
	return "The regime sees only what its channels detect: " + strings.Join(ch, "; ") + ". Undetected events do not score."
}

// oddInteraction describes the ties rules read and how partnerships form and break.
func oddInteraction(sc *scenario.Scenario) string {
	return fmt.Sprintf("Rules can read a person's partner and acquaintances. Partnerships form at rate %.4g per day and break at rate %.4g; with selectivity %.3g the higher scorer refuses lower-scoring partners.", sc.Relationships.FormRate, sc.Relationships.BreakRate, sc.Relationships.Selectivity)
}

// oddInitialisation gives the initial scores and the score range.
func oddInitialisation(sc *scenario.Scenario) string {
	var base []string
	for _, b := range sc.Scoring.Initial {
		who := "everyone else"
		if b.Group != "" || b.Region != "" {
			who = strings.TrimSpace(b.Group + " " + b.Region)
		}
		base = append(base, fmt.Sprintf("%s starts at %g", who, b.Score))
	}
	return "People are generated from the scenario's shares; " + strings.Join(base, ", ") + fmt.Sprintf(". Scores are kept in [%g, %g].", sc.Scoring.Range[0], sc.Scoring.Range[1])
}

// behaviourLines is the submodel table of behaviours: rate, channel, context, eligibility, penalty.
func behaviourLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, b := range sc.Behaviours {
		what := fmt.Sprintf("rate %s per day, seen via %s, data context %s", b.Rate.Src, b.Channel, b.Context)
		if b.Eligible.IsSet() {
			what += ", only if " + b.Eligible.Src
		}
		if b.Penalised {
			what += fmt.Sprintf(", penalised (gravity %g)", b.Gravity)
		}
		out = append(out, Line{b.Name, what, src(b.Source)})
	}
	return out
}

// ruleLines is the submodel table of scoring rules, with recovery last when the scenario has it.
func ruleLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, ru := range sc.Scoring.Rules {
		what := ""
		switch ru.On {
		case scenario.PartneredEvent:
			what = "when a partnership forms"
		case "":
			what = fmt.Sprintf("every %d day(s)", ru.Every)
		default:
			what = "on each detected " + ru.On
		}
		if ru.When.IsSet() {
			what += ", when " + ru.When.Src
		}
		if ru.Amount.IsSet() {
			what += ": " + ru.Amount.Src + " points"
		}
		if len(ru.SetFlags) > 0 {
			what += "; flags " + strings.Join(ru.SetFlags, ", ")
		}
		if ru.Description != "" {
			what += " — " + ru.Description
		}
		out = append(out, Line{ru.Name, what, src(ru.Source)})
	}
	if rc := sc.Scoring.Recovery; rc != nil {
		what := fmt.Sprintf("%g points a day toward %g (%s)", rc.Rate, rc.Target, rc.Direction)
		if len(rc.UnlessFlags) > 0 {
			what += ", not for people flagged " + strings.Join(rc.UnlessFlags, ", ")
		}
		out = append(out, Line{"recovery", what, src(rc.Source)})
	}
	return out
}

// tierLines is the submodel table of tiers: thresholds first, then group caps.
func tierLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, t := range sc.Tiers.Levels {
		what := "everyone below the other tiers"
		if t.Min != nil {
			what = fmt.Sprintf("score ≥ %g", *t.Min)
		}
		out = append(out, Line{t.Name, what, src(t.Source)})
	}
	for _, c := range sc.Tiers.Caps {
		who := strings.TrimSpace(c.Group + " " + c.Region)
		var what []string
		if c.Best != "" {
			what = append(what, "never better than "+c.Best)
		}
		if c.Worst != "" {
			what = append(what, "never worse than "+c.Worst)
		}
		out = append(out, Line{"cap: " + who, strings.Join(what, ", "), src(c.Source)})
	}
	return out
}

// sanctionLines is the submodel table of sanctions: trigger, target, context and effects.
func sanctionLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, x := range sc.Sanctions {
		var eff []string
		if len(x.Blocks) > 0 {
			eff = append(eff, "blocks "+strings.Join(x.Blocks, ", "))
		}
		if x.DenyAccount {
			eff = append(eff, "no social-media account")
		}
		if x.School {
			eff = append(eff, "children refused at top schools")
		}
		if x.Detain != nil {
			e := "detention"
			if x.Detain.ReleaseAfter > 0 {
				e += fmt.Sprintf(" (release after %d days)", x.Detain.ReleaseAfter)
			}
			eff = append(eff, e)
		}
		what := fmt.Sprintf("when %s, on %s, in %s (severity %g)", x.When.Src, x.Target, x.Context, x.Severity)
		if len(eff) > 0 {
			what += ": " + strings.Join(eff, "; ")
		}
		out = append(out, Line{x.Name, what, src(x.Source)})
	}
	return out
}

// phaseLines is the submodel table of phases: start day, regions and rules.
func phaseLines(sc *scenario.Scenario, src func(string) string) []Line {
	var out []Line
	for _, p := range sc.Phases {
		regions := "all regions"
		if len(p.Regions) > 0 {
			regions = strings.Join(p.Regions, ", ")
		}
		what := fmt.Sprintf("from day %d in %s", p.Day, regions)
		if len(p.Rules) > 0 {
			what += "; rules " + strings.Join(p.Rules, ", ")
		}
		out = append(out, Line{p.Name, what, src(p.Source)})
	}
	return out
}
