package scenario

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

// Claim is one statement a scenario makes about what its regime does, in a
// form `nosedive check` runs: a figure of the audit (docs/metrics.md) for
// everyone, one group, one region or a group in a region, at one or more
// horizons, within bounds. With Versus the claim is about the ratio of the
// subject's figure to another subject's.
type Claim struct {
	Says   string        `yaml:"says" jsonschema:"required" jsonschema_description:"The sentence the scenario's header or docs state, as a reader would quote it."`
	Figure string        `yaml:"figure" jsonschema:"required" jsonschema_description:"An audit figure: ever_sanctioned, detained, mean_score, mean_score:SCORE (an extra score), gini, tier:NAME, sanction:NAME, sanctioned_law_abiding, sanctioned_without_penalised_act, sanctioned_without_own_loss, association_share, children_blocked_rate, score_change, institution:NAME:FIGURE, cross_context_detriment, disproportionate, chilling:BEHAVIOUR, final_chilling:BEHAVIOUR, ever_privileged, privilege:NAME, privileged_through_others, privileged_minus_sanctioned, sanctioned_vs_privileged."`
	Group  string        `yaml:"group" jsonschema_description:"Only this group (default everyone)."`
	Region string        `yaml:"region" jsonschema_description:"Only this region (default everyone)."`
	Versus *ClaimSubject `yaml:"versus" jsonschema_description:"Compare: the claim bounds the ratio of the figure to the same figure for this subject."`
	// Without names rules switched off in a second run of the scenario
	// (same population and seed): the claim bounds the ratio of the figure
	// to the same figure there, what those rules add to the regime.
	Without []string `yaml:"without" jsonschema_description:"Rules switched off in a second run of the same scenario and seed: the claim bounds the ratio of the figure to the same figure in that run."`
	At      []int    `yaml:"at" jsonschema:"required" jsonschema_description:"Horizons in days: the claim must hold for runs of each length."`
	Set     []string `yaml:"set" jsonschema_description:"--set overrides (PATH=VALUE) under which the claim holds: a claim about a what-if of the scenario, checked on runs with them."`
	Min     *float64 `yaml:"min" jsonschema_description:"Lower bound (inclusive)."`
	Max     *float64 `yaml:"max" jsonschema_description:"Upper bound (inclusive)."`
	Source  string   `yaml:"source" jsonschema_description:"Where the bound comes from: citation keys of docs/calibration.md."`
	Pos     Pos      `yaml:"-" json:"-"`
}

// ClaimSubject is the group and/or region a claim compares with.
type ClaimSubject struct {
	Group  string `yaml:"group"`
	Region string `yaml:"region"`
	Pos    Pos    `yaml:"-" json:"-"`
}

// Subject names the people a claim is about: "everyone", "group uyghur",
// "region south" or "group uyghur in region south".
func Subject(group, region string) string {
	switch {
	case group != "" && region != "":
		return "group " + group + " in region " + region
	case group != "":
		return "group " + group
	case region != "":
		return "region " + region
	}
	return "everyone"
}

// Run-wide figures: they are not broken down by group or region.
var runWideFigures = map[string]bool{"cross_context_detriment": true, "disproportionate": true, "chilling": true, "final_chilling": true}

// ClaimFigures lists the figure names a claim may use; NAME stands for a
// tier, sanction or behaviour of the scenario.
var ClaimFigures = []string{"ever_sanctioned", "detained", "mean_score", "mean_score:SCORE", "gini", "tier:NAME", "sanction:NAME",
	"sanctioned_law_abiding", "sanctioned_without_penalised_act", "sanctioned_without_own_loss", "association_share",
	"children_blocked_rate", "score_change", "institution:NAME:FIGURE", "cross_context_detriment", "disproportionate",
	"chilling:BEHAVIOUR", "final_chilling:BEHAVIOUR",
	"ever_privileged", "privilege:NAME", "privileged_through_others", "privileged_minus_sanctioned", "sanctioned_vs_privileged"}

