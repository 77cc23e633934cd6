package report

import (
	"bytes"
	"context"
	stdhtml "html"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// external matches anything that would make a browser fetch a resource.
var external = regexp.MustCompile(`(?i)(<script|<link|<iframe|<img|@import|url\(\s*['"]?(https?:)?//|(src|href)\s*=\s*["']?(https?:)?//)`)

// auditedRun runs a built-in and audits it.
func auditedRun(t *testing.T, name string, agents, days int, seed uint64) (*audit.Run, *audit.Report, string) {
	t.Helper()
	sc, err := scenario.Resolve(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return auditSpec(t, runner.Spec{Scenario: sc, Agents: agents, Days: days, Seed: seed})
}

// auditSpec runs spec (without a ledger, into a temporary directory) and
// audits the run.
func auditSpec(t *testing.T, spec runner.Spec) (*audit.Run, *audit.Report, string) {
	t.Helper()
	spec.Ledger, spec.OutDir = "none", t.TempDir()
	res, err := runner.Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	run, err := audit.Load(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Compute(run, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return run, rep, res.Dir
}

func renderRun(t *testing.T, name string, twin bool) string {
	t.Helper()
	run, rep, dir := auditedRun(t, name, 3000, 40, 5)
	in := Input{Run: run, Audit: rep, Version: "test"}
	if twin {
		dir, err := runner.Twin(context.Background(), dir, runner.NoRegime, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Chilling, err = audit.ComputeChilling(run, dir); err != nil {
			t.Fatal(err)
		}
		in.TwinDir = dir
	}
	var buf bytes.Buffer
	pg, err := Render(&buf, in)
	if err != nil {
		t.Fatal(err)
	}
	if twin {
		png := t.TempDir()
		for _, c := range pg.Charts {
			path, err := c.SavePNG(png)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
				t.Errorf("PNG %s missing or empty", filepath.Base(path))
			}
		}
	}
	return buf.String()
}

// The report renders for every built-in scenario, references nothing
// outside itself, and carries the sections a reader needs.
func TestReportEveryBuiltin(t *testing.T) {
	for _, b := range scenario.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			html := renderRun(t, b.Name, b.Name == "benchmark")
			if m := external.FindString(html); m != "" {
				t.Errorf("report references something external: %q", m)
			}
			for _, want := range []string{"<h2>Findings</h2>", "Scores over time", "Tiers over time", "Who is harmed",
				"Article 5(1)(c)", "The model (ODD description)", "Process overview and scheduling", "Methods and limits",
				"Everyone in this report is synthetic", "<svg"} {
				if !strings.Contains(html, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if b.Name == "benchmark" && !strings.Contains(html, "The chilling effect") {
				t.Error("benchmark report with a twin lacks the chilling chart")
			}
			// Every rule is in the model description, and every source of a
			// rule, tier, cap, sanction or phase is printed with each key's
			// full citation in the references.
			sc, _ := scenario.Resolve(b.Name, nil)
			for _, x := range sc.Scores { // the extra scores' means by group
				if !strings.Contains(html, `<h3 id="scores">Every score</h3>`) || !strings.Contains(html, "<th>"+x.Name+"</th>") {
					t.Errorf("report lacks the table of every score, or score %s in it", x.Name)
				}
			}
			for _, r := range sc.Scoring.Rules {
				if !strings.Contains(html, ">"+r.Name+"<") {
					t.Errorf("rule %s missing from the model description", r.Name)
				}
			}
			var srcs []string
			for _, r := range sc.Scoring.Rules {
				srcs = append(srcs, r.Source)
			}
			for _, l := range sc.Tiers.Levels {
				srcs = append(srcs, l.Source)
			}
			for _, c := range sc.Tiers.Caps {
				srcs = append(srcs, c.Source)
			}
			for _, x := range sc.Sanctions {
				srcs = append(srcs, x.Source)
			}
			for _, p := range sc.Phases {
				srcs = append(srcs, p.Source)
			}
			for _, s := range srcs {
				refs, err := scenario.ResolveSource(s, sc.OwnCitations())
				if err != nil {
					t.Fatal(err)
				}
				for _, ref := range refs {
					c, _ := scenario.LookupCitation(ref.Key)
					if !strings.Contains(html, "["+ref.Key+"]") || !strings.Contains(html, template.HTMLEscapeString(c.Text)) {
						t.Errorf("source key %s not printed with its citation", ref.Key)
					}
				}
			}
			if strings.Contains(html, "invented for illustration") {
				t.Error("a source is printed as not stated")
			}
		})
	}
}

func TestExternalPattern(t *testing.T) {
	for _, bad := range []string{`<script src="x.js">`, `<link rel=stylesheet href="https://x">`, `url(https://f/x.woff)`, `<img src="//x/y.png">`} {
		if !external.MatchString(bad) {
			t.Errorf("pattern misses %q", bad)
		}
	}
	for _, ok := range []string{`<svg xmlns="http://www.w3.org/2000/svg">`, `<a href="#findings">`} {
		if external.MatchString(ok) {
			t.Errorf("pattern flags harmless %q", ok)
		}
	}
}

// The rules section shows what the attribution attributed (any --metric,
// by its meaning), why it was exact or sampled, and each sampled value's
// 95% interval; an exact value says so.
func TestAttributionSection(t *testing.T) {
	run, rep, _ := auditedRun(t, "benchmark", 500, 10, 1)
	render := func(at *audit.Attribution) string {
		rep.Attribution = at
		var buf bytes.Buffer
		if _, err := Render(&buf, Input{Run: run, Audit: rep, Version: "test"}); err != nil {
			t.Fatal(err)
		}
		return stdhtml.UnescapeString(buf.String())
	}
	sampled := &audit.Attribution{Method: "sampled Shapley values", Choice: "sampled: 2^14 twins would cost too much; 16 antithetic permutation pairs instead",
		Rules: []string{"alcohol", "nightclub"}, Metrics: []string{"detained"},
		Total:       map[string]float64{"detained": 0.3},
		Shapley:     map[string]map[string]float64{"alcohol": {"detained": 0.2}, "nightclub": {"detained": 0.1}},
		LeaveOneOut: map[string]map[string]float64{"alcohol": {"detained": 0.2}, "nightclub": {"detained": 0.1}},
		Interval:    map[string]map[string][2]float64{"alcohol": {"detained": {0.15, 0.25}}, "nightclub": {"detained": {0.05, 0.15}}},
		Runs:        66, Agents: 500}
	html := render(sampled)
	for _, want := range []string{"share detained at the end", "16 antithetic permutation pairs instead", "[+0.15, +0.25]", "[+0.05, +0.15]", "95% interval"} {
		if !strings.Contains(html, want) {
			t.Errorf("sampled attribution: no %q in the rules section", want)
		}
	}
	if strings.Contains(html, "zero-width") {
		t.Error("a note on zero-width intervals where every interval has a width")
	}
	sampled.Interval["nightclub"]["detained"] = [2]float64{0.1, 0.1}
	if html := render(sampled); !strings.Contains(html, "zero-width intervals (nightclub): every sampled pair gave the same value; that is the spread of the sample, not certainty") {
		t.Error("a sampled interval of no width is shown without saying it is not certainty")
	}
	sampled.Interval = nil
	if html := render(sampled); !strings.Contains(html, "<td>exact</td>") {
		t.Error("an exact attribution does not say exact")
	}
}
