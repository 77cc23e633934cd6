package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// chromium finds a Chromium or Chrome binary: $NOSEDIVE_CHROMIUM, then the
// usual names on PATH. Browser tests skip when there is none.
func chromium() string {
	if p := os.Getenv("NOSEDIVE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium with flags that keep it off the
// network (on a closed network it must not try to reach Google) and a fresh
// profile, and returns a chromedp context whose browser is running.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv("NOSEDIVE_REQUIRE_BROWSER") != "" {
			// CI installs chromium and sets this: there a skip would hide
			// that the browser tests never ran.
			t.Fatal("no chromium found, and NOSEDIVE_REQUIRE_BROWSER is set")
		}
		t.Skip("no chromium found (install Debian's chromium, or set NOSEDIVE_CHROMIUM); skipping the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// screenshot saves the viewport (or, given a selector, one element) as a
// PNG: into $NOSEDIVE_SCREENSHOTS when set (docs/img for the
// documentation), else into the test's temp dir.
func screenshot(t *testing.T, name string, element ...string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		shot := chromedp.CaptureScreenshot()
		if len(element) > 0 {
			shot = chromedp.Screenshot(chromedp.CSS(element[0]))
		}
		buf, err := shot(ctx, tg)
		if err != nil {
			return err
		}
		dir := os.Getenv("NOSEDIVE_SCREENSHOTS")
		if dir == "" {
			dir = t.TempDir()
		}
		path := filepath.Join(dir, "web-"+name+".png")
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			return err
		}
		t.Logf("screenshot %s (%d KiB)", path, len(buf)>>10)
		return nil
	})
}

// liveServer serves a fresh store on a real loopback port.
func liveServer(t *testing.T) (string, *Server) {
	t.Helper()
	s, err := New(Config{Store: t.TempDir(), Loopback: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return "http://" + ln.Addr().String(), s
}

// jsClick clicks the element the selector finds at that moment, in one
// step in the page: parts of the page are redrawn as runs progress and
// validations return, so a node found in one step may be gone in the next.
func jsClick(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+quote(sel)+`); if (!e) throw new Error("no " + `+quote(sel)+`); e.click(); return true; })()`)(ctx, tg)
		return err
	})
}

// setValue sets a form control's value and fires the event a person's
// typing would.
func setValue(sel, value, event string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+quote(sel)+`); e.value = `+quote(value)+`; e.dispatchEvent(new Event(`+quote(event)+`, {bubbles: true})); return true; })()`)(ctx, tg)
		return err
	})
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}

