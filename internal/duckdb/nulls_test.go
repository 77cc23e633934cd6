package duckdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// TestNullsAndOneKey reads a real run's tables, as nosedive writes them,
// through the views: a person without a partner has a NULL partner (in
// agents and in the trace), one never sanctioned a NULL
// first_sanction_day, never -1; and the person is `agent` in agents,
// ledger and trace, so they join with USING (agent). The NULLs are checked
// person by person against the engine's final state.
func TestNullsAndOneKey(t *testing.T) {
	sets := []string{"run.agents=400", "run.days=40"}
	sc, err := scenario.Resolve("xinjiang-pilot", sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 400, Days: 40, Seed: 1,
		Workers: 1, Ledger: "all", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, res.Dir)
	list := func(q string) []string {
		t.Helper()
		_, got := rows(t, db, q)
		out := []string{}
		for _, r := range got {
			out = append(out, r[0])
		}
		return out
	}
	var noPartner, neverSanctioned []string
	for a, p := range res.Final.Partner {
		if p < 0 {
			noPartner = append(noPartner, fmt.Sprint(a))
		}
		if res.Final.FirstSanction[a] < 0 {
			neverSanctioned = append(neverSanctioned, fmt.Sprint(a))
		}
	}
	n := len(res.Final.Partner)
	if len(noPartner) == 0 || len(noPartner) == n || len(neverSanctioned) == 0 || len(neverSanctioned) == n {
		t.Fatalf("the run has %d of %d people without a partner and %d never sanctioned: the test needs both kinds of each",
			len(noPartner), n, len(neverSanctioned))
	}
	if diff := cmp.Diff(list(`SELECT agent FROM agents WHERE partner IS NULL ORDER BY agent`), noPartner); diff != "" {
		t.Errorf("people with a NULL partner (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(list(`SELECT agent FROM agents WHERE first_sanction_day IS NULL ORDER BY agent`), neverSanctioned); diff != "" {
		t.Errorf("people with a NULL first_sanction_day (-got +want):\n%s", diff)
	}
	for _, q := range []string{
		`SELECT count(*) FROM agents WHERE partner < 0 OR first_sanction_day < 0`,
		`SELECT count(*) FROM trace WHERE partner < 0`,
		// Partnerships are mutual: a partner's partner is oneself.
		`SELECT count(*) FROM agents a JOIN agents b ON a.partner = b.agent WHERE b.partner IS DISTINCT FROM a.agent`,
		// The trace's last state of each person is the agents table's.
		`SELECT count(*) FROM agents a JOIN (SELECT agent, partner FROM trace
			QUALIFY row_number() OVER (PARTITION BY agent ORDER BY day DESC) = 1) t USING (agent)
			WHERE t.partner IS DISTINCT FROM a.partner`,
		// baseline plus the ledger's changes is the final score.
		`SELECT count(*) FROM agents a JOIN (SELECT agent, sum(delta) AS d FROM ledger GROUP BY agent) l USING (agent)
			WHERE abs(a.baseline + l.d - a.score) > 0.0005`,
	} {
		if got := list(q); got[0] != "0" {
			t.Errorf("%s: %s, want 0", q, got[0])
		}
	}
	ledger := list(`SELECT count(*) FROM ledger`)
	if ledger[0] == "0" {
		t.Fatal("the ledger is empty")
	}
	for _, q := range []string{
		`SELECT count(*) FROM agents JOIN ledger USING (agent)`,
		`SELECT count(*) FROM agents JOIN ledger USING (dir, agent)`,
	} {
		if diff := cmp.Diff(list(q), ledger); diff != "" {
			t.Errorf("%s: every ledger row has its person (-got +want):\n%s", q, diff)
		}
	}
	sampled := list(`SELECT count(DISTINCT agent) FROM trace JOIN agents USING (agent)`)
	if diff := cmp.Diff(sampled, list(`SELECT count(DISTINCT agent) FROM trace`)); diff != "" || sampled[0] == "0" {
		t.Errorf("trace JOIN agents USING (agent): %v people (-got +want):\n%s", sampled, diff)
	}
}
