package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/nosedive-lab/nosedive/internal/audit"
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
		} else if buf, err = palettePNG(buf); err != nil { // small files for the documentation
			return err
		}
		path := filepath.Join(dir, "web-"+name+".png")
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			return err
		}
		t.Logf("screenshot %s (%d KiB)", path, len(buf)>>10)
		return nil
	})
}

// palettePNG re-encodes a screenshot with a palette of its 256 most
// frequent colours (the others drawn in the nearest of them), at best
// compression: a page's flat colours survive, and the file is about a
// third of the size.
func palettePNG(in []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	rgb := func(x, y int) color.RGBA {
		r, g, bl, _ := img.At(x, y).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	count := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[rgb(x, y)]++
		}
	}
	cols := make([]color.RGBA, 0, len(count))
	for c := range count {
		cols = append(cols, c)
	}
	slices.SortFunc(cols, func(p, q color.RGBA) int {
		if count[p] != count[q] {
			return count[q] - count[p]
		}
		return int(uint32(p.R)<<16|uint32(p.G)<<8|uint32(p.B)) - int(uint32(q.R)<<16|uint32(q.G)<<8|uint32(q.B))
	})
	var pal color.Palette
	for _, c := range cols[:min(256, len(cols))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.RGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgb(x, y)
			k, ok := index[c]
			if !ok {
				k = uint8(pal.Index(c))
				index[c] = k
			}
			out.SetColorIndex(x, y, k)
		}
	}
	var w bytes.Buffer
	err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&w, out)
	return w.Bytes(), err
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
	if got := text(`#cf-summary`); !strings.Contains(got, "Re-simulated year without the rule mosque") {
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

// TestBrowserLabControls exercises the lab's controls in a real browser:
// sliders next to every numeric knob, play / pause / step / speed and the
// measure picker of a live run, the warning when compared runs differ in
// scenario, the citizen page's two kinds of counterfactual, the network
// view's time slider and the whole population's ties, a sweep, and chart
// export as SVG and PNG (2x).
func TestBrowserLabControls(t *testing.T) {
	ctx := browser(t)
	base, s := liveServer(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			chromedp.Do(ctx, screenshot(t, "failed-controls"))
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
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
	waitJS := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
			return err
		})
	}
	scroll := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.ScrollIntoView(chromedp.CSS(sel)) }

	// 1. Sliders: one next to every number box, with the knob's range.
	do("load", chromedp.Navigate(base+"/"), wait(`body[data-ready="true"]`), wait(`#valid.ok`), wait(`[data-slider="run.days"]`))
	if got := eval(`(() => { const boxes = [...document.querySelectorAll('#knobs input[type=number]')]; const miss = boxes.filter(b => !b.closest('.field').querySelector('input[type=range]')).map(b => b.dataset.path); return boxes.length + ' boxes; without a slider: ' + miss.join(' '); })()`); !strings.HasSuffix(got, "without a slider: ") || strings.HasPrefix(got, "0 ") {
		t.Errorf("number boxes and sliders: %s", got)
	}
	if got := eval(`(() => { const s = document.querySelector('[data-slider="population.regions.north.cameras_per_1000"]'); return s.min + '..' + s.max; })()`); got != "0..1000" {
		t.Errorf("the cameras slider spans %s, want the validator's 0..1000", got)
	}
	if got := eval(`document.querySelector('[data-slider="run.days"]').max`); got != strconv.Itoa(DefaultMaxDays) {
		t.Errorf("the days slider ends at %s, want the server's %d", got, DefaultMaxDays)
	}
	do("slide the days", setValue(`[data-slider="run.days"]`, "45", "input"))
	if got := eval(`document.querySelector('[data-path="run.days"]').value`); got != "45" {
		t.Errorf("moving the days slider to 45 shows %s in the box", got)
	}
	do("let go of the slider", setValue(`[data-slider="run.days"]`, "45", "change"), wait(`#sets code`), chromedp.Sleep(500*time.Millisecond), wait(`#valid.ok`))
	do("type a population", setValue(`[data-path="run.agents"]`, "3000", "input"), setValue(`[data-path="run.agents"]`, "3000", "change"), chromedp.Sleep(500*time.Millisecond), wait(`#valid.ok`))
	if got := text(`#sets`); !strings.Contains(got, "run.days=45") || !strings.Contains(got, "run.agents=3000") {
		t.Errorf("overrides after slider and box: %q", got)
	}
	if got := eval(`(() => { const s = document.querySelector('[data-slider="run.agents"]'); return String(Math.round(2 * Math.pow(` + strconv.Itoa(DefaultMaxAgents) + ` / 2, s.value / 1000))); })()`); got < "2900" || got > "3100" || len(got) != 4 {
		t.Errorf("typing 3000 put the (logarithmic) population slider at %s people", got)
	}
	do("a threshold by slider", setValue(`[data-slider="tiers.levels.average.min"]`, "150", "change"), chromedp.Sleep(600*time.Millisecond), wait(`#valid.bad`))
	// The slider stops at the end of its range (the score's clamp, 100).
	if got := text(`#diags`); !strings.Contains(got, "min 100 must be below the previous tier's min 80") {
		t.Errorf("a threshold slid to the top of its range, above the better tier's, should be flagged: %q", got)
	}
	do("back", setValue(`[data-slider="tiers.levels.average.min"]`, "50", "change"), chromedp.Sleep(600*time.Millisecond), wait(`#valid.ok`),
		scroll(`[data-slider="population.regions.north.cameras_per_1000"]`), screenshot(t, "editor-sliders"))

	// 2. A live run: pause stops it, a step moves it one day, the pickers
	// choose what the charts show.
	do("start a long run", setValue(`[data-path="run.days"]`, "3000", "change"), chromedp.Sleep(500*time.Millisecond), wait(`#valid.ok`),
		jsClick(`#run`), wait(`li.job.running [data-play]`), wait(`li.job.running .live svg.plot`), jsClick(`li.job.running [data-play]`),
		waitJS(`!!document.querySelector('li.job.running.paused')`))
	var jobs []JobStatus
	getJSON(t, base+"/api/jobs", &jobs)
	time.Sleep(300 * time.Millisecond)
	getJSON(t, base+"/api/jobs", &jobs)
	day := jobs[0].Day
	time.Sleep(700 * time.Millisecond)
	getJSON(t, base+"/api/jobs", &jobs)
	if !jobs[0].Paused || jobs[0].Day != day {
		t.Fatalf("paused at day %d, then %+v", day, jobs[0])
	}
	do("step one day", jsClick(`li.job.running [data-step]`), waitJS(`/day `+strconv.Itoa(day+1)+` of/.test(document.querySelector('li.job.running .jobstate').textContent)`))
	getJSON(t, base+"/api/jobs", &jobs)
	if jobs[0].Day != day+1 {
		t.Errorf("a step from day %d went to day %d", day, jobs[0].Day)
	}
	do("pick measures", setValue(`li.job.running select[data-measure="0"]`, "detained", "change"),
		setValue(`li.job.running select[data-measure="1"]`, "sanction_travel_ban", "change"),
		setValue(`li.job.running select[data-speed]`, "20", "change"),
		// Both charts redraw on their own: wait for the two, not the first.
		waitJS(`(t => t.includes('Share detained by group') && t.includes('Share under sanction travel_ban by group'))(document.querySelector('li.job.running .live').textContent)`))
	if got := text(`li.job.running .live`); !strings.Contains(got, "Share under sanction travel_ban by group") {
		t.Errorf("the second live chart shows %q", got)
	}
	getJSON(t, base+"/api/jobs", &jobs)
	if jobs[0].Speed != 20 {
		t.Errorf("speed %v after picking 20 days/s", jobs[0].Speed)
	}
	do("screenshot live", scroll(`li.job.running`), screenshot(t, "live-paused"))
	do("play", jsClick(`li.job.running [data-play]`), waitJS(`!document.querySelector('li.job.running.paused')`))
	do("cancel", jsClick(`li.job.running button`), wait(`li.job.cancelled`))

	// Two finished runs of different scenarios.
	finished := func(name string, sets ...string) string {
		t.Helper()
		src, _ := scenario.BuiltinSource(name)
		sc, _, _ := load(Draft{File: name + ".yaml", YAML: string(src), Sets: sets})
		j, err := s.jobs.add(name, sc, sets, nil)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(120 * time.Second)
		for {
			st, _ := j.status()
			if st.State == StateDone {
				return st.Run
			}
			if terminal(st.State) || time.Now().After(deadline) {
				t.Fatalf("run %s: %+v", name, st)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	xin := finished("xinjiang-pilot", "run.agents=3000", "run.days=60")
	chq := finished("chongqing-pilot", "run.agents=2000", "run.days=30")

	// 6. Compared runs of different scenarios carry a warning.
	do("compare different scenarios", chromedp.Navigate(base+"/#/compare/"+xin+"/"+chq), wait(`#cmp-warning`))
	if got := text(`#cmp-warning`); !strings.Contains(got, "xinjiang-pilot") || !strings.Contains(got, "chongqing-pilot") || !strings.Contains(got, "not like for like") {
		t.Errorf("compare warning %q", got)
	}
	if got := eval(`document.querySelector('#cmp-b').value`); got != chq {
		t.Errorf("run B's picker shows %q, want %s", got, chq)
	}
	do("screenshot compare", screenshot(t, "compare-warning"))
	if bad, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#status').classList.contains('bad')`)); bad {
		t.Errorf("comparing different scenarios fails: %q", text(`#status`))
	}
	if got := text(`#cmp-table`); !strings.Contains(got, "han") {
		t.Errorf("the groups both runs have are not compared: %q", got)
	}
	do("compare a run with itself", chromedp.Navigate(base+"/#/compare/"+xin+"/"+xin), wait(`#cmp-table`))
	if n := eval(`String(document.querySelectorAll('#cmp-warning').length)`); n != "0" {
		t.Errorf("a run compared with itself is warned about")
	}

	// 7. The citizen page: held fixed and re-simulated, reconciled.
	var like struct {
		Agents []int `json:"agents"`
	}
	getJSON(t, base+"/api/runs/"+xin+"/like?group=uyghur&trait=prays_daily", &like)
	if len(like.Agents) == 0 {
		t.Fatal("nobody like that")
	}
	// Someone the mosque rule cost points, so that the two figures differ.
	agent := strconv.Itoa(like.Agents[0])
	for _, a := range like.Agents {
		var y Year
		getJSON(t, base+"/api/runs/"+xin+"/citizen?agent="+strconv.Itoa(a), &y)
		if slices.ContainsFunc(y.Explanation.Contributions, func(c audit.Contribution) bool { return c.Rule == "mosque" && c.Points != 0 }) {
			agent = strconv.Itoa(a)
			break
		}
	}
	do("counterfactual year", chromedp.Navigate(base+"/#/citizen/"+xin+"/"+agent+"/mosque"), wait(`#cf-reconcile`))
	var y Year
	getJSON(t, base+"/api/runs/"+xin+"/citizen?agent="+agent+"&without=mosque", &y)
	pts := 0.0
	for _, c := range y.Explanation.Contributions {
		if c.Rule == "mosque" {
			pts = c.Points
		}
	}
	one := func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }
	held := min(max(y.Explanation.Score-pts, y.ScoreRange[0]), y.ScoreRange[1])
	got := text(`#cf-reconcile`)
	if !strings.Contains(got, "Held fixed") || !strings.Contains(got, "gives "+one(held)) || !strings.Contains(got, "ends at "+one(y.Counterfactual.Score)) {
		t.Errorf("reconciliation %q: want held fixed %s and re-simulated %s", got, one(held), one(y.Counterfactual.Score))
	}
	if got := text(`#cf-summary`); !strings.Contains(got, "Re-simulated year without the rule mosque") || !strings.Contains(got, "days instead of") {
		t.Errorf("counterfactual summary %q", got)
	}
	if got := text(`#cf-periods`); !strings.Contains(got, "A period is one sanction") {
		t.Errorf("periods are not explained: %q", got)
	}
	// The parts' differences add up to the gap between the two figures.
	sum := eval(`String([...document.querySelectorAll('#cf-parts tbody tr')].map(r => Number(r.cells[4].textContent.replace('+', ''))).reduce((a, b) => a + b, 0))`)
	if f, _ := strconv.ParseFloat(sum, 64); math.Abs(f-(y.Counterfactual.Score-held)) > 0.05*float64(len(y.Explanation.Contributions)+2) {
		t.Errorf("the parts' differences add to %s, the figures differ by %.2f", sum, y.Counterfactual.Score-held)
	}
	do("screenshot citizen", scroll(`#cf-summary`), screenshot(t, "citizen-counterfactual", `#cf-summary`))

	// 3. The network over time, and the whole population's ties.
	do("network days", scroll(`svg.net`), waitJS(`!document.querySelector('#net-day').disabled`), setValue(`#net-day`, "0", "input"))
	if got := text(`#net-day-out`); !strings.HasPrefix(got, "day 0") {
		t.Errorf("network day output %q", got)
	}
	var nd NetworkDays
	var nw Network
	getJSON(t, base+"/api/runs/"+xin+"/network?agent="+agent, &nw)
	ids := make([]string, len(nw.Nodes))
	for k, v := range nw.Nodes {
		ids[k] = strconv.Itoa(int(v.ID))
	}
	getJSON(t, base+"/api/runs/"+xin+"/network/days?ids="+strings.Join(ids, ","), &nd)
	tierNames := []string{"trustworthy", "average", "untrustworthy"}
	for _, d := range []int{0, 30} {
		do("network on a day", setValue(`#net-day`, strconv.Itoa(d), "input"))
		shown := eval(`[...document.querySelectorAll('svg.net .node')].map(g => g.dataset.tier).join(',')`)
		var want []string
		for k := range nw.Nodes {
			want = append(want, tierNames[nd.Tiers[k][d]-'0'])
		}
		if shown != strings.Join(want, ",") {
			t.Errorf("day %d: the view shows tiers %s, the replay says %s", d, shown, strings.Join(want, ","))
		}
	}
	if got := text(`#net-title`); !strings.Contains(got, "tier on day 30") {
		t.Errorf("the network caption does not follow the slider: %q", got)
	}
	do("screenshot network", setValue(`#net-day`, "55", "input"), screenshot(t, "network-time", `#network`))
	do("ties", chromedp.Navigate(base+"/#/run/"+xin), wait(`#ties-go`), scroll(`#ties-go`), jsClick(`#ties-go`), wait(`#ties-exposed`),
		setValue(`#ties-day`, "30", "input"), scroll(`#ties`))
	if got := text(`#ties`); !strings.Contains(got, "sanctioned by day 30") || !strings.Contains(got, "uyghur") {
		t.Errorf("ties matrix %q", got)
	}
	do("screenshot ties", screenshot(t, "ties", `#ties`))

	// 5. Export: every chart has SVG and PNG buttons; the PNG is 2x.
	if got := eval(`(() => { const f = [...document.querySelectorAll('figure.chart')]; return f.length + ' ' + f.filter(x => x.querySelector('[data-export=svg]') && x.querySelector('[data-export=png]')).length; })()`); strings.Split(got, " ")[0] != strings.Split(got, " ")[1] || got == "0 0" {
		t.Errorf("figures, and figures with both export buttons: %s", got)
	}
	svgText := eval(`document.querySelector('#chart-score figure').chartSVG()`)
	if !strings.HasPrefix(svgText, "<?xml") || !strings.Contains(svgText, "Mean score by group") || !strings.Contains(svgText, ">uyghur</text>") || strings.Contains(svgText, "class=\"cursor\"") {
		t.Errorf("exported SVG lacks its title or legend: %.300s", svgText)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#chart-score figure').chartPNG().then(u => new Promise(r => { const i = new Image(); i.onload = () => r(u.slice(0, 22) + ' ' + i.naturalWidth + 'x' + i.naturalHeight); i.src = u; }))`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(size, "data:image/png;base64, 1520x") {
		t.Errorf("exported PNG: %q (%v), want a PNG 1520 px wide (2 x 760)", size, err)
	}

	// 4. A sweep: a knob, three values, two replicates.
	do("sweep form", chromedp.Navigate(base+"/#/editor"), wait(`#valid.ok`), setValue(`[data-path="run.days"]`, "20", "change"), setValue(`[data-path="run.agents"]`, "1500", "change"),
		chromedp.Sleep(600*time.Millisecond), wait(`#valid.ok`), chromedp.Navigate(base+"/#/sweep"), wait(`#sw-form`),
		setValue(`#sw-param`, "tiers.levels.average.min", "change"), setValue(`#sw-values`, "40, 50, 60", "input"), setValue(`#sw-reps`, "3", "input"),
		jsClick(`#sw-go`), wait(`#sweep-table`))
	if got := eval(`String(document.querySelectorAll('#sweep-table tbody tr').length)`); got != "3" {
		t.Errorf("sweep table rows %s, want 3", got)
	}
	if got := eval(`String(document.querySelectorAll('#chart-sweep path.errbar').length)`); got == "0" {
		t.Error("the sweep chart draws no intervals")
	}
	if got := text(`#sweep-table`); !strings.Contains(got, "[") || !strings.Contains(got, "uyghur") {
		t.Errorf("sweep table %q", got)
	}
	do("screenshot sweep", screenshot(t, "sweep"))
}
