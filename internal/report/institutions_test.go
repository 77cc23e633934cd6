package report

import (
	"bytes"
	"context"
	"fmt"
	stdhtml "html"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sweep"
)

func lendingRun(t *testing.T, sets []string, days int) (*audit.Run, *audit.Report) {
	t.Helper()
	path := filepath.Join("..", "sweep", "testdata", "lending.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load(path, src, sets)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 2000, Days: days, Seed: 5, Ledger: "none", OutDir: t.TempDir()})
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
	return run, rep
}

// A run whose lender decides every 30 days gets a Decisions section with
// its table, three charts over the decision days and sentences that carry
// the audit's numbers; a run with one decision gets the table and no
// charts.
func TestInstitutionsSection(t *testing.T) {
	run, rep := lendingRun(t, []string{"institutions.lender.every=30", "institutions.lender.policy=equal-opportunity"}, 120)
	var buf bytes.Buffer
	pg, err := Render(&buf, Input{Run: run, Audit: rep, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	in := rep.Institutions[0]
	if in.Decisions != 4 || len(pg.Institutions) != 1 {
		t.Fatalf("%d decisions, %d sections", in.Decisions, len(pg.Institutions))
	}
	sec := pg.Institutions[0]
	if len(sec.Charts) != 3 {
		t.Errorf("%d charts, want thresholds, selection rates and utility", len(sec.Charts))
	}
	html := stdhtml.UnescapeString(buf.String())
	a, b := in.Categories[0].Last, in.Categories[1].Last
	for _, want := range []string{
		`<section id="institutions">`, `<a href="#institutions">Decisions</a>`,
		fmt.Sprintf("At its last decision (day %d), lender (policy equal-opportunity", in.LastDay),
		fmt.Sprintf("%.1f%% of group a's %d applicants (threshold %.1f)", 100*float64(a.SelectionRate), a.Applicants, float64(a.Threshold)),
		fmt.Sprintf("%.1f%% of group b's %d applicants", 100*float64(b.SelectionRate), b.Applicants),
		fmt.Sprintf("it approved %.1f%% of group a's, %.1f%% of group b's (the true-positive rates)", 100*float64(a.TPR), 100*float64(b.TPR)),
		fmt.Sprintf("the realised utility was %.1f", in.All.Last.Utility),
		fmt.Sprintf("Over its 4 decisions it approved %.1f%% of %d applications", 100*float64(in.All.Run.ApprovalRate.Value), in.All.Run.Applicants),
		fmt.Sprintf("group a's by %+.1f, group b's by %+.1f", float64(rep.Groups[0].ScoreChange), float64(rep.Groups[1].ScoreChange)),
		`id="fig-inst-0-threshold"`, `id="fig-inst-0-selection"`, `id="fig-inst-0-utility"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
	// Equal opportunity: the two TPRs agree (the policy's constraint).
	if math.Abs(float64(a.TPR-b.TPR)) > 1e-9 {
		t.Errorf("equal opportunity with TPRs %v and %v", a.TPR, b.TPR)
	}
	// The institution's charts are in its section only.
	if n := strings.Count(html, `id="fig-inst-0-threshold"`); n != 1 {
		t.Errorf("threshold chart shown %d times", n)
	}
	if external.MatchString(html) {
		t.Error("the report references an external resource")
	}

	run, rep = lendingRun(t, nil, 1)
	buf.Reset()
	pg, err = Render(&buf, Input{Run: run, Audit: rep, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Institutions) != 1 || len(pg.Institutions[0].Charts) != 0 || !strings.Contains(buf.String(), "At its one decision (day 1)") {
		t.Errorf("one decision: %d sections, charts %d", len(pg.Institutions), len(pg.Institutions[0].Charts))
	}
	if len(pg.Institutions[0].Rows) != 3 {
		t.Errorf("table rows %v, want a, b and all", pg.Institutions[0].Rows)
	}
}

// The curve page says each region's span, each policy's figures and
// shades each region once in the legend, from a Curve built by hand.
func TestCurvePage(t *testing.T) {
	st := func(m, lo, hi float64) sweep.Stat { return sweep.Stat{N: 3, Mean: m, Lo: lo, Hi: hi} }
	pt := func(p int, rate, change float64) sweep.CurvePoint {
		return sweep.CurvePoint{Point: p, Policy: "fixed-rate", Rate: rate, Selection: []sweep.Stat{st(rate, rate, rate)}, Change: []sweep.Stat{st(change, change-1, change+1)}}
	}
	xs, ys := []float64{0.2, 0.4, 0.6, 0.8}, []float64{4, 6, 2, -6}
	c := &sweep.Curve{Sweep: "s", Scenario: "lending", Institution: "lender", Groups: []string{"g"}, Replicates: 3}
	for i := range xs {
		c.Points = append(c.Points, pt(i, xs[i], ys[i]))
	}
	mu := sweep.CurvePoint{Point: 4, Policy: "max-utility", Selection: []sweep.Stat{st(0.5, 0.49, 0.51)}, Change: []sweep.Stat{st(5, 4, 6)}}
	dp := sweep.CurvePoint{Point: 5, Policy: "demographic-parity", Selection: []sweep.Stat{st(0.7, 0.69, 0.71)}, Change: []sweep.Stat{st(-2, -3, -1)}}
	c.Marks = []sweep.CurvePoint{mu, dp}
	c.Regions = []sweep.CurveRegions{{Group: "g", MaxUtility: 5, Spans: sweep.Spans(xs, ys, 5)}}
	var buf bytes.Buffer
	pg, err := RenderCurve(&buf, c, "test")
	if err != nil {
		t.Fatal(err)
	}
	html := stdhtml.UnescapeString(buf.String())
	for _, want := range []string{
		"Against max-utility's change of +5.0 points for group g, the curve (linear between the sweep's rates) is in relative harm from 20.0% to 30.0% and from 45.0% to 65.0%; relative improvement from 30.0% to 45.0%; active harm from 65.0% to 80.0%.",
		"Policy max-utility selects 50.0% [49.0%, 51.0%] of group g and changes its mean score by +5.0 [+4.0, +6.0] points; the reference for relative harm.",
		"Policy demographic-parity selects 70.0% [69.0%, 71.0%] of group g and changes its mean score by -2.0 [-3.0, -1.0] points; active harm.",
		"Approving 20.0% of group g changes its mean score by +4.0 points; the change peaks at +6.0 when 40.0% are approved and is -6.0 at 80.0%.",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	var fills []string
	for _, it := range pg.Charts[0].Legend {
		if it.Fill {
			fills = append(fills, it.Label)
		}
	}
	if len(fills) != 4 { // three regions and the interval band
		t.Errorf("shaded legend entries %v", fills)
	}
	if external.MatchString(html) {
		t.Error("the page references an external resource")
	}
}

// Printed on A4 portrait, the Decisions section of a lender deciding
// every 30 days (its widest table: the run columns too) fits the page.
func TestPrintedInstitutionsFitA4(t *testing.T) {
	ctx := browser(t)
	run, rep := lendingRun(t, []string{"institutions.lender.every=30"}, 90)
	var buf bytes.Buffer
	if _, err := Render(&buf, Input{Run: run, Audit: rep, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var bad string
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(sctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}),
		chromedp.EmulateViewport(mm(210-24), 1100),
		chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String()),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			bad, err = chromedp.Evaluate[string](fmt.Sprintf("%s(%q)", overflowJS, "portrait"))(ctx, tg)
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(bad, "#institutions") {
		t.Errorf("wider than an A4 page: %s", bad)
	}
}
