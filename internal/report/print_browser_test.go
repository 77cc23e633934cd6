package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// browser starts a headless Chromium with a fresh profile, kept off the
// network; it skips the test when there is none, unless
// NOSEDIVE_REQUIRE_BROWSER is set (CI installs chromium and sets it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := FindBrowser()
	if p := os.Getenv("NOSEDIVE_CHROMIUM"); p != "" {
		path, err = exec.LookPath(p)
	}
	if err != nil {
		if os.Getenv("NOSEDIVE_REQUIRE_BROWSER") != "" {
			t.Fatal(err)
		}
		t.Skip("no chromium found; skipping the browser tests")
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// Start the browser on ctx itself: a first action on a context with a
	// deadline would tie the browser's life to it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(800, 600)); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// mm converts millimetres to CSS pixels (96 per inch).
func mm(x float64) int64 { return int64(x / 25.4 * 96) }

// overflowJS lists the tables and figures wider than the page they print
// on: in pass "portrait" those on the default page, in pass "wide" those
// inside an element whose CSS page is a named one (landscape).
const overflowJS = `((pass) => {
  const W = document.documentElement.clientWidth, out = [];
  const named = e => { for (; e; e = e.parentElement) if (getComputedStyle(e).page && getComputedStyle(e).page !== 'auto') return true; return false; };
  for (const e of document.querySelectorAll('table, figure, figure > svg, pre, header')) {
    if (named(e) !== (pass === 'wide')) continue;
    const r = e.getBoundingClientRect();
    if (r.right > W + 0.5 || r.left < -0.5) {
      const sec = e.closest('section');
      out.push((sec ? '#' + sec.id + ' ' : '') + e.tagName.toLowerCase() + ' ' + (e.querySelector('th') ? e.querySelector('th').textContent : '') + ': ' + Math.round(r.width) + 'px');
    }
  }
  return out.join('; ');
})`

// Printed on A4, no table or chart of any built-in scenario's report is
// wider than its page: the page's content box is 186 mm (A4 portrait
// less 12 mm margins), 273 mm for the landscape pages of the wide audit
// tables. (Before the print stylesheet, the "Who is harmed" and
// intersection tables lost six columns on the right.)
func TestPrintedTablesFitA4(t *testing.T) {
	ctx := browser(t)
	for _, b := range scenario.Builtins() {
		html := renderLabelled(t, b.Name, nil, "a label long enough to wrap in the title of the printed report")
		file := filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, pass := range []struct {
			name  string
			width int64
		}{{"portrait", mm(210 - 24)}, {"wide", mm(297 - 24)}} {
			var bad string
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := chromedp.Do(sctx,
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
					return err
				}),
				chromedp.EmulateViewport(pass.width, 1100),
				chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String()),
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
					bad, err = chromedp.Evaluate[string](fmt.Sprintf("%s(%q)", overflowJS, pass.name))(ctx, tg)
					return err
				}))
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", b.Name, err)
			}
			if bad != "" {
				t.Errorf("%s, %s pages %d px wide: wider than the page: %s", b.Name, pass.name, pass.width, bad)
			}
		}
	}
}