// InstitutionClaimFigures are the FIGUREs of institution:NAME:FIGURE: of
// the institution's last decision, then of all its decisions together
// (run_...). docs/metrics.md#institutions defines them.
var InstitutionClaimFigures = []string{"selection_rate", "approval_rate", "tpr", "threshold", "boundary", "applicants", "approved",
	"expected_utility", "utility", "mean_selection_rate", "run_approval_rate", "run_success_rate", "run_expected_utility", "run_utility"}

// ParseFigure splits "tier:D" into ("tier", "D").
func ParseFigure(f string) (kind, name string) {
	kind, name, _ = strings.Cut(f, ":")
	return kind, name
}

// claims checks each claim: its sentence, figure, subject, horizons,
// --set overrides and bounds.
func (v *validator) claims() {
	known := v.claimNames()
	for i, c := range v.s.Claims {
		at := func(key string) Pos { return v.at(c.Pos, "claims[%d].%s", i, key) }
		if strings.TrimSpace(c.Says) == "" {
			v.d.add(at("says"), "claims[%d]: says is required: the sentence the claim checks", i)
		}
		kind := v.claimFigure(i, c, at, known)
		v.claimSubject(i, c, kind, at, known)
		v.claimHorizons(i, c, at)
		v.claimSets(i, c, at("set"))
		v.claimBounds(i, c, at)
	}
}

// claimNames are the names claims are checked against.
type claimNames struct {
	tiers, sanctions, groups, regions []string
	plain                             map[string]bool // the ClaimFigures without a NAME
}

// claimNames collects the scenario's tiers, sanctions, groups and regions.
func (v *validator) claimNames() claimNames {
	var tiers, sanctions []string
	for _, l := range v.s.Tiers.Levels {
		tiers = append(tiers, l.Name)
	}
	for _, x := range v.s.Sanctions {
		sanctions = append(sanctions, x.Name)
	}
	sc := v.scenarioSchema()
	groups, regions := sc.Groups, sc.Regions
	plain := map[string]bool{}
	for _, f := range ClaimFigures {
		if !strings.Contains(f, ":") {
			plain[f] = true
		}
	}
	return claimNames{tiers: tiers, sanctions: sanctions, groups: groups, regions: regions, plain: plain}
}

// claimFigure checks that claim i's figure is one of ClaimFigures, with a
// name the scenario defines where it takes one, and returns its kind.
func (v *validator) claimFigure(i int, c Claim, at func(string) Pos, known claimNames) (kind string) {
	kind, name := ParseFigure(c.Figure)
	switch kind {
	case "tier":
		v.known(at("figure"), "tier", name, known.tiers)
	case "sanction":
		v.known(at("figure"), "sanction", name, known.sanctions)
	case "chilling", "final_chilling":
		v.known(at("figure"), "behaviour", name, v.behaviourNames())
	case "privilege":
		v.known(at("figure"), "privilege", name, v.s.PrivilegeNames())
	case "institution":
		v.institutionClaim(i, c, name, at("figure"))
	case "mean_score":
		v.known(at("figure"), "score", name, v.s.ScoreNames())
	default:
		if !known.plain[c.Figure] {
			v.d.add(at("figure"), "claims[%d]: unknown figure %q%s: use one of %s", i, c.Figure, rule.Suggest(c.Figure, ClaimFigures), strings.Join(ClaimFigures, ", "))
		}
	}
	if (kind == "tier" || kind == "sanction" || kind == "chilling" || kind == "final_chilling" || kind == "institution" || kind == "privilege") && name == "" {
		v.d.add(at("figure"), "claims[%d]: figure %q needs a name after the colon", i, c.Figure)
	}
	return kind
}

