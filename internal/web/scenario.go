package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Draft is a scenario as the browser holds it: the YAML being edited and
// the form's overrides, in the CLI's --set syntax. Drafts live only in the
// browser; every request carries its own.
type Draft struct {
	File string   `json:"file"` // shown in diagnostics, e.g. "xinjiang-pilot.yaml"
	YAML string   `json:"yaml"`
	Sets []string `json:"sets"`
}

// Diagnostic is one positioned problem (Line 0: no position, e.g. a bad
// override).
type Diagnostic struct {
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"msg"`
	Text string `json:"text"` // file:line:col: msg, as the CLI prints it
}

// Validation is the answer to POST /api/validate.
type Validation struct {
	OK          bool         `json:"ok"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Model holds the form's knobs read from the YAML without overrides
	// (nil when the YAML itself does not validate).
	Model  *Model `json:"model,omitempty"`
	Agents int    `json:"agents"` // as the run would use them, overrides applied
	Days   int    `json:"days"`
}

// Model is what the form shows: the common knobs, each with its --set path.
type Model struct {
	Name      string          `json:"name"`
	Agents    int             `json:"agents"`
	Days      int             `json:"days"`
	Seed      uint64          `json:"seed"`
	Regions   []ModelRegion   `json:"regions"`
	Rules     []ModelRule     `json:"rules"`
	Tiers     []ModelTier     `json:"tiers"`
	Caps      []ModelCap      `json:"caps"`
	Sanctions []ModelSanction `json:"sanctions"`
	// Limits are the documented ranges the form's sliders span.
	Limits ModelLimits `json:"limits"`
}

// ModelLimits are the ranges of the form's knobs: the validator's limits
// (run.agents 2 to this server's cap, run.days 1 to its cap, shares in
// [0, 1], cameras_per_1000 in [0, 1000]) and the score's clamp
// (scoring.range), which bounds the tier thresholds and rule amounts.
type ModelLimits struct {
	MaxAgents int        `json:"max_agents"`
	MaxDays   int        `json:"max_days"`
	Score     [2]float64 `json:"score"`
}

// ModelRegion is a region's share, camera density and group shares.
type ModelRegion struct {
	Name    string       `json:"name"`
	Share   float64      `json:"share"`
	Cameras float64      `json:"cameras_per_1000"`
	Groups  []ModelShare `json:"groups"`
}

// ModelShare is a named share.
type ModelShare struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// ModelRule is a scoring rule's amount (a number or an expression).
type ModelRule struct {
	Name        string `json:"name"`
	Trigger     string `json:"trigger"`
	Amount      string `json:"amount"`
	Description string `json:"description"`
}

// ModelTier is a tier's threshold (nil for the last tier).
type ModelTier struct {
	Name string   `json:"name"`
	Min  *float64 `json:"min"`
}

// ModelCap is one tier cap, addressed by its index.
type ModelCap struct {
	Index       int    `json:"index"`
	Region      string `json:"region"`
	Group       string `json:"group"`
	Best        string `json:"best"`
	Worst       string `json:"worst"`
	Description string `json:"description"`
}

// ModelSanction is a sanction and its condition.
type ModelSanction struct {
	Name    string `json:"name"`
	When    string `json:"when"`
	Context string `json:"context"`
}

func modelOf(sc *scenario.Scenario) *Model {
	m := &Model{Name: sc.Name, Agents: sc.Run.Agents, Days: sc.Run.Days, Seed: sc.Run.Seed,
		Regions: []ModelRegion{}, Rules: []ModelRule{}, Tiers: []ModelTier{}, Caps: []ModelCap{}, Sanctions: []ModelSanction{}}
	if len(sc.Scoring.Range) == 2 {
		m.Limits.Score = [2]float64{sc.Scoring.Range[0], sc.Scoring.Range[1]}
	}
	for _, r := range sc.Population.Regions {
		mr := ModelRegion{Name: r.Name, Share: r.Share, Cameras: r.CamerasPer1000}
		for _, g := range r.Groups {
			mr.Groups = append(mr.Groups, ModelShare{g.Name, g.Value})
		}
		m.Regions = append(m.Regions, mr)
	}
	for _, r := range sc.Scoring.Rules {
		trig := "on " + r.On
		if r.Every > 0 {
			trig = fmt.Sprintf("every %d days", r.Every)
		}
		m.Rules = append(m.Rules, ModelRule{Name: r.Name, Trigger: trig, Amount: r.Amount.Src, Description: r.Description})
	}
	for _, t := range sc.Tiers.Levels {
		m.Tiers = append(m.Tiers, ModelTier{Name: t.Name, Min: t.Min})
	}
	for i, c := range sc.Tiers.Caps {
		m.Caps = append(m.Caps, ModelCap{Index: i, Region: c.Region, Group: c.Group, Best: c.Best, Worst: c.Worst, Description: c.Description})
	}
	for _, x := range sc.Sanctions {
		m.Sanctions = append(m.Sanctions, ModelSanction{Name: x.Name, When: x.When.Src, Context: x.Context})
	}
	return m
}

