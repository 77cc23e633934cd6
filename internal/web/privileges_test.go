package web

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

const rewardedYAML = `name: rewarded
population:
  regions: [{name: r, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: member, p: 0.5}]
  households: {partnered: 0.4}
network: {model: none}
surveillance: {channels: [{name: c, detect: 1}]}
behaviours: [{name: act, channel: c, context: leisure, rate: 1, penalised: true, gravity: 1}]
scoring:
  range: [0, 2000]
  initial: [{score: 1000}]
  rules: [{name: r_act, on: act, amount: -1}]
tiers:
  levels: [{name: high, min: 950}, {name: low}]
sanctions: [{name: ban, when: group == "y", context: travel, severity: 4}]
privileges:
  - {name: red, when: group == "x" && member, target: household, context: finance, waives: [r_act]}
`

// The run page's data carries the privileges where it carries the
// sanctions: their description, a daily series per group, and the
// audit's privilege figures.
func TestDashboardPrivileges(t *testing.T) {
	sc, err := scenario.Load("rewarded.yaml", []byte(rewardedYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "store")
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 1000, Days: 10, Seed: 1,
		Workers: 1, Ledger: "none", OutDir: store})
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(res.Dir)
	s := newServer(t, Config{Store: store})
	audited(t, s, id)
	r := call(t, s, "GET", "/api/runs/"+id, "")
	if r.code != 200 {
		t.Fatalf("dashboard: %d %s", r.code, r.body)
	}
	var d Dashboard
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Privileges) != 1 || d.Privileges[0].Name != "red" || d.Privileges[0].Via != "household" {
		t.Fatalf("privileges %+v", d.Privileges)
	}
	series := d.Series["privilege_red"]
	if len(series) != 2 {
		t.Fatalf("no privilege_red series per group: %v", series)
	}
	held := series[0][10] + series[1][10]
	p := d.Audit.Overall.Privileged
	if p == nil || held != float64(p.Ever.Numerator) || held == 0 || series[0][0]+series[1][0] != 0 {
		t.Errorf("privileged on day 10: %v (day 0: %v), audit says %+v ever", held, series[0][0]+series[1][0], p)
	}
}
