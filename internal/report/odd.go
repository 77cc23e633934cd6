package report

import (
	"fmt"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/scenario"
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

func describe(r *audit.Run) ODD {
	sc, m := r.Scenario, r.Manifest
	var o ODD
	cite := &sources{own: sc.OwnCitations(), seen: map[string]bool{}}
	src := cite.src
	o.Purpose = fmt.Sprintf("%s. The model shows what a social scoring regime of this design does to a synthetic population: who is scored down, who is sanctioned, and through which rules and ties.", strings.TrimSuffix(sc.Description, "."))
	var regions []string
	for _, reg := range sc.Population.Regions {
		var gs []string
		for _, g := range reg.Groups {
			gs = append(gs, fmt.Sprintf("%s %.0f%%", g.Name, 100*g.Value))
		}
		regions = append(regions, fmt.Sprintf("%s (%.0f%% of people: %s; %.0f cameras per 1,000)", reg.Name, 100*reg.Share, strings.Join(gs, ", "), reg.CamerasPer1000))
	}
	o.Entities = fmt.Sprintf("%d synthetic citizens in %d region(s): %s. Each has a group, an age band, yes/no traits (%s), a partner or none, school-age children, a score, a tier, status flags and sanctions. Acquaintances form a %s network (mean degree %.2f, clustering %.3f). One time step is one day; the run covers %d days.",
		m.Agents, len(regions), strings.Join(regions, "; "), strings.Join(m.Names.Traits, ", "), m.Graph.Model, m.Graph.MeanDegree, m.Graph.Clustering, m.Days)
	o.Schedule = "Each day, synchronously (every read sees the start-of-day state): people attempt behaviours at their daily rates, reduced by chilling; sanctions block some attempts; surveillance channels detect the rest with a probability; detected events trigger event rules; periodic rules read the person, their partner and acquaintances; recovery moves scores toward a target unless a flag forbids it; scores are clamped to the range; tiers follow from thresholds and group caps; partnerships form and break; sanctions are applied on the end-of-day state; detention removes people from society until release."
	o.Emergence = "Tier and sanction distributions by group, cascades of sanctions along ties, and the fall in penalised behaviour emerge from individual events and rules."
	var chill []string
	for _, b := range sc.Behaviours {
		if b.Chill.Peers > 0 || b.Chill.Self > 0 {
			chill = append(chill, fmt.Sprintf("%s (peers %.2f, own penalty %.2f for %d days)", b.Name, b.Chill.Peers, b.Chill.Self, b.Chill.Memory))
		}
	}
	if len(chill) > 0 {
		o.Adaptation = "People lower their rate of penalised behaviour as they see acquaintances sanctioned and after being penalised themselves: " + strings.Join(chill, "; ") + "."
	} else {
		o.Adaptation = "None: people do not change their behaviour in response to the regime."
	}
	var ch []string
	for _, c := range sc.Surveillance.Channels {
		switch {
		case c.Detect != nil:
			ch = append(ch, fmt.Sprintf("%s detects %.0f%% of events", c.Name, 100**c.Detect))
		default:
			ch = append(ch, fmt.Sprintf("%s detects 1 − exp(−%.4g × cameras per 1,000)", c.Name, c.PerCamera))
		}
	}
	o.Sensing = "The regime sees only what its channels detect: " + strings.Join(ch, "; ") + ". Undetected events do not score."
	o.Interaction = fmt.Sprintf("Rules can read a person's partner and acquaintances. Partnerships form at rate %.4g per day and break at rate %.4g; with selectivity %.3g the higher scorer refuses lower-scoring partners.", sc.Relationships.FormRate, sc.Relationships.BreakRate, sc.Relationships.Selectivity)
	o.Stochasticity = "Events, detection, trait assignment, the network and partnerships are random, drawn from counter-based streams keyed by seed, purpose, day and person: the same seed gives identical results on any number of cores."
	o.Collectives = "Groups (as labelled in the scenario), regions and households."
	o.Observation = "Daily aggregates per region and group; final state per person with the contribution of each rule; a ledger of score changes for a sample."
	var base []string
	for _, b := range sc.Scoring.Initial {
		who := "everyone else"
		if b.Group != "" || b.Region != "" {
			who = strings.TrimSpace(b.Group + " " + b.Region)
		}
		base = append(base, fmt.Sprintf("%s starts at %g", who, b.Score))
	}
	o.Initialisation = "People are generated from the scenario's shares; " + strings.Join(base, ", ") + fmt.Sprintf(". Scores are kept in [%g, %g].", sc.Scoring.Range[0], sc.Scoring.Range[1])
	o.InputData = "None. nosedive uses synthetic people only; the only real-world numbers are aggregate calibration figures cited as sources below."
	for _, b := range sc.Behaviours {
		what := fmt.Sprintf("rate %s per day, seen via %s, data context %s", b.Rate.Src, b.Channel, b.Context)
		if b.Eligible.IsSet() {
			what += ", only if " + b.Eligible.Src
		}
		if b.Penalised {
			what += fmt.Sprintf(", penalised (gravity %g)", b.Gravity)
		}
		o.Behaviours = append(o.Behaviours, Line{b.Name, what, src(b.Source)})
	}
	for _, ru := range sc.Scoring.Rules {
		what := ""
		if ru.On != "" {
			what = "on each detected " + ru.On
		} else {
			what = fmt.Sprintf("every %d day(s)", ru.Every)
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
		o.Rules = append(o.Rules, Line{ru.Name, what, src(ru.Source)})
	}
	if rc := sc.Scoring.Recovery; rc != nil {
		what := fmt.Sprintf("%g points a day toward %g (%s)", rc.Rate, rc.Target, rc.Direction)
		if len(rc.UnlessFlags) > 0 {
			what += ", not for people flagged " + strings.Join(rc.UnlessFlags, ", ")
		}
		o.Rules = append(o.Rules, Line{"recovery", what, src(rc.Source)})
	}
	for _, t := range sc.Tiers.Levels {
		what := "everyone below the other tiers"
		if t.Min != nil {
			what = fmt.Sprintf("score ≥ %g", *t.Min)
		}
		o.Tiers = append(o.Tiers, Line{t.Name, what, src(t.Source)})
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
		o.Tiers = append(o.Tiers, Line{"cap: " + who, strings.Join(what, ", "), src(c.Source)})
	}
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
		o.Sanctions = append(o.Sanctions, Line{x.Name, what, src(x.Source)})
	}
	o.Privileges = privilegeLines(sc, src)
	for _, p := range sc.Phases {
		regions := "all regions"
		if len(p.Regions) > 0 {
			regions = strings.Join(p.Regions, ", ")
		}
		what := fmt.Sprintf("from day %d in %s", p.Day, regions)
		if len(p.Rules) > 0 {
			what += "; rules " + strings.Join(p.Rules, ", ")
		}
		o.Phases = append(o.Phases, Line{p.Name, what, src(p.Source)})
	}
	o.References = cite.refs
	return o
}