// fileName is what a draft's file may be called in diagnostics.
var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func draftFile(d Draft) string {
	if fileName.MatchString(d.File) {
		return d.File
	}
	return "scenario.yaml"
}

// load validates a draft; a scenario.Errors becomes diagnostics.
func load(d Draft) (*scenario.Scenario, []Diagnostic, error) {
	return loadContext(context.Background(), d)
}

// loadContext is load that stops when ctx is done (a request's context:
// the client went away), returning ctx's error.
func loadContext(ctx context.Context, d Draft) (*scenario.Scenario, []Diagnostic, error) {
	if len(d.Sets) > 500 {
		return nil, []Diagnostic{{Msg: "too many overrides (at most 500)", Text: "too many overrides (at most 500)"}}, nil
	}
	sc, err := scenario.LoadContext(ctx, draftFile(d), []byte(d.YAML), d.Sets)
	if err == nil {
		return sc, []Diagnostic{}, nil
	}
	var se scenario.Errors
	if !errors.As(err, &se) {
		return nil, nil, err
	}
	out := make([]Diagnostic, 0, len(se))
	for _, x := range se {
		out = append(out, Diagnostic{Line: x.Line, Col: x.Col, Msg: x.Msg, Text: x.String()})
	}
	return nil, out, nil
}

// bounds checks a run's size against the server's limits.
func (s *Server) bounds(agents, days int) string {
	switch {
	case agents < 1 || agents > s.cfg.MaxAgents:
		return fmt.Sprintf("population size %d: this server runs 1 to %s agents", agents, thousands(s.cfg.MaxAgents))
	case days < 1 || days > s.cfg.MaxDays:
		return fmt.Sprintf("%d days: this server runs 1 to %s days", days, thousands(s.cfg.MaxDays))
	}
	return ""
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	var d Draft
	if !readJSON(w, r, &d) {
		return
	}
	// The request's context: a client that goes away stops the load.
	ctx := r.Context()
	sc, diags, err := loadContext(ctx, d)
	if ctx.Err() != nil {
		return // nobody is waiting for the answer
	}
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	v := Validation{OK: sc != nil, Diagnostics: diags}
	if sc != nil {
		v.Agents, v.Days = sc.Run.Agents, sc.Run.Days
		if msg := s.bounds(sc.Run.Agents, sc.Run.Days); msg != "" {
			v.OK = false
			// At the setting's line when the file gives it (an override
			// is placed at the key it overrides).
			key := "run.agents"
			if sc.Run.Agents >= 1 && sc.Run.Agents <= s.cfg.MaxAgents {
				key = "run.days"
			}
			bd := Diagnostic{Msg: msg, Text: draftFile(d) + ": " + msg}
			if p, ok := sc.At(key); ok && p.Line > 0 {
				bd.Line, bd.Col, bd.Text = p.Line, p.Col, fmt.Sprintf("%s:%d:%d: %s", draftFile(d), p.Line, p.Col, msg)
			}
			v.Diagnostics = append(v.Diagnostics, bd)
		}
	}
	if base, _, _ := loadContext(ctx, Draft{File: d.File, YAML: d.YAML}); base != nil {
		v.Model = modelOf(base)
		v.Model.Limits.MaxAgents, v.Model.Limits.MaxDays = min(s.cfg.MaxAgents, scenario.MaxAgents), min(s.cfg.MaxDays, scenario.MaxDays)
	}
	if ctx.Err() != nil {
		return
	}
	writeJSON(w, v)
}

// ScenarioInfo is a built-in scenario in the picker.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	YAML        string `json:"yaml,omitempty"`
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) {
	out := []ScenarioInfo{}
	for _, b := range scenario.Builtins() {
		out = append(out, ScenarioInfo{Name: b.Name, Description: b.Description})
	}
	writeJSON(w, out)
}

func (s *Server) getScenario(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	src, err := scenario.BuiltinSource(name)
	if err != nil || !fileName.MatchString(name) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no built-in scenario %q", name))
		return
	}
	writeJSON(w, ScenarioInfo{Name: name, YAML: string(src)})
}

// edited reports whether a run's scenario text differs from the built-in
// scenario it is named after (or there is none).
func edited(m *store.Manifest) bool {
	src, err := scenario.BuiltinSource(m.Scenario.Name)
	return err != nil || string(src) != m.Scenario.Text
}