// TestBrowserDoneWhen walks the "done when" path in a real browser:
// load xinjiang-pilot, flag an error at its line, switch off the group tier
// cap in the form, run the original and the changed regime, watch both
// finish, compare them (the disparity changes), open the dashboard, and
// read one citizen's year with its explanation, counterfactual and
// network.
// TestBrowserDoneWhen walks the "done when" path in a real browser:
// load xinjiang-pilot, flag an error at its line, switch off the group tier
// cap in the form, run the original and the changed regime, watch both
// finish, compare them (the disparity changes), open the dashboard (hover
// values by keyboard, toggle a group), and read one citizen's year with its
// explanation, a counterfactual year and the network around them.
func TestBrowserDoneWhen(t *testing.T) {
	ctx := browser(t)
	base, _ := liveServer(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		// Bound each step, not the browser's context (that would stop it).
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			chromedp.Do(ctx, screenshot(t, "failed"))
			t.Fatalf("%s: %v", what, err)
		}
	}
	get := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	text := func(sel string) string { t.Helper(); return get(chromedp.Text(chromedp.CSS(sel))) }
	value := func(sel string) string { t.Helper(); return get(chromedp.Value(chromedp.CSS(sel))) }
	wait := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }
	click := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.Steps(wait(sel), jsClick(sel)) }
	scroll := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.ScrollIntoView(chromedp.CSS(sel)) }

	do("load the page", chromedp.Navigate(base+"/"), wait(`body[data-ready="true"]`), wait(`#valid.ok`))
	if got := value(`#pick`); got != "xinjiang-pilot" {
		t.Fatalf("picker shows %q, want xinjiang-pilot", got)
	}
	do("screenshot", screenshot(t, "editor"))

	// An error in the YAML is flagged at its line, in the gutter and the list.
	yaml := value(`#yaml`)
	line := 1 + strings.Count(yaml[:strings.Index(yaml, "degree: 10")], "\n")
	bad := strings.Replace(yaml, "degree: 10", "degre: 10", 1)
	do("introduce an error", setValue(`#yaml`, bad, "input"), wait(`.gutter .ln.bad`))
	if got, want := strings.TrimSpace(text(`.gutter .ln.bad`)), "▶ "+strconv.Itoa(line); got != want {
		t.Errorf("gutter flags %q, want %q", got, want)
	}
	if got := text(`#diags`); !strings.Contains(got, "Line "+strconv.Itoa(line)) || !strings.Contains(got, `did you mean "degree"`) {
		t.Errorf("diagnostics %q: want line %d and a suggestion", got, line)
	}
	do("jump to the line", click(`#diags button[data-line]`), screenshot(t, "diagnostics"))
	do("fix the error", setValue(`#yaml`, yaml, "input"), wait(`#valid.ok`))

	// The form: a small population, and the cap switched off.
	do("form",
		setValue(`[data-path="run.agents"]`, "5000", "change"),
		setValue(`[data-path="run.days"]`, "60", "change"),
		click(`input[data-cap="0"]`),
		wait(`#sets code`),
		chromedp.Sleep(500*time.Millisecond), // the live validation's debounce
		wait(`#valid.ok`),
	)
	sets := text(`#sets`)
	for _, want := range []string{"run.agents=5000", "run.days=60", "tiers.caps.0.best=trustworthy"} {
		if !strings.Contains(sets, want) {
			t.Errorf("overrides %q lack %s", sets, want)
		}
	}
	do("screenshot form", scroll(`input[data-cap="0"]`), screenshot(t, "form"))

	// Run both; see them finish.
	do("run both", click(`#run-both`), wait(`#view-runs`), wait(`#compare-pair`), screenshot(t, "runs"))
	do("compare", click(`#compare-pair`), wait(`#cmp-summary`))
	if got := text(`#cmp-summary`); !strings.Contains(got, "uyghur") || !strings.Contains(got, "in tier") {
		t.Errorf("comparison summary %q: want the change in a tier share of uyghur", got)
	}
	if got := text(`#cmp-table`); !strings.Contains(got, "in tier trustworthy") {
		t.Errorf("comparison table lacks the tier rows: %q", got)
	}
	do("screenshot compare", screenshot(t, "compare"))

	// The changed run's dashboard: values by keyboard, a group toggled.
	var runs []RunInfo
	getJSON(t, base+"/api/runs", &runs)
	if len(runs) != 2 {
		t.Fatalf("store has %d runs, want 2", len(runs))
	}
	changed := runs[0].ID
	if len(runs[0].Sets) < len(runs[1].Sets) {
		changed = runs[1].ID
	}
	// The labels are the runs' names: in the compare page, the run list
	// and on the run page.
	if got := text(`#view-compare`); !strings.Contains(got, "original (") || !strings.Contains(got, "changed (") {
		t.Errorf("the compare page does not name the runs original and changed: %q", got)
	}
	do("run list", chromedp.Navigate(base+"/#/runs"), wait(`#runs-table td.run-name`))
	if got := text(`#runs-table`); !strings.Contains(got, "original") || !strings.Contains(got, "changed") {
		t.Errorf("the run list lacks the runs' names: %q", got)
	}
	do("dashboard", chromedp.Navigate(base+"/#/run/"+changed), wait(`#audit-groups`),
		chromedp.Focus(chromedp.CSS(`#chart-score svg.plot`)), chromedp.KeyEvent(kb.ArrowLeft), wait(`#chart-score .tip`))
	if got := text(`#dash-name`); got != "changed" {
		t.Errorf("the run page is titled %q, want its name", got)
	}
	if got := text(`#chart-score .tip`); !strings.Contains(got, "day 59") || !strings.Contains(got, "uyghur") {
		t.Errorf("chart tooltip %q: want day 59 and the groups", got)
	}
	if got := text(`#audit-regions`); !strings.Contains(got, "north") || !strings.Contains(got, "south") {
		t.Errorf("audit by region %q", got)
	}
	do("screenshot dashboard", screenshot(t, "dashboard"))
	do("chart of a behaviour", setValue(`#measure`, "attempted_attend_mosque", "change"), wait(`#chart-share svg.plot`))
	if got := text(`#chart-share figcaption`); !strings.Contains(got, "attend mosque tried") || !strings.Contains(got, "per 1,000 people per day") {
		t.Errorf("behaviour chart title %q", got)
	}
	do("screenshot behaviour", scroll(`#chart-share`), screenshot(t, "behaviour", `#chart-share`))
	do("toggle a group", click(`#chart-score .legend-item`))
	if a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#chart-score .legend-item`), "aria-pressed")); err != nil || a.Value != "false" {
		t.Errorf("legend button aria-pressed=%q (%v) after a click, want false", a.Value, err)
	}
	do("untoggle", click(`#chart-score .legend-item`))

	// Someone like me, then their year with the explanation.
	do("someone like me", scroll(`#like-go`),
		setValue(`#like-group`, "uyghur", "change"),
		setValue(`#like-trait`, "prays_daily", "change"),
		click(`#like-go`), wait(`.like-result a`), click(`.like-result a`), wait(`#cit-reasons`))
	if got := text(`#cit-summary`); !strings.Contains(got, "group uyghur") || !strings.Contains(got, "prays daily") {
		t.Errorf("citizen summary %q: want a uyghur who prays daily", got)
	}
	if strings.TrimSpace(text(`#cit-reasons`)) == "" {
		t.Error("no reasons shown")
	}
	do("screenshot citizen", screenshot(t, "citizen"))
	do("counterfactual", setValue(`#cf-rule`, "mosque", "change"), click(`#cf-go`), wait(`#cf-summary`))
	if got := text(`#cf-summary`); !strings.Contains(got, "Without the rule mosque") {
		t.Errorf("counterfactual summary %q", got)
	}
	do("screenshot counterfactual", scroll(`#cf-summary`), screenshot(t, "counterfactual"))
	do("network", wait(`svg.net`), scroll(`svg.net`), screenshot(t, "network", `#network figure`))
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#status').classList.contains('bad')`)); err != nil || bad {
		t.Errorf("the page reports an error: %q (%v)", text(`#status`), err)
	}
	if got := text(`#network`); !strings.Contains(got, "Acquaintances of citizen") {
		t.Errorf("network caption %q", got)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.net .node').length`))
	if err != nil || nodes < 2 || nodes > MaxNetworkNodes {
		t.Errorf("network shows %d people (%v), want 2 to %d", nodes, err, MaxNetworkNodes)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestBrowserUploadAndCancel: a scenario file uploaded from disk is
// validated by the server (its problem shown at the line); a run started
// from it draws live charts as days pass, can be cancelled from the queue,
// and leaves no run behind.
func TestBrowserUploadAndCancel(t *testing.T) {
	ctx := browser(t)
	base, s := liveServer(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			chromedp.Do(ctx, screenshot(t, "failed-upload"))
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	src, err := scenario.BuiltinSource("chongqing-pilot")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "my regime.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(src), "name: chongqing-pilot", "name: chongqing-pilot\nsurveilance: {}", 1)), 0o644)
	good := filepath.Join(dir, "mine.yaml")
	os.WriteFile(good, src, 0o644)
	do("load", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#valid.ok`)))
	do("upload a bad file", chromedp.SetUploadFiles(chromedp.CSS(`#upload`), []string{bad}), chromedp.WaitVisible(chromedp.CSS(`.gutter .ln.bad`)))
	if got := text(`#diags`); !strings.Contains(got, "surveilance") || !strings.Contains(got, `did you mean "surveillance"`) {
		t.Errorf("diagnostics of the uploaded file: %q", got)
	}
	do("upload a good file", chromedp.SetUploadFiles(chromedp.CSS(`#upload`), []string{good}), chromedp.WaitVisible(chromedp.CSS(`#valid.ok`)),
		setValue(`[data-path="run.agents"]`, "400000", "change"),
		setValue(`[data-path="run.days"]`, "3000", "change"),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.WaitVisible(chromedp.CSS(`#valid.ok`)),
		jsClick(`#run`),
		chromedp.WaitVisible(chromedp.CSS(`li.job.running .live svg.plot`)), // the live charts draw as days pass
		chromedp.Sleep(2*time.Second),
		screenshot(t, "live"),
		jsClick(`li.job.running button`), // the row is redrawn as the run's status changes
		chromedp.WaitVisible(chromedp.CSS(`li.job.cancelled`)),
		screenshot(t, "cancelled"),
	)
	if got := text(`li.job.cancelled`); !strings.Contains(got, "cancelled") || !strings.Contains(got, "mine.yaml") && !strings.Contains(got, "chongqing-pilot") {
		t.Errorf("cancelled job reads %q", got)
	}
	ents, _ := os.ReadDir(s.cache.st.root)
	if len(ents) != 0 {
		t.Errorf("the cancelled run left %d entries in the store", len(ents))
	}
}

// TestBrowserPostsAndDamage: a run made outside the lab opens (the page
// sends the POST that audits it), the report is made by its button (a
// POST), and a run with a damaged table says so on its own page, naming
// the file, while the other run still opens.
func TestBrowserPostsAndDamage(t *testing.T) {
	ctx := browser(t)
	root, ids := smallStore(t, 2)
	bad, good := ids[0], ids[1]
	daily := filepath.Join(root, bad, "daily.parquet")
	b, err := os.ReadFile(daily)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(daily, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	base, _ := liveServerAt(t, root)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			chromedp.Do(ctx, screenshot(t, "failed"))
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wait := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }

	do("open a run made outside the lab", chromedp.Navigate(base+"/#/run/"+good), wait(`#audit-groups`))
	if _, err := os.Stat(filepath.Join(root, good, "audit.json")); err != nil {
		t.Errorf("opening the run did not audit it: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, good, "report.html")); err == nil {
		t.Error("the report was made before it was asked for")
	}
	do("make the report", chromedp.ScrollIntoView(chromedp.CSS(`#make-report`)), jsClick(`#make-report`), wait(`#report-link`))
	if _, err := os.Stat(filepath.Join(root, good, "report.html")); err != nil {
		t.Errorf("the button did not make the report: %v", err)
	}
	do("the damaged run", chromedp.Navigate(base+"/#/run/"+bad), wait(`#dash-error`), screenshot(t, "damaged"))
	if got := text(`#dash-error`); !strings.Contains(got, "daily.parquet") || !strings.Contains(got, "Other runs are not affected") {
		t.Errorf("the damaged run's page says %q; want the file named", got)
	}
	do("the healthy run again", chromedp.Navigate(base+"/#/run/"+good), wait(`#audit-groups`))
}
