package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The built-ins listed in the simulator specification.
var specBuiltins = []string{"benchmark", "chongqing-pilot", "court-blacklist", "credit-dynamics", "delayed-impact", "nationwide-2020",
	"nosedive", "platform-and-state", "sesame-credit", "us-credit", "xinjiang-pilot"}

// TestBuiltinsAreTheSpecifiedOnes: every scenario the specification names is
// embedded, from scenarios/ at the repository root (the files people read
// and edit are the ones the binary runs: package scenarios embeds them).
func TestBuiltinsAreTheSpecifiedOnes(t *testing.T) {
	var names []string
	for _, b := range Builtins() {
		names = append(names, b.Name)
		if b.Description == "" {
			t.Errorf("%s has no description", b.Name)
		}
	}
	if strings.Join(names, ",") != strings.Join(specBuiltins, ",") {
		t.Errorf("built-ins %v, want %v", names, specBuiltins)
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	if len(files) != len(specBuiltins) {
		t.Errorf("scenarios/ holds %d files, want %d", len(files), len(specBuiltins))
	}
	for _, name := range specBuiltins {
		emb, err := BuiltinSource(name)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := os.ReadFile(filepath.Join("..", "..", "scenarios", name+".yaml"))
		if err != nil || !bytes.Equal(emb, disk) {
			t.Errorf("scenarios/%s.yaml is not what the binary embeds (%v)", name, err)
		}
	}
}

// TestBuiltinsCiteSources: every rule, sanction and cap of a built-in says
// where it comes from, and every file opens with a header comment saying
// what it shows.
func TestBuiltinsCiteSources(t *testing.T) {
	for _, name := range specBuiltins {
		src, _ := BuiltinSource(name)
		if !bytes.HasPrefix(src, []byte("# "+name+":")) {
			t.Errorf("%s: the file should open with a header comment \"# %s: ...\"", name, name)
		}
		if name != "benchmark" && !bytes.Contains(src, []byte("What it shows:")) {
			t.Errorf("%s: header lacks \"What it shows:\"", name)
		}
		sc, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range sc.Scoring.Rules {
			if r.Source == "" {
				t.Errorf("%s: rule %s has no source", name, r.Name)
			}
		}
		for _, s := range sc.Sanctions {
			if s.Source == "" {
				t.Errorf("%s: sanction %s has no source", name, s.Name)
			}
		}
		for _, c := range sc.Tiers.Caps {
			if c.Source == "" {
				t.Errorf("%s: a tier cap has no source", name)
			}
		}
	}
}

// TestEveryMechanicInABuiltin: each mechanic of the specification is used
// by at least one built-in scenario, so it runs, is audited and is shown.
func TestEveryMechanicInABuiltin(t *testing.T) {
	has := map[string]bool{}
	for _, name := range specBuiltins {
		sc, err := Resolve(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Population.Regions) > 1 {
			has["several regions"] = true
		}
		for _, r := range sc.Population.Regions {
			if len(r.Groups) > 1 {
				has["groups per region"] = true
			}
		}
		for _, tr := range sc.Population.Traits {
			if len(tr.Where) > 0 {
				has["trait by group or age"] = true
			}
		}
		if len(sc.Population.Ages) > 1 {
			has["age bands"] = true
		}
		if sc.Population.Households.Children > 0 {
			has["children"] = true
		}
		if sc.Population.Households.Partnered > 0 {
			has["partners"] = true
		}
		switch sc.Network.Model {
		case "watts-strogatz", "":
			has["watts-strogatz"] = true
		case "homophilous":
			has["homophilous"] = true
		}
		if sc.Relationships.FormRate > 0 && sc.Relationships.BreakRate > 0 {
			has["dating and breakups"] = true
		}
		if sc.Relationships.Selectivity > 0 {
			has["selectivity"] = true
		}
		for _, c := range sc.Surveillance.Channels {
			if c.PerCamera > 0 {
				has["camera density"] = true
			}
			if len(c.Where) > 0 {
				has["detection per region"] = true
			}
			if c.Detect != nil && *c.Detect < 1 {
				has["imperfect detection"] = true
			}
		}
		for _, b := range sc.Behaviours {
			if b.Eligible.Src != "" {
				has["eligibility"] = true
			}
			if b.Chill.Peers > 0 {
				has["chill from peers"] = true
			}
			if b.Chill.Self > 0 {
				has["chill from own penalty"] = true
			}
		}
		for _, r := range sc.Scoring.Rules {
			if r.On != "" {
				has["event rule"] = true
			}
			if r.Every > 0 {
				has["periodic rule"] = true
			}
			if strings.Contains(r.When.Src, "partner.") || strings.Contains(r.Amount.Src, "partner.") {
				has["partner rule"] = true
			}
			if strings.Contains(r.When.Src, "acq.") || strings.Contains(r.Amount.Src, "acq.") {
				has["acquaintance rule"] = true
			}
			if len(r.SetFlags) > 0 {
				has["status flag"] = true
			}
		}
		if sc.Scoring.Recovery != nil && len(sc.Scoring.Recovery.UnlessFlags) > 0 {
			has["recovery stops for the flagged"] = true
		}
		if len(sc.Scoring.Initial) > 1 {
			has["group baseline"] = true
		}
		for _, c := range sc.Tiers.Caps {
			if c.Best != "" {
				has["tier cap"] = true
			}
			if c.Worst != "" {
				has["tier floor"] = true
			}
		}
		if len(sc.Tiers.Levels) > 3 {
			has["more than three tiers"] = true
		}
		for _, s := range sc.Sanctions {
			if len(s.Blocks) > 0 {
				has["blocks behaviour"] = true
			}
			if s.DenyAccount {
				has["no social-media account"] = true
			}
			if s.School && strings.Contains(s.When.Src, "partner.") {
				has["school block when both parents are low"] = true
			}
			if s.Detain != nil && s.Detain.ReleaseAfter > 0 {
				has["detention with release"] = true
			}
		}
		for _, p := range sc.Phases {
			if p.Day > 0 && len(p.Rules) > 0 {
				has["rules change at a later phase"] = true
			}
			if len(p.Regions) > 0 {
				has["regional roll-out"] = true
			}
		}
	}
	for _, m := range []string{"several regions", "groups per region", "trait by group or age", "age bands", "children",
		"partners", "watts-strogatz", "homophilous", "dating and breakups", "selectivity", "camera density",
		"detection per region", "imperfect detection", "eligibility", "chill from peers", "chill from own penalty",
		"event rule", "periodic rule", "partner rule", "acquaintance rule", "status flag", "recovery stops for the flagged",
		"group baseline", "tier cap", "tier floor", "more than three tiers", "blocks behaviour", "no social-media account",
		"school block when both parents are low", "detention with release", "rules change at a later phase", "regional roll-out"} {
		if !has[m] {
			t.Errorf("no built-in scenario uses %q", m)
		}
	}
}

// WriteBuiltins lists every built-in once, its description in one column.
func TestWriteBuiltins(t *testing.T) {
	var b strings.Builder
	if err := WriteBuiltins(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	bs := Builtins()
	if len(lines) != len(bs) {
		t.Fatalf("%d lines for %d built-ins:\n%s", len(lines), len(bs), b.String())
	}
	col := strings.Index(lines[0], bs[0].Description)
	for i, bi := range bs {
		if !strings.HasPrefix(lines[i], bi.Name+"  ") || strings.Index(lines[i], bi.Description) != col {
			t.Errorf("line %d = %q, want %s and its description at column %d", i, lines[i], bi.Name, col)
		}
	}
}
