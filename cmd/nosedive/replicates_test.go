package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// replicateRuns makes xinjiang-pilot runs of 2,000 agents x 30 days with
// the given seeds (and --set overrides) in dir, and returns their
// directories.
func replicateRuns(t *testing.T, dir string, agents int, sets []string, seeds ...uint64) []string {
	t.Helper()
	sc, err := scenario.Resolve("xinjiang-pilot", sets)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, s := range seeds {
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: agents, Days: 30,
			Seed: s, Workers: 1, Ledger: "none", OutDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, res.Dir)
	}
	return dirs
}

// figureJSON is one figure of `audit --json` over replicates.
type figureJSON struct {
	Mean, Lo, Hi *float64
	N            int
	Values       []*float64
}

type replicatesJSON struct {
	Runs      []string              `json:"runs"`
	Seeds     []uint64              `json:"seeds"`
	Reference string                `json:"reference_group"`
	Headline  map[string]figureJSON `json:"headline"`
	Overall   struct {
		Figures map[string]figureJSON `json:"figures"`
	} `json:"overall"`
	Groups []struct {
		Attribute string                `json:"attribute"`
		Value     string                `json:"value"`
		Figures   map[string]figureJSON `json:"figures"`
	} `json:"groups"`
	Cascade map[string]figureJSON `json:"cascade"`
	Art5    map[string]figureJSON `json:"eu_ai_act_art5"`
}