// claimSubject checks whom claim i is about: its group and region, the
// rules it runs without, and the subject it compares with (versus);
// figures of the whole run have no subject.
func (v *validator) claimSubject(i int, c Claim, kind string, at func(string) Pos, known claimNames) {
	v.known(at("group"), "group", c.Group, known.groups)
	v.known(at("region"), "region", c.Region, known.regions)
	if runWideFigures[kind] && (c.Group != "" || c.Region != "" || c.Versus != nil) {
		v.d.add(at("figure"), "claims[%d]: %s is a figure of the whole run: it has no group, region or versus", i, kind)
	}
	if len(c.Without) > 0 {
		var rules []string
		for _, r := range v.s.Scoring.Rules {
			rules = append(rules, r.Name)
		}
		for j, r := range c.Without {
			v.known(v.at(c.Pos, "claims[%d].without[%d]", i, j), "rule", r, rules)
		}
		if c.Versus != nil || runWideFigures[kind] {
			v.d.add(at("without"), "claims[%d]: without compares with a run without those rules; it cannot be combined with versus or a figure of the chilling twin", i)
		}
	}
	if vs := c.Versus; vs != nil {
		v.known(v.at(vs.Pos, "claims[%d].versus.group", i), "group", vs.Group, known.groups)
		v.known(v.at(vs.Pos, "claims[%d].versus.region", i), "region", vs.Region, known.regions)
		if vs.Group == c.Group && vs.Region == c.Region {
			v.d.add(vs.Pos, "claims[%d]: versus names the claim's own subject (%s)", i, Subject(c.Group, c.Region))
		}
	}
}

// claimHorizons checks that claim i has horizons, each within [1, MaxDays].
func (v *validator) claimHorizons(i int, c Claim, at func(string) Pos) {
	if len(c.At) == 0 {
		v.d.add(at("at"), "claims[%d]: at is required: the horizons in days, for example [365, 1095, 1825]", i)
	}
	for _, d := range c.At {
		if d < 1 || d > MaxDays {
			v.d.add(at("at"), "claims[%d]: horizon %d days is outside [1, %d]", i, d, MaxDays)
		}
	}
}

// claimBounds checks that claim i has a min or a max, finite, min not above max.
func (v *validator) claimBounds(i int, c Claim, at func(string) Pos) {
	if c.Min == nil && c.Max == nil {
		v.d.add(c.Pos, "claims[%d]: give min, max or both", i)
	}
	for _, b := range []*float64{c.Min, c.Max} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			v.d.add(c.Pos, "claims[%d]: bounds must be finite numbers", i)
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		v.d.add(at("min"), "claims[%d]: min %v is above max %v", i, *c.Min, *c.Max)
	}
}

// institutionClaim checks institution:NAME:FIGURE: the institution and
// figure exist, and the subject is one of its categories: a group when it
// decides by group, a region when by region, no one (every category
// together) otherwise.
func (v *validator) institutionClaim(i int, c Claim, arg string, p Pos) {
	inst, fig, _ := strings.Cut(arg, ":")
	var names []string
	by := ""
	for _, x := range v.s.Institutions {
		names = append(names, x.Name)
		if x.Name == inst {
			by = x.By
			if by == "" {
				by = "group"
			}
		}
	}
	if !v.known(p, "institution", inst, names) || inst == "" {
		return
	}
	if !slices.Contains(InstitutionClaimFigures, fig) {
		v.d.add(p, "claims[%d]: institution %s has no figure %q%s: use one of %s", i, inst, fig, rule.Suggest(fig, InstitutionClaimFigures), strings.Join(InstitutionClaimFigures, ", "))
	}
	switch {
	case c.Group != "" && by != "group", c.Versus != nil && c.Versus.Group != "" && by != "group":
		v.d.add(p, "claims[%d]: institution %s decides by %s, so its figures have no group", i, inst, by)
	case c.Region != "" && by != "region", c.Versus != nil && c.Versus.Region != "" && by != "region":
		v.d.add(p, "claims[%d]: institution %s decides by %s, so its figures have no region", i, inst, by)
	case fig == "threshold" || fig == "boundary":
		if c.Group == "" && c.Region == "" {
			v.d.add(p, "claims[%d]: the %s of institution %s is per %s: give the claim a %s", i, fig, inst, by, by)
		}
	}
}

