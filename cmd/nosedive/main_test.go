package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/parquet-go/parquet-go"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestRunEndToEnd(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, "run", "benchmark", "--agents", "3000", "--days", "20", "--out", out, "--quiet", "--ledger", "sample:0.1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"benchmark: 3000 agents x 20 days", "untrustworthy", "travel_ban", "buy_alcohol", "run directory:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("want exactly one run directory in %s, got %v (%v)", out, entries, err)
	}
	dir := filepath.Join(out, entries[0].Name())
	var m struct {
		Agents int `json:"agents"`
		Days   int `json:"days"`
		Graph  struct {
			MeanDegree float64 `json:"mean_degree"`
		} `json:"graph"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Agents != 3000 || m.Days != 20 || m.Graph.MeanDegree < 9.9 {
		t.Errorf("manifest: %+v", m)
	}
	// The tables open with a Parquet reader and have the documented shape.
	type dailyRow struct {
		Day       int32   `parquet:"day"`
		Group     string  `parquet:"group"`
		Agents    int64   `parquet:"agents"`
		ScoreMean float64 `parquet:"score_mean"`
		Untrust   int64   `parquet:"tier_untrustworthy"`
	}
	rows, err := parquet.ReadFile[dailyRow](filepath.Join(dir, "daily.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 21*2 { // days 0..20 x groups a, b (one region)
		t.Errorf("daily.parquet has %d rows, want 42", len(rows))
	}
	var n int64
	for _, r := range rows {
		if r.Day == 20 {
			n += r.Agents
		}
	}
	if n != 3000 {
		t.Errorf("agents on the last day sum to %d, want 3000", n)
	}
	type agentRow struct {
		Agent    int32   `parquet:"agent"`
		Score    float64 `parquet:"score"`
		Baseline float64 `parquet:"baseline"`
		Tier     string  `parquet:"tier"`
		Alcohol  float64 `parquet:"delta_alcohol"`
		Recovery float64 `parquet:"delta_recovery"`
	}
	agents, err := parquet.ReadFile[agentRow](filepath.Join(dir, "agents.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 3000 || agents[0].Tier == "" {
		t.Errorf("agents.parquet: %d rows, first %+v", len(agents), agents[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.parquet")); err != nil {
		t.Errorf("ledger.parquet missing: %v", err)
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\npopulaton: {}\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", bad, "--out", dir}, bad + `:2:1: scenario: unknown key "populaton" (did you mean "population"?)`},
		{[]string{"validate", bad}, `unknown key "populaton"`},
		{[]string{"run", "xinjang-pilot"}, `did you mean "xinjiang-pilot"?`},
		{[]string{"run", "benchmark", "--agents", "-5"}, "--agents must be between 2"},
		{[]string{"run", "benchmark", "--set", "scoring.rules.alcohol.amunt=3"}, `unknown key "amunt" (did you mean "amount"?)`},
		{[]string{"run", "benchmark", "--set", "scoring.rules.alcohl.amount=3"}, `no item "alcohl" in the list (did you mean "alcohol"?)`},
		{[]string{"run", "benchmark", "--bogus"}, "unknown flag: --bogus; see nosedive run --help"},
		{[]string{"run", "benchmark", "--agent", "100"}, `unknown flag: --agent (did you mean "--agents"?)`},
		{[]string{"run", "benchmark", "--agents=20k"}, `--agents: "20k" is not a whole number (write 20000)`},
		{[]string{"run", "benchmark", "--agents=many"}, `--agents: "many" is not a whole number`},
		{[]string{"run", "benchmark", "--seed=-1"}, `--seed: "-1" is not a whole number, 0 or more`},
		{[]string{"rn", "benchmark"}, `unknown command "rn" for "nosedive"`},
		{[]string{"run"}, "takes 1 argument"},
		{[]string{"run", "benchmark", "--ledger", "some"}, "--ledger: use none, all or sample:FRACTION"},
		{[]string{"scenarios", "show", "nope"}, `scenario "nope"`},
	}
	for _, c := range cases {
		code, _, stderr := cli(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", c.args, code, stderr)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr lacks %q:\n%s", c.args, c.want, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("bad runs left files behind: %v", entries)
	}
}

func TestScenariosSchemaVersion(t *testing.T) {
	code, stdout, _ := cli(t, "scenarios")
	if code != 0 || !strings.Contains(stdout, "benchmark") {
		t.Errorf("scenarios: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = cli(t, "scenarios", "show", "benchmark")
	if code != 0 || !strings.Contains(stdout, "name: benchmark") {
		t.Errorf("scenarios show: exit %d", code)
	}
	code, stdout, _ = cli(t, "schema")
	var schema map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &schema) != nil {
		t.Fatalf("schema: exit %d, not JSON", code)
	}
	props, _ := schema["properties"].(map[string]any)
	for _, k := range []string{"population", "scoring", "tiers", "sanctions", "phases"} {
		if _, ok := props[k]; !ok {
			t.Errorf("schema lacks property %q", k)
		}
	}
	code, stdout, _ = cli(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "nosedive ") {
		t.Errorf("version: exit %d %q", code, stdout)
	}
	code, stdout, _ = cli(t, "validate", "benchmark")
	if code != 0 || !strings.Contains(stdout, "benchmark: ok") {
		t.Errorf("validate benchmark: exit %d %q", code, stdout)
	}
}

func TestInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := t.TempDir()
	var o, e bytes.Buffer
	code := run(ctx, []string{"run", "benchmark", "--agents", "2000", "--days", "5", "--out", out, "--quiet"}, &o, &e)
	if code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, e.String())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("interrupted run left %v", entries)
	}
}

func TestAuditExplainReportAttribute(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "run", "benchmark", "--agents", "1500", "--days", "30", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	entries, _ := os.ReadDir(out)
	dir := filepath.Join(out, entries[0].Name())
	code, stdout, stderr := cli(t, "audit", dir, "--counterfactual", "no-regime", "--ablate", "alcohol")
	if code != 0 || strings.Count(stderr, "30/30 days") != 2 {
		t.Fatalf("audit: exit %d (twins' progress: two runs of 30 days)\n%s", code, stderr)
	}
	for _, want := range []string{"Reference group: a", "EU AI Act Art. 5(1)(c)", "Chilling", "Rule alcohol adds"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("audit output lacks %q", want)
		}
	}
	code, stdout, stderr = cli(t, "explain", dir, "--agent", "12")
	if code != 0 || !strings.Contains(stdout, "baseline + contributions, exact") {
		t.Fatalf("explain: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cli(t, "explain", dir, "--agent", "99999"); code != 2 || !strings.Contains(stderr, "agents 0 to 1499") {
		t.Errorf("explain with a bad id: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "audit", dir, "--ablate", "alcohl"); code != 2 || !strings.Contains(stderr, `did you mean "alcohol"?`) {
		t.Errorf("audit --ablate typo: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "audit", dir, "--by", "colour"); code != 2 || !strings.Contains(stderr, "cannot group by") {
		t.Errorf("audit --by colour: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "audit", filepath.Join(out, "nope")); code != 2 {
		t.Errorf("audit of a missing run: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = cli(t, "attribute", dir, "--agents", "800")
	if code != 0 || !strings.Contains(stdout, "exact Shapley") || !strings.Contains(stderr, "exact: 64 twins of 6 rules") ||
		!strings.Contains(stderr, "64/64 twin runs") || !strings.Contains(stdout, "efficiency holds") {
		t.Fatalf("attribute: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cli(t, "attribute", dir, "--agents", "800", "--sampled", "--pairs", "4", "--metric", "detained", "--metric", "tier:untrustworthy")
	if code != 0 || !strings.Contains(stdout, "antithetic permutation pairs") || !strings.Contains(stderr, "sampled (--sampled): 4 antithetic permutation pairs") ||
		!strings.Contains(stdout, "tier:untrustworthy: total effect") || !strings.Contains(stdout, "95% interval") || strings.Contains(stdout, "gap_worst_tier") {
		t.Fatalf("attribute --sampled: exit %d\n%s%s", code, stdout, stderr)
	}
	// KernelSHAP, the default estimator: 40 twins of 6 rules are the
	// single rules, the leave-one-out twins and 13 distinct pairs (15 drawn).
	code, stdout, stderr = cli(t, "attribute", dir, "--agents", "800", "--sampled", "--twins", "40", "--metric", "detained")
	if code != 0 || !strings.Contains(stdout, "Shapley estimated by KernelSHAP") ||
		!strings.Contains(stderr, "sampled (--sampled): KernelSHAP, coalitions of 1, 5 rules in full and 15 sampled with their complements") ||
		!strings.Contains(stderr, "KernelSHAP by default") || !strings.Contains(stdout, "95% interval") {
		t.Fatalf("attribute --sampled --twins 40: exit %d\n%s%s", code, stdout, stderr)
	}
	if rep, err := audit.ReadReport(dir); err != nil || rep.Attribution.Estimator != "kernel" || rep.Attribution.CoalitionPairs != 15 || rep.Attribution.Runs != 40 {
		t.Errorf("audit.json after KernelSHAP: %v, %+v", err, rep.Attribution)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--estimator", "kernel", "--pairs", "4"}, "with --estimator kernel give --twins"},
		{[]string{"--estimator", "permutation", "--twins", "40"}, "with --estimator permutation give --pairs"},
		{[]string{"--twins", "31"}, "needs at least 32 twins"},
		{[]string{"--estimator", "shapley"}, `unknown estimator "shapley"`},
	} {
		if code, _, stderr := cli(t, append([]string{"attribute", dir}, c.args...)...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("attribute %v: exit %d, want 2 and %q\n%s", c.args, code, c.want, stderr)
		}
	}
	if code, _, stderr := cli(t, "attribute", dir, "--metric", "detaned"); code != 2 || !strings.Contains(stderr, `did you mean "detained"?`) {
		t.Errorf("attribute --metric typo: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli(t, "attribute", dir, "--exact", "--sampled"); code != 2 {
		t.Errorf("attribute --exact --sampled: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = cli(t, "report", dir)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(html), "Which rule causes which harm") || !strings.Contains(string(html), "The chilling effect") {
		t.Errorf("report lacks attribution or chilling (%v)", err)
	}
}

// An output directory that cannot be created is a failure (exit 1) with a
// clear message, and nothing is written anywhere.
func TestUnwritableOutputExitsOne(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-directory")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, "run", "benchmark", "--agents", "1000", "--days", "2", "--quiet", "--out", filepath.Join(blocker, "runs"))
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "create output directory") || !strings.Contains(stderr, "not a directory") {
		t.Errorf("stderr does not explain the failure:\n%s", stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