func TestAuditReplicates(t *testing.T) {
	out := t.TempDir()
	runs := replicateRuns(t, out, 2000, nil, 1, 2, 3)

	code, stdout, stderr := cli(t, append([]string{"audit", "--json"}, runs...)...)
	if code != 0 {
		t.Fatalf("audit of 3 replicates: exit %d\n%s", code, stderr)
	}
	var got replicatesJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if len(got.Runs) != 3 || len(got.Seeds) != 3 || got.Reference == "" {
		t.Errorf("runs %v, seeds %v, reference %q", got.Runs, got.Seeds, got.Reference)
	}

	// Hand computation: the overall share ever sanctioned of each
	// replicate's own audit.json (numerator / denominator), their mean and
	// mean +- t(0.975, 2) x sd / sqrt(3).
	var xs []float64
	for _, d := range runs {
		b, err := os.ReadFile(filepath.Join(d, AuditFile))
		if err != nil {
			t.Fatalf("each replicate's audit.json is written: %v", err)
		}
		var a struct {
			Overall struct {
				Ever struct{ Numerator, Denominator float64 } `json:"ever_sanctioned"`
			} `json:"overall"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		xs = append(xs, a.Overall.Ever.Numerator/a.Overall.Ever.Denominator)
	}
	mean := (xs[0] + xs[1] + xs[2]) / 3
	sd := math.Sqrt(((xs[0]-mean)*(xs[0]-mean) + (xs[1]-mean)*(xs[1]-mean) + (xs[2]-mean)*(xs[2]-mean)) / 2)
	half := 4.302653 * sd / math.Sqrt(3)
	if sd == 0 {
		t.Fatalf("the replicates agree exactly (%v): the test needs spread", xs)
	}
	for _, f := range []figureJSON{got.Overall.Figures["ever_sanctioned"], got.Headline["ever_sanctioned"]} {
		if f.Mean == nil || f.Lo == nil || f.Hi == nil || f.N != 3 || len(f.Values) != 3 {
			t.Fatalf("ever_sanctioned: %+v", f)
		}
		for i, v := range f.Values {
			if v == nil || math.Abs(*v-xs[i]) > 1e-12 {
				t.Errorf("value %d: got %v, want %v", i, v, xs[i])
			}
		}
		if math.Abs(*f.Mean-mean) > 1e-12 || math.Abs(*f.Lo-(mean-half)) > 1e-9 || math.Abs(*f.Hi-(mean+half)) > 1e-9 {
			t.Errorf("ever_sanctioned: got %v [%v, %v], want %v [%v, %v]", *f.Mean, *f.Lo, *f.Hi, mean, mean-half, mean+half)
		}
	}
	// Every group row has its people, tiers and disparities as figures.
	if len(got.Groups) == 0 {
		t.Fatal("no group rows")
	}
	for _, name := range []string{"people", "mean_score", "tier_untrustworthy", "ever_sanctioned", "difference_ever_sanctioned", "ratio_ever_sanctioned"} {
		if _, ok := got.Groups[0].Figures[name]; !ok {
			t.Errorf("group row lacks %s: %v", name, got.Groups[0].Figures)
		}
	}
	for _, name := range []string{"sanctioned", "cascaded"} {
		if got.Cascade[name].N != 3 {
			t.Errorf("cascade %s: %+v", name, got.Cascade[name])
		}
	}

	// The tables print each rate as mean [lo, hi].
	code, stdout, stderr = cli(t, append([]string{"audit"}, runs...)...)
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, stderr)
	}
	want := "  ever_sanctioned  "
	line := ""
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, want) {
			line = strings.TrimSpace(strings.TrimPrefix(l, want))
		}
	}
	if exp := formatPct(mean) + "% [" + formatPct(mean-half) + ", " + formatPct(mean+half) + "]"; line != exp {
		t.Errorf("headline ever_sanctioned line: got %q, want %q\n%s", line, exp, stdout)
	}
	for _, w := range []string{"Audit of 3 replicates of xinjiang-pilot", "Scores and tiers:", "Sanctions:", "EU AI Act Art. 5(1)(c)", "in 3 of 3"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q", w)
		}
	}

	// Single-run audit is unchanged: the header of one run, no intervals.
	code, stdout, _ = cli(t, "audit", runs[0])
	if code != 0 || !strings.Contains(stdout, "Audit of "+filepath.Base(runs[0])) || strings.Contains(stdout, "replicates") {
		t.Errorf("single-run audit changed: exit %d\n%s", code, stdout)
	}

	// Refusals: exit 2 with a message that says why.
	other := t.TempDir()
	bigger := replicateRuns(t, other, 1500, nil, 4)[0]
	capped := replicateRuns(t, other, 2000, []string{"tiers.caps.0.best=trustworthy"}, 5)[0]
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"population size", []string{runs[0], runs[1], bigger}, "population size (2000 vs 1500 agents)"},
		{"set overrides", []string{runs[0], capped}, "--set overrides"},
		{"the same run twice", []string{runs[0], runs[0]}, "the same run, not two replicates"},
		{"not a run", []string{runs[0], filepath.Join(out, "nope")}, "not a run directory"},
		{"twins with replicates", []string{runs[0], runs[1], "--counterfactual", "no-regime"}, "audit one run"},
		{"--point on runs", []string{runs[0], "--point", "0"}, "not a sweep directory"},
	} {
		code, _, stderr := cli(t, append([]string{"audit"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want 2 and %q in\n%s", c.name, code, c.want, stderr)
		}
	}
}

func formatPct(x float64) string {
	b, _ := json.Marshal(math.Round(1000*x) / 10)
	s := string(b)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// A sweep point's replicates give the same headline figures as `sweep
// summarize --point` (one interval implementation), and bad points are
// refused with the valid range.
func TestAuditSweepPoint(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "sweep", writeSweep(t, smallSweep), "--out", out, "--jobs", "1", "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(out, "tiny")
	code, stdout, stderr := cli(t, "audit", dir, "--point", "1", "--json")
	if code != 0 {
		t.Fatalf("audit --point: exit %d\n%s", code, stderr)
	}
	var got replicatesJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = cli(t, "sweep", "summarize", dir, "--point", "1", "--json")
	if code != 0 {
		t.Fatalf("summarize: exit %d\n%s", code, stderr)
	}
	var sum []struct {
		Point  int      `json:"point"`
		Metric string   `json:"metric"`
		N      int      `json:"n"`
		Mean   *float64 `json:"mean"`
		Lo     *float64 `json:"ci95_low"`
		Hi     *float64 `json:"ci95_high"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("summarize --json: %v\n%s", err, stdout)
	}
	compared := 0
	for _, s := range sum {
		f, ok := got.Headline[s.Metric]
		if !ok || s.Point != 1 || s.Mean == nil {
			continue
		}
		compared++
		if f.N != s.N || f.Mean == nil || math.Abs(*f.Mean-*s.Mean) > 1e-12 {
			t.Errorf("%s: audit --point %+v, sweep summarize %v (n %d)", s.Metric, f, *s.Mean, s.N)
			continue
		}
		if (f.Lo == nil) != (s.Lo == nil) || (f.Lo != nil && (math.Abs(*f.Lo-*s.Lo) > 1e-12 || math.Abs(*f.Hi-*s.Hi) > 1e-12)) {
			t.Errorf("%s: interval differs from sweep summarize's", s.Metric)
		}
	}
	if compared < 10 {
		t.Errorf("compared only %d headline figures with sweep summarize:\n%s", compared, stdout)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"point out of range", []string{dir, "--point", "7"}, "sweep tiny has points 0 to 3"},
		{"no point", []string{dir}, "pick a design point with --point P (0 to 3)"},
		{"negative point", []string{dir, "--point", "-3"}, "numbered from 0"},
	} {
		code, _, stderr := cli(t, append([]string{"audit"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want 2 and %q in\n%s", c.name, code, c.want, stderr)
		}
	}
	// A point with one finished replicate gives no interval.
	entries, _ := os.ReadDir(filepath.Join(dir, "runs"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "p0002-r01") {
			os.RemoveAll(filepath.Join(dir, "runs", e.Name()))
		}
	}
	code, _, stderr = cli(t, "audit", dir, "--point", "2")
	if code != 2 || !strings.Contains(stderr, "a single run gives no interval; use `nosedive audit RUN`") {
		t.Errorf("one replicate: exit %d\n%s", code, stderr)
	}
}

// external matches anything that would make a browser fetch a resource
// (the same screen as internal/report's test).
var external = regexp.MustCompile(`(?i)(<script|<link|<iframe|<img|@import|url\(\s*['"]?(https?:)?//|(src|href)\s*=\s*["']?(https?:)?//)`)

func TestReportReplicates(t *testing.T) {
	out := t.TempDir()
	runs := replicateRuns(t, out, 2000, nil, 1, 2, 3)
	page := filepath.Join(out, "replicates.html")
	code, stdout, stderr := cli(t, append([]string{"report", "--out", page}, runs...)...)
	if code != 0 {
		t.Fatalf("report of 3 replicates: exit %d\n%s", code, stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	// The headline row of the replicate section: the mean share ever
	// sanctioned as `audit --json` computes it.
	_, js, _ := cli(t, append([]string{"audit", "--json"}, runs...)...)
	var a replicatesJSON
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	ever := a.Headline["ever_sanctioned"]
	row := "<td class=\"l\">ever_sanctioned</td><td>" + formatPct(*ever.Mean) + "%</td><td>[" + formatPct(*ever.Lo) + ", " + formatPct(*ever.Hi) + "]</td><td>3</td>"
	for _, want := range []string{`<section id="replicates">`, "<h2>Across 3 replicates</h2>", "the first of 3 replicates of one design",
		"This page shows the first of 3 replicate runs", "Group disparities", "ratio vs " + a.Reference, row, filepath.Base(runs[0])} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if m := external.FindString(html); m != "" {
		t.Errorf("the report references something outside itself: %q", m)
	}
	if !strings.Contains(stdout, page) {
		t.Errorf("stdout: %s", stdout)
	}
	// Not replicates: exit 2.
	bigger := replicateRuns(t, t.TempDir(), 1500, nil, 4)[0]
	if code, _, stderr := cli(t, "report", runs[0], bigger); code != 2 || !strings.Contains(stderr, "population size") {
		t.Errorf("report of non-replicates: exit %d\n%s", code, stderr)
	}
	// A single run's report has no replicate section.
	if code, _, stderr := cli(t, "report", runs[1]); code != 0 {
		t.Fatalf("single-run report: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(runs[1], "report.html")); strings.Contains(string(b), `id="replicates"`) || !strings.Contains(string(b), "Replicates: 1.") {
		t.Error("a single-run report has a replicate section")
	}
}

// A sweep point's runs keep no agents table; the report of the point
// still renders (without the Lorenz chart) from the stored audits.
func TestReportSweepPoint(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := cli(t, "sweep", writeSweep(t, smallSweep), "--out", out, "--jobs", "1", "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(out, "tiny")
	page := filepath.Join(out, "p3.html")
	if code, _, stderr := cli(t, "report", dir, "--point", "3", "--out", page); code != 0 {
		t.Fatalf("report --point: exit %d\n%s", code, stderr)
	}
	b, _ := os.ReadFile(page)
	for _, want := range []string{"<h2>Across 2 replicates</h2>", "p0003-r00", "tiers.caps.0.best=trustworthy"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if code, _, stderr := cli(t, "report", dir, "--point", "4"); code != 2 || !strings.Contains(stderr, "points 0 to 3") {
		t.Errorf("report of a missing point: exit %d\n%s", code, stderr)
	}
}
