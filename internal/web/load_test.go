package web

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

var (
	loadTest    = flag.Bool("load", false, "run TestLoad: 50 clients browse runs while a run executes")
	loadClients = flag.Int("load-clients", 50, "TestLoad: concurrent clients")
	loadFor     = flag.Duration("load-for", 20*time.Second, "TestLoad: how long the clients browse")
	bigStore    = flag.String("big-store", "", "TestDashboardLoadTime: a store holding a large run (e.g. 1,000,000 agents)")
)

// TestLoad is the load test of docs/web.md: while one run executes, 50
// clients browse stored runs as the page does (the page and its assets, the
// run list, dashboards, the queue, someone-like-me searches, network
// views), each waiting for its answer before the next request. It reports
// p50/p90/p99/max latency and fails if p99 reaches 200 ms.
//
//	go test ./internal/web -run TestLoad -load -v
func TestLoad(t *testing.T) {
	if !*loadTest {
		t.Skip("load test: run with -load")
	}
	store := t.TempDir()
	var ids []string
	for seed := uint64(1); seed <= 3; seed++ {
		sets := []string{"run.agents=20000", "run.days=180", fmt.Sprintf("run.seed=%d", seed)}
		sc, err := scenario.Resolve("xinjiang-pilot", sets)
		if err != nil {
			t.Fatal(err)
		}
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 20000, Days: 180, Seed: seed,
			Ledger: "none", OutDir: store})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, filepath.Base(res.Dir))
	}
	s, err := New(Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := httptest.NewServer(s)
	defer hs.Close()
	// Warm the caches as the first visitor of each run would (the page
	// POSTs the audit of a run made outside the lab).
	for _, id := range ids {
		audited(t, s, id)
		get(t, hs.URL+"/api/runs/"+id)
		get(t, hs.URL+"/api/runs/"+id+"/network?agent=1")
	}
	// One run executes throughout (with the default workers: all cores but one).
	job, r := startJob(t, s, "run.agents=400000", "run.days=3650")
	if r.code != http.StatusAccepted {
		t.Fatalf("start the background run: %d %s", r.code, r.body)
	}
	defer call(t, s, "POST", "/api/jobs/"+job.ID+"/cancel", "")
	time.Sleep(500 * time.Millisecond) // let it reach the day loop

	type page struct {
		kind string
		url  func(rng *rand.Rand) string
	}
	pages := []page{
		{"page", func(*rand.Rand) string { return "/" }},
		{"assets", func(*rand.Rand) string { return "/assets/app.js" }},
		{"assets", func(*rand.Rand) string { return "/assets/charts.js" }},
		{"run list", func(*rand.Rand) string { return "/api/runs" }},
		{"queue", func(*rand.Rand) string { return "/api/jobs" }},
		{"dashboard", func(rng *rand.Rand) string { return "/api/runs/" + ids[rng.IntN(len(ids))] }},
		{"dashboard", func(rng *rand.Rand) string { return "/api/runs/" + ids[rng.IntN(len(ids))] }},
		{"someone like me", func(rng *rand.Rand) string {
			g := []string{"han", "uyghur", "other"}[rng.IntN(3)]
			return "/api/runs/" + ids[0] + "/like?group=" + g + "&partner=yes"
		}},
		{"network", func(rng *rand.Rand) string {
			return fmt.Sprintf("/api/runs/%s/network?agent=%d", ids[0], rng.IntN(20000))
		}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *loadClients}}
	var mu sync.Mutex
	var lat []time.Duration
	byKind := map[string][]time.Duration{}
	var failures int
	end := time.Now().Add(*loadFor)
	var wg sync.WaitGroup
	for c := range *loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			var mine []time.Duration
			kinds := map[string][]time.Duration{}
			bad := 0
			for time.Now().Before(end) {
				pg := pages[rng.IntN(len(pages))]
				url := hs.URL + pg.url(rng)
				t0 := time.Now()
				res, err := client.Get(url)
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				mine = append(mine, time.Since(t0))
				kinds[pg.kind] = append(kinds[pg.kind], mine[len(mine)-1])
				if err != nil || res.StatusCode != 200 {
					bad++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range kinds {
				byKind[k] = append(byKind[k], v...)
			}
			failures += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	st, _ := s.jobs.get(job.ID).status()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("%d clients for %v while a run of 400,000 agents executed (it reached day %d): %d requests (%.0f/s), %d failed",
		*loadClients, *loadFor, st.Day, len(lat), float64(len(lat))/loadFor.Seconds(), failures)
	t.Logf("latency p50 %v, p90 %v, p99 %v, max %v", q(0.50).Round(10*time.Microsecond), q(0.90).Round(10*time.Microsecond),
		q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	for _, k := range []string{"page", "assets", "run list", "queue", "dashboard", "someone like me", "network"} {
		l := byKind[k]
		slices.Sort(l)
		if len(l) > 0 {
			t.Logf("  %-16s %6d requests, p50 %v, p99 %v", k, len(l), l[len(l)/2].Round(10*time.Microsecond), l[min(len(l)-1, len(l)*99/100)].Round(10*time.Microsecond))
		}
	}
	if st.State != StateRunning {
		t.Errorf("the background run was %s, not running, at the end", st.State)
	}
	if failures > 0 {
		t.Errorf("%d requests failed", failures)
	}
	if q(0.99) >= 200*time.Millisecond {
		t.Errorf("p99 latency %v, want < 200ms", q(0.99))
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return b
}

// TestDashboardLoadTime measures how fast the dashboard of a large run
// opens: on the server (first request without and with a stored audit,
// then cached) and in the browser (from navigation to the drawn audit
// table). Give it a store whose newest run is large:
//
//	nosedive run xinjiang-pilot --agents 1000000 --out /tmp/big
//	go test ./internal/web -run TestDashboardLoadTime -big-store /tmp/big -v
func TestDashboardLoadTime(t *testing.T) {
	if *bigStore == "" {
		t.Skip("run with -big-store DIR")
	}
	ents, err := os.ReadDir(*bigStore)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, e := range ents {
		if e.IsDir() && runID.MatchString(e.Name()) {
			id = e.Name()
		}
	}
	dir := filepath.Join(*bigStore, id)
	audit := filepath.Join(dir, "audit.json")
	os.Remove(audit)
	measure := func(what string) time.Duration {
		s, err := New(Config{Store: *bigStore})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		hs := httptest.NewServer(s)
		defer hs.Close()
		t0 := time.Now()
		if _, err := os.Stat(audit); err != nil {
			audited(t, s, id) // as the page does on a 409
		}
		b := get(t, hs.URL+"/api/runs/"+id)
		cold := time.Since(t0)
		t0 = time.Now()
		get(t, hs.URL+"/api/runs/"+id)
		warm := time.Since(t0)
		t.Logf("%s: first request %v (%d KiB), cached %v", what, cold.Round(time.Millisecond), len(b)>>10, warm.Round(10*time.Microsecond))
		return cold
	}
	m, _, err := newCache(&runStore{root: *bigStore}, log.Default()).manifest(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run %s: %d agents x %d days", id, m.Agents, m.Days)
	measure("no audit.json yet (audit computed and stored)")
	cold := measure("audit.json present (runs started from the web lab are audited when they finish)")
	if cold >= time.Second {
		t.Errorf("dashboard of a run with its audit: %v, want < 1s", cold)
	}
	if chromium() == "" {
		return
	}
	ctx := browser(t)
	base, _ := liveServerAt(t, *bigStore)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/#/runs"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/#/run/"+id), chromedp.WaitVisible(chromedp.CSS(`#audit-groups`))); err != nil {
		t.Fatal(err)
	}
	browserTime := time.Since(t0)
	drawn, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#dash .small`)))
	t.Logf("browser, new server process (first request): page load to audit table drawn %v; %s", browserTime.Round(time.Millisecond), drawn)
	if browserTime >= time.Second {
		t.Errorf("dashboard in the browser: %v, want < 1s", browserTime)
	}
}

// liveServerAt serves an existing store on a loopback port.
func liveServerAt(t *testing.T, store string) (string, *Server) {
	t.Helper()
	s, err := New(Config{Store: store, Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return hs.URL, s
}