// CitationDef is a source a scenario defines for itself: a key its
// `source:` fields may name, and the full citation.
type CitationDef struct {
	Key  string `yaml:"key" jsonschema:"required"`
	Text string `yaml:"text" jsonschema:"required" jsonschema_description:"The full citation: author or publisher, title, date, URL."`
	Pos  Pos    `yaml:"-" json:"-"`
}

// OwnCitations returns the scenario's own citations by key.
func (s *Scenario) OwnCitations() map[string]string {
	m := map[string]string{}
	for _, c := range s.Citations {
		m[c.Key] = c.Text
	}
	return m
}

// sources checks every `source:` of the scenario against its own citations
// and the calibration notes (docs/calibration.md).
func (v *validator) sources() {
	seen := map[string]bool{}
	for i, c := range v.s.Citations {
		p := v.at(c.Pos, "citations[%d].key", i)
		switch {
		case !citationKey.MatchString(c.Key):
			v.d.add(p, "citations[%d]: key %q: use lower-case words joined by '-'", i, c.Key)
		case seen[c.Key]:
			v.d.add(p, "citations[%d]: key %q is defined twice", i, c.Key)
		default:
			if _, ok := citations[c.Key]; ok {
				v.d.add(p, "citations[%d]: key %q is already in docs/calibration.md; use it as it is", i, c.Key)
			}
		}
		seen[c.Key] = true
		if strings.TrimSpace(c.Text) == "" {
			v.d.add(v.at(c.Pos, "citations[%d].text", i), "citations[%d]: text is required: the full citation", i)
		}
	}
	v.own = v.s.OwnCitations()
	v.walkSources(reflect.ValueOf(v.s).Elem(), "")
}

func (v *validator) walkSources(x reflect.Value, path string) {
	switch x.Kind() {
	case reflect.Pointer:
		if !x.IsNil() {
			v.walkSources(x.Elem(), path)
		}
	case reflect.Slice:
		if x.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < x.Len(); i++ {
			v.walkSources(x.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		t := x.Type()
		var pos Pos
		if f, ok := t.FieldByName("Pos"); ok && f.Type == reflect.TypeOf(Pos{}) {
			pos = x.FieldByName("Pos").Interface().(Pos)
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || key == "" || key == "-" {
				continue
			}
			p := key
			if path != "" {
				p = path + "." + key
			}
			if key == "source" && f.Type.Kind() == reflect.String {
				if s := x.Field(i).String(); s != "" {
					if _, err := ResolveSource(s, v.own); err != nil {
						v.d.add(v.at(pos, "%s", p), "%s: %v", p, err)
					}
				}
				continue
			}
			v.walkSources(x.Field(i), p)
		}
	}
}

type noClaimSetsKey struct{}

// claimSets checks a claim's set: each override must apply to the
// scenario, which is loaded with them (once; the scenario loaded that way
// does not check its own claims' sets again).
func (v *validator) claimSets(i int, c Claim, at Pos) {
	if len(c.Set) == 0 {
		return
	}
	for _, x := range c.Set {
		if path, _, ok := strings.Cut(x, "="); !ok || strings.TrimSpace(path) == "" {
			v.d.add(at, "claims[%d].set: %q is not PATH=VALUE (as --set takes)", i, x)
			return
		}
	}
	ctx := v.d.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Value(noClaimSetsKey{}) != nil || v.s.Source == nil {
		return
	}
	if _, err := LoadContext(context.WithValue(ctx, noClaimSetsKey{}, true), v.s.File, v.s.Source, c.Set); err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		v.d.add(at, "claims[%d].set: the scenario does not load with %s: %s", i, strings.Join(c.Set, " "), msg)
	}
}
