package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// render runs a small scenario with a label and overrides and renders its
// report.
func renderLabelled(t *testing.T, name string, sets []string, label string) string {
	t.Helper()
	sc, err := scenario.Resolve(name, sets)
	if err != nil {
		t.Fatal(err)
	}
	run, rep, _ := auditSpec(t, runner.Spec{Scenario: sc, Sets: sets, Name: label, Agents: 1500, Days: 20, Seed: 5})
	var buf bytes.Buffer
	if _, err := Render(&buf, Input{Run: run, Audit: rep, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A what-if says so in its header: its label in the title, the overrides
// next to it, and the scenario's own description marked as the scenario
// before the edits. An unedited run's header has none of it.
func TestReportHeaderOfAWhatIf(t *testing.T) {
	html := renderLabelled(t, "xinjiang-pilot", []string{"tiers.caps.0.best=trustworthy"}, "Cap lifted")
	header := html[:strings.Index(html, "</header>")]
	for _, want := range []string{
		"<title>nosedive report: xinjiang-pilot · Cap lifted (edited)</title>",
		"<h1>xinjiang-pilot · Cap lifted: what this regime does to people</h1>",
		"<strong>Edited:</strong> <code>tiers.caps.0.best=trustworthy</code>",
		"<strong>The scenario as written</strong> (before the edits above",
	} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q:\n%s", want, header)
		}
	}
	// The edit sits between the title and the description.
	if strings.Index(header, "Edited:") > strings.Index(header, "capped at average") {
		t.Error("the edit is printed after the scenario's description")
	}

	plain := renderLabelled(t, "xinjiang-pilot", nil, "")
	header = plain[:strings.Index(plain, "</header>")]
	if strings.Contains(header, "Edited:") || strings.Contains(header, "as written") || strings.Contains(header, " · Cap") {
		t.Errorf("an unedited run's header claims edits:\n%s", header)
	}
	if !strings.Contains(header, "<p>Xinjiang pilot:") {
		t.Errorf("an unedited run's header lacks its description:\n%s", header)
	}
}
