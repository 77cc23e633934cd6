package web

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// smallStore writes n runs of xinjiang-pilot, 400 people over 15 days
// (seeds 1..n), into a new store.
func smallStore(t testing.TB, n int) (string, []string) {
	t.Helper()
	root := t.TempDir()
	var ids []string
	for seed := uint64(1); seed <= uint64(n); seed++ {
		sets := []string{"run.agents=400", "run.days=15", fmt.Sprintf("run.seed=%d", seed)}
		sc, err := scenario.Resolve("xinjiang-pilot", sets)
		if err != nil {
			t.Fatal(err)
		}
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 400, Days: 15, Seed: seed,
			Workers: 1, Ledger: "none", OutDir: root, ID: fmt.Sprintf("run-%d", seed)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, filepath.Base(res.Dir))
	}
	return root, ids
}

// bounded calls the handler, failing the test if it does not answer in
// 30 s (a jammed lab never answers).
func bounded(t *testing.T, h http.Handler, method, target, body string, hdr ...string) reply {
	t.Helper()
	done := make(chan reply, 1)
	go func() { done <- call(t, h, method, target, body, hdr...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("%s %s did not answer in 30 s: the lab is jammed", method, target)
		return reply{}
	}
}

// logBuffer collects what a server logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A damaged table in one run is an error naming the file on that run's
// requests, every time (no cache keeps a failure or an empty answer), and
// every other run keeps working: nothing is left holding the heavy-work
// slot or a run's lock. Each damage kind, for each table the lab reads.
func TestDamagedRunDoesNotJamTheLab(t *testing.T) {
	root, ids := smallStore(t, 2)
	bad, good := ids[0], ids[1]
	// Both runs audited while healthy, so that the dashboard reads daily.parquet.
	s := newServer(t, Config{Store: root})
	for _, id := range ids {
		audited(t, s, id)
	}
	s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, file := range []string{store.DailyFile, store.AgentsFile} {
		path := filepath.Join(root, bad, file)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		random := make([]byte, len(orig))
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		other := store.AgentsFile
		if file == store.AgentsFile {
			other = store.DailyFile
		}
		wrong, err := os.ReadFile(filepath.Join(root, bad, other))
		if err != nil {
			t.Fatal(err)
		}
		flipped := append([]byte(nil), orig...)
		for k := 100; k < len(flipped)-100; k += 97 {
			flipped[k] ^= 0x5a
		}
		for _, dmg := range []struct {
			kind string
			data []byte
		}{{"truncated", orig[:len(orig)/2]}, {"zeroed", make([]byte, len(orig))}, {"random bytes", random},
			{"wrong schema", wrong}, {"bytes flipped", flipped}} {
			t.Run(file+"/"+dmg.kind, func(t *testing.T) {
				if err := os.WriteFile(path, dmg.data, 0o644); err != nil {
					t.Fatal(err)
				}
				defer os.WriteFile(path, orig, 0o644)
				os.Remove(filepath.Join(root, bad, "report.html"))
				var logs logBuffer
				s := newServer(t, Config{Store: root, Log: log.New(&logs, "", 0)})
				reads := []struct{ method, target, body string }{
					{"GET", "/api/runs/" + bad, ""},
					{"POST", "/api/runs/" + bad + "/report", "{}"},
					{"GET", "/api/runs/" + bad + "/citizen?agent=3", ""},
					{"GET", "/api/runs/" + bad + "/network?agent=3", ""},
					{"GET", "/api/runs/" + bad + "/like?group=uyghur", ""},
				}
				failed := 0
				for round := range 2 { // the second time too: failures are not cached
					for _, q := range reads {
						r := bounded(t, s, q.method, q.target, q.body)
						switch {
						case r.code == 200 && strings.TrimSpace(r.body) == "":
							t.Errorf("round %d: %s %s: 200 with an empty body", round, q.method, q.target)
						case r.code == 200:
						case r.code != http.StatusInternalServerError || !strings.Contains(r.body, file) || !strings.Contains(r.body, "Other runs are not affected"):
							t.Errorf("round %d: %s %s: %d %s; want 500 naming %s", round, q.method, q.target, r.code, r.body, file)
						default:
							failed++
						}
					}
				}
				if failed == 0 {
					t.Errorf("no request read the damaged %s", file)
				}
				if strings.Contains(r2s(bounded(t, s, "GET", "/api/runs", "")), bad) == false {
					t.Errorf("the damaged run is no longer listed")
				}
				for _, q := range []struct{ method, target, body string }{
					{"GET", "/api/runs/" + good, ""},
					{"POST", "/api/runs/" + good + "/report", "{}"},
					{"GET", "/api/runs/" + good + "/files/report.html", ""},
					{"GET", "/api/runs/" + good + "/citizen?agent=5", ""},
					{"GET", "/api/runs/" + good + "/network?agent=5", ""},
				} {
					if r := bounded(t, s, q.method, q.target, q.body); r.code != 200 {
						t.Errorf("healthy run: %s %s: %d %s", q.method, q.target, r.code, r.body)
					}
				}
				if strings.Contains(logs.String(), "panic") {
					t.Errorf("a damaged file made the server panic:\n%s", logs.String())
				}
			})
		}
	}
}

func r2s(r reply) string { return r.body }

// A damaged run.json is a 500 naming it on that run's requests; the run
// is not listed (its list entry would come from run.json) and the other
// runs are.
func TestDamagedManifestInTheLab(t *testing.T) {
	root, ids := smallStore(t, 2)
	if err := os.WriteFile(filepath.Join(root, ids[0], store.ManifestFile), []byte(`{"format_version": 2, "agents": -5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Store: root})
	if r := bounded(t, s, "GET", "/api/runs/"+ids[0], ""); r.code != http.StatusInternalServerError || !strings.Contains(r.body, "run.json") {
		t.Errorf("damaged run.json: %d %s", r.code, r.body)
	}
	r := bounded(t, s, "GET", "/api/runs", "")
	if strings.Contains(r.body, `"id":"`+ids[0]+`"`) || !strings.Contains(r.body, `"id":"`+ids[1]+`"`) {
		t.Errorf("run list: %s", r.body)
	}
	audited(t, s, ids[1])
}

// A panic in a handler is a 500 with a message, logged once; the slot and
// the lock it held are free again; a panic while a cached value is built
// is that request's error, not a cached empty value.
func TestPanicIsAnsweredAndReleased(t *testing.T) {
	root, ids := smallStore(t, 1)
	var logs logBuffer
	s := newServer(t, Config{Store: root, Log: log.New(&logs, "", 0)})
	s.mux.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		lr, err := s.cache.run(ids[0])
		if err != nil {
			t.Error(err)
			return
		}
		s.withHeavy(r.Context(), func() error {
			lr.with(func() { panic("boom") })
			return nil
		})
	})
	r := bounded(t, s, "GET", "/test/panic", "")
	if r.code != http.StatusInternalServerError || !strings.Contains(r.body, "internal error") || !strings.HasPrefix(r.hdr.Get("Content-Type"), "application/json") {
		t.Errorf("panicking handler: %d %q %s", r.code, r.hdr.Get("Content-Type"), r.body)
	}
	if n := strings.Count(logs.String(), "panic in"); n != 1 || !strings.Contains(logs.String(), "boom") {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
	audited(t, s, ids[0])
	for _, target := range []string{"/citizen?agent=1", "/network?agent=1", ""} {
		if r := bounded(t, s, "GET", "/api/runs/"+ids[0]+target, ""); r.code != 200 {
			t.Errorf("after the panic: %s: %d %s", target, r.code, r.body)
		}
	}
	for k := range 2 {
		_, err := s.cache.dashboard("x", func() ([]byte, error) { panic("dashboard boom") })
		if _, ok := err.(*PanicError); !ok {
			t.Errorf("build %d: %v, want a PanicError", k, err)
		}
	}
	if b, err := s.cache.dashboard("x", func() ([]byte, error) { return []byte("{}"), nil }); err != nil || string(b) != "{}" {
		t.Errorf("after a failed build: %q, %v", b, err)
	}
}

// snapshot lists every file under root with its size.
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %v", p, fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	sort.Strings(out)
	return out
}

// GET changes nothing in the store: what the lab computes and keeps (an
// audit, a report, a twin run) is made by POST, with the JSON, Origin and
// token checks; a GET for it says which POST makes it.
func TestGetChangesNothing(t *testing.T) {
	root, ids := smallStore(t, 1)
	id := ids[0]
	s := newServer(t, Config{Store: root})
	before := snapshot(t, root)
	type want struct {
		target string
		code   int
		post   string
	}
	gets := []want{
		{"/api/runs", 200, ""},
		{"/api/runs/" + id, http.StatusConflict, "/api/runs/" + id + "/audit"},
		{"/api/runs/" + id + "/files/report.html", http.StatusConflict, "/api/runs/" + id + "/report"},
		{"/api/runs/" + id + "/files/report.html?download=1", http.StatusConflict, "/api/runs/" + id + "/report"},
		{"/api/runs/" + id + "/files/audit.json", http.StatusNotFound, ""},
		{"/api/runs/" + id + "/citizen?agent=7&without=no-regime", http.StatusConflict, "/api/runs/" + id + "/twins"},
		{"/api/runs/" + id + "/citizen?agent=7&without=mosque", http.StatusConflict, "/api/runs/" + id + "/twins"},
		{"/api/runs/" + id + "/citizen?agent=7", 200, ""}, // a replay: computed, not stored
		{"/api/runs/" + id + "/network?agent=7", 200, ""},
		{"/api/runs/" + id + "/like?group=uyghur", 200, ""},
	}
	for _, g := range gets {
		r := bounded(t, s, "GET", g.target, "")
		if r.code != g.code || (g.post != "" && !strings.Contains(r.body, `"post":"`+g.post+`"`)) {
			t.Errorf("GET %s: %d %s; want %d naming POST %s", g.target, r.code, r.body, g.code, g.post)
		}
	}
	// POSTs a cross-site page could send are refused.
	for _, p := range []struct {
		name string
		hdr  []string
		code int
	}{
		{"a form's content type", []string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"text/plain", []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
		{"another origin", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
	} {
		for _, what := range []string{"audit", "report", "twins"} {
			if r := bounded(t, s, "POST", "/api/runs/"+id+"/"+what, `{"without":"no-regime"}`, p.hdr...); r.code != p.code {
				t.Errorf("POST %s with %s: %d, want %d", what, p.name, r.code, p.code)
			}
		}
	}
	tok := newServer(t, Config{Store: root, Token: "0123456789abcdef0123"})
	for _, what := range []string{"audit", "report", "twins"} {
		if r := bounded(t, tok, "POST", "/api/runs/"+id+"/"+what, `{"without":"no-regime"}`); r.code != http.StatusUnauthorized {
			t.Errorf("POST %s without the token: %d, want 401", what, r.code)
		}
	}
	if after := snapshot(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("GETs and refused POSTs changed the store:\nbefore\n%s\nafter\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	// The POSTs make them; then the GETs answer.
	for _, p := range [][2]string{{"audit", "{}"}, {"report", "{}"}, {"twins", `{"without":"no-regime"}`}, {"twins", `{"without":"mosque"}`}} {
		if r := bounded(t, s, "POST", "/api/runs/"+id+"/"+p[0], p[1]); r.code != 200 {
			t.Errorf("POST %s %s: %d %s", p[0], p[1], r.code, r.body)
		}
	}
	if r := bounded(t, s, "POST", "/api/runs/"+id+"/twins", `{"without":"nope"}`); r.code != http.StatusBadRequest {
		t.Errorf("POST twins without an unknown rule: %d", r.code)
	}
	for _, g := range gets {
		if r := bounded(t, s, "GET", g.target, ""); r.code != 200 && g.code != http.StatusNotFound {
			t.Errorf("after the POSTs, GET %s: %d %s", g.target, r.code, r.body)
		}
	}
	for _, f := range []string{"audit.json", "report.html", "twins/no-regime/run.json", "twins/ablate-mosque/run.json"} {
		if _, err := os.Stat(filepath.Join(root, id, f)); err != nil {
			t.Errorf("the POSTs did not make %s: %v", f, err)
		}
	}
}

// A run directory renamed after the run is listed and served under its
// new name (its id is its directory name); the old name is a clean 404.
func TestRenamedRun(t *testing.T) {
	root, ids := smallStore(t, 1)
	if err := os.Rename(filepath.Join(root, ids[0]), filepath.Join(root, "renamed")); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Store: root})
	r := bounded(t, s, "GET", "/api/runs", "")
	if !strings.Contains(r.body, `"id":"renamed"`) || strings.Contains(r.body, ids[0]) {
		t.Errorf("run list: %s; want the run under its directory name", r.body)
	}
	audited(t, s, "renamed")
	for _, target := range []string{"", "/citizen?agent=2", "/network?agent=2", "/like?group=han", "/files/daily.parquet"} {
		if r := bounded(t, s, "GET", "/api/runs/renamed"+target, ""); r.code != 200 {
			t.Errorf("renamed%s: %d %s", target, r.code, r.body)
		}
	}
	if r := bounded(t, s, "POST", "/api/runs/renamed/report", "{}"); r.code != 200 {
		t.Errorf("report of the renamed run: %d %s", r.code, r.body)
	}
	if r := bounded(t, s, "GET", "/api/runs/renamed/files/daily.parquet", ""); !strings.Contains(r.hdr.Get("Content-Disposition"), "renamed-daily.parquet") {
		t.Errorf("download named %q", r.hdr.Get("Content-Disposition"))
	}
	if r := bounded(t, s, "GET", "/api/runs/"+ids[0], ""); r.code != http.StatusNotFound || !strings.Contains(r.body, "no run") {
		t.Errorf("the old name: %d %s, want 404", r.code, r.body)
	}
}
