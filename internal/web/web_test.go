package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// fixture is one small stored run shared by the read-only tests.
var fixture struct {
	once  sync.Once
	store string
	id    string
	err   error
}

// testStore returns a store holding one xinjiang-pilot run of 5,000
// people over 60 days, made once per test binary.
func testStore(t *testing.T) (string, string) {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "nosedive-web-")
		if err != nil {
			fixture.err = err
			return
		}
		sets := []string{"run.agents=5000", "run.days=60"}
		sc, err := scenario.Resolve("xinjiang-pilot", sets)
		if err != nil {
			fixture.err = err
			return
		}
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Sets: sets, Agents: 5000, Days: 60, Seed: 1,
			Workers: 1, Ledger: "none", OutDir: filepath.Join(dir, "store")})
		if err != nil {
			fixture.err = err
			return
		}
		fixture.store, fixture.id = filepath.Join(dir, "store"), filepath.Base(res.Dir)
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.store, fixture.id
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.store != "" {
		os.RemoveAll(filepath.Dir(fixture.store))
	}
	os.Exit(code)
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Store == "" {
		cfg.Store, _ = testStore(t)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type reply struct {
	code int
	hdr  http.Header
	body string
}

func call(t *testing.T, h http.Handler, method, target, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" || method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Host = "127.0.0.1:8080"
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return reply{w.Code, w.Header(), w.Body.String()}
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecurityHeaders(t *testing.T) {
	s := newServer(t, Config{})
	for _, path := range []string{"/", "/assets/app.js", "/api/runs", "/api/runs/nope"} {
		r := call(t, s, "GET", path, "")
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if r.hdr.Get(h) == "" {
				t.Errorf("GET %s: no %s header", path, h)
			}
		}
		if csp := r.hdr.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
			t.Errorf("GET %s: CSP %q allows inline code or other origins", path, csp)
		}
	}
	if r := call(t, s, "GET", "/", ""); r.code != 200 || !strings.Contains(r.body, `<script src="/assets/app.js"`) {
		t.Errorf("GET /: %d, page without its script", r.code)
	}
}

// TestNoPathTraversal: no request reaches a file outside the store, by
// plain, encoded or double-encoded ../, absolute paths, hidden (.tmp-)
// directories or names outside the download list.
func TestNoPathTraversal(t *testing.T) {
	store, id := testStore(t)
	secret := filepath.Join(filepath.Dir(store), "secret.txt")
	if err := os.WriteFile(secret, []byte("TOP SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(store, ".tmp-x"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(store, ".tmp-x", "run.json"), []byte("TOP SECRET"), 0o644)
	s := newServer(t, Config{Store: store})
	// Symbolic links in a store, to a directory and to a file outside it.
	other := t.TempDir()
	os.Symlink(filepath.Dir(store), filepath.Join(other, "linked-run"))
	link := filepath.Join(other, "linked-file")
	os.MkdirAll(link, 0o755)
	os.WriteFile(filepath.Join(link, "run.json"), []byte(`{"format_version":2,"id":"linked-file"}`), 0o644)
	os.Symlink(secret, filepath.Join(link, "daily.parquet"))
	linked := newServer(t, Config{Store: other})
	for _, path := range []string{"/api/runs/linked-run/files/secret.txt", "/api/runs/linked-run", "/api/runs/linked-file/files/daily.parquet"} {
		if r := call(t, linked, "GET", path, ""); r.code == 200 || strings.Contains(r.body, "TOP SECRET") {
			t.Errorf("GET %s through a symbolic link: %d", path, r.code)
		}
	}
	for _, path := range []string{
		"/api/runs/../secret.txt",
		"/api/runs/..%2Fsecret.txt",
		"/api/runs/..%2fsecret.txt/files/run.json",
		"/api/runs/%2e%2e/files/secret.txt",
		"/api/runs/%2e%2e%2f%2e%2e%2fetc/files/run.json",
		"/api/runs/..%252Fsecret.txt/files/run.json",
		"/api/runs/.tmp-x/files/run.json",
		"/api/runs/.tmp-x",
		"/api/runs/" + id + "/files/..%2F..%2Fsecret.txt",
		"/api/runs/" + id + "/files/%2e%2e%2fsecret.txt",
		"/api/runs/" + id + "/files/../../secret.txt",
		"/api/runs/" + id + "/files/twins",
		"/api/runs/" + id + "/files/%2Fetc%2Fpasswd",
		"/api/runs/%2Fetc/files/passwd",
		"/api/runs/" + id + "%2F..%2F..%2Fsecret.txt/files/run.json",
		"/assets/",
		"/assets/../../secret.txt",
		"/assets/%2e%2e/%2e%2e/secret.txt",
		"/api/scenarios/..%2F..%2Fsecret",
	} {
		r := call(t, s, "GET", path, "")
		if strings.Contains(r.body, "TOP SECRET") || strings.Contains(r.body, "root:") {
			t.Errorf("GET %s: served a file outside the store", path)
		}
		if r.code == 200 {
			t.Errorf("GET %s: 200, want an error", path)
		}
	}
	if r := call(t, s, "GET", "/api/runs/"+id+"/files/run.json", ""); r.code != 200 || !strings.Contains(r.body, `"format_version"`) {
		t.Errorf("the run's own run.json: %d", r.code)
	}
}

func TestRunIDPattern(t *testing.T) {
	for id, ok := range map[string]bool{
		"xinjiang-pilot-s1-20261129-043110": true, "xinjiang-pilot-s1-20261129-043110-2": true, "a.b": true,
		"": false, ".": false, "..": false, "../x": false, ".tmp-x": false, "a/b": false, `a\b`: false, "a..b": false, "a b": false, "x.": false,
	} {
		if got := runID.MatchString(id); got != ok {
			t.Errorf("run id %q allowed=%v, want %v", id, got, ok)
		}
	}
}

func TestToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	s := newServer(t, Config{Token: token})
	if r := call(t, s, "GET", "/api/runs", ""); r.code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", r.code)
	}
	if r := call(t, s, "GET", "/api/runs", "", "Authorization", "Bearer wrong"); r.code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", r.code)
	}
	if r := call(t, s, "GET", "/api/runs", "", "Authorization", "Bearer "+token); r.code != 200 {
		t.Errorf("bearer token: %d, want 200", r.code)
	}
	r := call(t, s, "GET", "/?token="+token, "")
	if r.code != http.StatusSeeOther || r.hdr.Get("Location") != "/" {
		t.Fatalf("first visit: %d to %q, want a redirect to /", r.code, r.hdr.Get("Location"))
	}
	c := r.hdr.Get("Set-Cookie")
	if !strings.Contains(c, TokenCookie+"="+token) || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Errorf("cookie %q", c)
	}
	if r := call(t, s, "GET", "/api/runs", "", "Cookie", TokenCookie+"="+token); r.code != 200 {
		t.Errorf("cookie: %d, want 200", r.code)
	}
	if r := call(t, s, "GET", "/assets/app.js", "", "Cookie", TokenCookie+"=nope"); r.code != http.StatusUnauthorized {
		t.Errorf("assets with a wrong cookie: %d, want 401", r.code)
	}
}

func TestHostAndOrigin(t *testing.T) {
	s := newServer(t, Config{Loopback: true})
	if r := call(t, s, "GET", "/api/runs", "", "Host", "evil.example:8080"); r.code != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d, want 421 (DNS rebinding guard)", r.code)
	}
	for _, host := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080"} {
		if r := call(t, s, "GET", "/api/runs", "", "Host", host); r.code != 200 {
			t.Errorf("Host %s: %d, want 200", host, r.code)
		}
	}
	body := jsonBody(t, Draft{YAML: "name: x"})
	if r := call(t, s, "POST", "/api/validate", body, "Origin", "http://127.0.0.1:8080"); r.code != 200 {
		t.Errorf("same-origin POST: %d, want 200", r.code)
	}
	if r := call(t, s, "POST", "/api/validate", body, "Origin", "http://evil.example"); r.code != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d, want 403", r.code)
	}
	if r := call(t, s, "POST", "/api/validate", body, "Content-Type", "application/x-www-form-urlencoded"); r.code != http.StatusUnsupportedMediaType {
		t.Errorf("form POST: %d, want 415", r.code)
	}
}

func TestCheckAddr(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		addr, token string
		loopback    bool
		ok          bool
	}{
		{"127.0.0.1:8080", "", true, true},
		{"[::1]:8080", "", true, true},
		{"localhost:8080", "", true, true},
		{"0.0.0.0:8080", "", false, false},
		{":8080", "", false, false},
		{"[::]:8080", "", false, false},
		{"192.0.2.1:8080", "", false, false},
		{"0.0.0.0:8080", "secret-token-0123456789", false, true},
		{"nonsense", "", false, false},
	} {
		lb, err := CheckAddr(ctx, tc.addr, tc.token)
		var ae *AddrError
		if tc.ok && err != nil || !tc.ok && !errors.As(err, &ae) {
			t.Errorf("CheckAddr(%q, token %v): %v", tc.addr, tc.token != "", err)
			continue
		}
		if tc.ok && lb != tc.loopback {
			t.Errorf("CheckAddr(%q): loopback %v, want %v", tc.addr, lb, tc.loopback)
		}
		if !tc.ok && !strings.Contains(err.Error(), "--token") {
			t.Errorf("CheckAddr(%q): message %q does not say what to do", tc.addr, err)
		}
	}
}

func TestUploadLimit(t *testing.T) {
	s := newServer(t, Config{})
	big := jsonBody(t, Draft{YAML: strings.Repeat("# padding\n", 120_000)})
	r := call(t, s, "POST", "/api/validate", big)
	if r.code != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "1 MiB") {
		t.Errorf("1.2 MB scenario: %d %s, want 413 with the limit", r.code, r.body)
	}
	if r := call(t, s, "POST", "/api/validate", `{"yaml": 5}`); r.code != http.StatusBadRequest {
		t.Errorf("malformed body: %d, want 400", r.code)
	}
	if r := call(t, s, "POST", "/api/validate", `{"yaml": "x", "extra": 1}`); r.code != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", r.code)
	}
}

func builtin(t *testing.T, name string) string {
	t.Helper()
	src, err := scenario.BuiltinSource(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

func validate(t *testing.T, s http.Handler, d Draft) Validation {
	t.Helper()
	r := call(t, s, "POST", "/api/validate", jsonBody(t, d))
	if r.code != 200 {
		t.Fatalf("validate: %d %s", r.code, r.body)
	}
	var v Validation
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidate(t *testing.T) {
	s := newServer(t, Config{})
	src := builtin(t, "xinjiang-pilot")
	v := validate(t, s, Draft{File: "xinjiang-pilot.yaml", YAML: src})
	if !v.OK || len(v.Diagnostics) != 0 || v.Model == nil || v.Agents != 100000 {
		t.Fatalf("built-in: ok=%v diags=%v agents=%d", v.OK, v.Diagnostics, v.Agents)
	}
	if len(v.Model.Caps) != 1 || v.Model.Caps[0].Group != "uyghur" || v.Model.Caps[0].Best != "average" {
		t.Errorf("model caps %+v", v.Model.Caps)
	}
	// A misspelt key: flagged at its line and column, as the CLI prints it.
	bad := strings.Replace(src, "  degree: 10", "  degre: 10", 1)
	line := 1 + strings.Count(bad[:strings.Index(bad, "degre:")], "\n")
	v = validate(t, s, Draft{File: "mine.yaml", YAML: bad})
	if v.OK || len(v.Diagnostics) != 1 {
		t.Fatalf("misspelt key: ok=%v diags=%v", v.OK, v.Diagnostics)
	}
	d := v.Diagnostics[0]
	if d.Line != line || d.Col != 3 || !strings.HasPrefix(d.Text, fmt.Sprintf("mine.yaml:%d:3: ", line)) || !strings.Contains(d.Msg, `did you mean "degree"`) {
		t.Errorf("diagnostic %+v, want line %d col 3 with a suggestion", d, line)
	}
	if v.Model != nil {
		t.Error("a model from a scenario that does not validate")
	}
	// Overrides: the form's cap switch, and a bad one.
	v = validate(t, s, Draft{YAML: src, Sets: []string{"tiers.caps.0.best=trustworthy", "sanctions.travel_ban.when=false"}})
	if !v.OK {
		t.Errorf("cap off and a sanction off: %v", v.Diagnostics)
	}
	v = validate(t, s, Draft{YAML: src, Sets: []string{"population.regions.north.groups.han=0.5"}})
	if v.OK || len(v.Diagnostics) == 0 || v.Diagnostics[0].Line == 0 || !strings.Contains(v.Diagnostics[0].Msg, "sum") {
		t.Errorf("shares not summing to 1: %+v", v.Diagnostics)
	}
	// Bounds, with a clear message at the setting's line.
	for _, set := range []string{"run.agents=3000000", "run.days=4000"} {
		key := strings.TrimPrefix(set[:strings.Index(set, "=")], "run.")
		line := 1 + strings.Count(src[:strings.Index(src, "  "+key+":")], "\n")
		v = validate(t, s, Draft{YAML: src, Sets: []string{set}})
		if last := v.Diagnostics[len(v.Diagnostics)-1]; v.OK || !strings.Contains(last.Msg, "this server runs") || last.Line != line {
			t.Errorf("%s: %+v, want the server's bound at line %d", set, v.Diagnostics, line)
		}
		r := call(t, s, "POST", "/api/jobs", jsonBody(t, StartRequest{Draft: Draft{YAML: src, Sets: []string{set}}}))
		if r.code != http.StatusBadRequest || !strings.Contains(r.body, "this server runs") {
			t.Errorf("start %s: %d %s, want 400 with the bound", set, r.code, r.body)
		}
	}
	if r := call(t, s, "POST", "/api/jobs", jsonBody(t, StartRequest{Draft: Draft{YAML: bad}})); r.code != http.StatusBadRequest || !strings.Contains(r.body, "diagnostics") {
		t.Errorf("start a bad scenario: %d %s", r.code, r.body)
	}
}

// TestDraftsArePerBrowser: the server keeps no drafts; concurrent users
// editing different texts each get the diagnostics of their own text, and
// the built-in stays as it is whatever anyone edits.
func TestDraftsArePerBrowser(t *testing.T) {
	s := newServer(t, Config{})
	src := builtin(t, "xinjiang-pilot")
	bad := strings.Replace(src, "  degree: 10", "  degre: 10", 1)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := src
			if i%2 == 1 {
				mine = bad
			}
			v := validate(t, s, Draft{YAML: mine})
			if v.OK != (i%2 == 0) {
				t.Errorf("user %d: ok=%v for their own text", i, v.OK)
			}
		}()
	}
	wg.Wait()
	var got ScenarioInfo
	r := call(t, s, "GET", "/api/scenarios/xinjiang-pilot", "")
	json.Unmarshal([]byte(r.body), &got)
	if got.YAML != src {
		t.Error("the built-in scenario changed after users edited it")
	}
}

// audited makes the run's audit (a run made outside the lab has none).
func audited(t *testing.T, s http.Handler, id string) {
	t.Helper()
	if r := call(t, s, "POST", "/api/runs/"+id+"/audit", "{}"); r.code != 200 {
		t.Fatalf("POST audit: %d %s", r.code, r.body)
	}
}

func TestDashboard(t *testing.T) {
	_, id := testStore(t)
	s := newServer(t, Config{})
	audited(t, s, id)
	r := call(t, s, "GET", "/api/runs/"+id, "")
	if r.code != 200 {
		t.Fatalf("dashboard: %d %s", r.code, r.body)
	}
	var d Dashboard
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Days != 60 || len(d.Series["score_mean"]) != 3 || len(d.Series["score_mean"][0]) != 61 || d.Audit == nil || len(d.Audit.Groups) == 0 {
		t.Fatalf("dashboard: days %d, series %d, audit %v", d.Days, len(d.Series["score_mean"]), d.Audit != nil)
	}
	total := 0.0
	for g := range d.Names.Groups {
		total += d.Series["agents"][g][60]
	}
	if total != 5000 {
		t.Errorf("agents on day 60 sum to %v, want 5000", total)
	}
	// Aggregates only: the answer does not grow with the population.
	if len(r.body) > 200_000 {
		t.Errorf("dashboard is %d bytes", len(r.body))
	}
	var runs []RunInfo
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs", "").body), &runs)
	if len(runs) != 1 || runs[0].ID != id || runs[0].Agents != 5000 || len(runs[0].Sets) != 2 {
		t.Errorf("runs %+v", runs)
	}
	if r := call(t, s, "GET", "/api/runs/no-such-run", ""); r.code != http.StatusNotFound {
		t.Errorf("unknown run: %d", r.code)
	}
}

func TestDownloads(t *testing.T) {
	_, id := testStore(t)
	s := newServer(t, Config{})
	for _, f := range []string{"daily.parquet", "agents.parquet"} {
		r := call(t, s, "GET", "/api/runs/"+id+"/files/"+f, "")
		if r.code != 200 || !strings.HasPrefix(r.body, "PAR1") || !strings.Contains(r.hdr.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s: %d, %q", f, r.code, r.hdr.Get("Content-Disposition"))
		}
	}
	audited(t, s, id)
	if r := call(t, s, "GET", "/api/runs/"+id+"/files/audit.json", ""); r.code != 200 || !strings.Contains(r.body, `"headline"`) {
		t.Errorf("audit.json: %d", r.code)
	}
	if r := call(t, s, "POST", "/api/runs/"+id+"/report", "{}"); r.code != 200 {
		t.Fatalf("POST report: %d %s", r.code, r.body)
	}
	r := call(t, s, "GET", "/api/runs/"+id+"/files/report.html", "")
	if r.code != 200 || !strings.Contains(r.body, "<html") || !strings.Contains(r.hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("report.html: %d, CSP %q", r.code, r.hdr.Get("Content-Security-Policy"))
	}
	if strings.Contains(r.body, "<script") {
		t.Error("the report has a script")
	}
	if r := call(t, s, "GET", "/api/runs/"+id+"/files/report.html?download=1", ""); !strings.Contains(r.hdr.Get("Content-Disposition"), "attachment") {
		t.Error("report download is not an attachment")
	}
	if r := call(t, s, "GET", "/api/runs/"+id+"/files/ledger.parquet", ""); r.code != http.StatusNotFound {
		t.Errorf("a run without a ledger: %d, want 404", r.code)
	}
}

func TestCitizenLikeAndNetwork(t *testing.T) {
	_, id := testStore(t)
	s := newServer(t, Config{})
	var like Likeness
	r := call(t, s, "GET", "/api/runs/"+id+"/like?region=south&group=uyghur&trait=prays_daily&partner=yes&children=some", "")
	if err := json.Unmarshal([]byte(r.body), &like); err != nil || like.Matches == 0 || len(like.Agents) == 0 {
		t.Fatalf("someone like me: %d %s", r.code, r.body)
	}
	for _, q := range []string{"group=martian", "trait=nope", "partner=maybe", "children=7"} {
		if r := call(t, s, "GET", "/api/runs/"+id+"/like?"+q, ""); r.code != http.StatusBadRequest {
			t.Errorf("like?%s: %d, want 400", q, r.code)
		}
	}
	a := like.Agents[0]
	if r := call(t, s, "POST", "/api/runs/"+id+"/twins", `{"without": "mosque"}`); r.code != 200 {
		t.Fatalf("POST twin: %d %s", r.code, r.body)
	}
	r = call(t, s, "GET", fmt.Sprintf("/api/runs/%s/citizen?agent=%d&without=mosque", id, a), "")
	if r.code != 200 {
		t.Fatalf("citizen: %d %s", r.code, r.body)
	}
	var y Year
	if err := json.Unmarshal([]byte(r.body), &y); err != nil {
		t.Fatal(err)
	}
	x := y.Explanation
	if x.Group != "uyghur" || x.Region != "south" || !x.MatchesStored || len(x.PrincipalReasons) == 0 || len(x.Trajectory) != 61 {
		t.Errorf("explanation: group %s region %s matches %v reasons %d days %d", x.Group, x.Region, x.MatchesStored, len(x.PrincipalReasons), len(x.Trajectory))
	}
	if y.Counterfactual == nil || !y.Counterfactual.MatchesStored {
		t.Fatal("no exact counterfactual year")
	}
	for _, c := range y.Counterfactual.Contributions {
		if c.Rule == "mosque" {
			t.Errorf("the year without the mosque rule still has it: %+v", c)
		}
	}
	for _, q := range []string{"agent=-1", "agent=5000", "agent=x", "agent=1&without=nope"} {
		if r := call(t, s, "GET", "/api/runs/"+id+"/citizen?"+q, ""); r.code != http.StatusBadRequest {
			t.Errorf("citizen?%s: %d, want 400", q, r.code)
		}
	}
	var n Network
	r = call(t, s, "GET", fmt.Sprintf("/api/runs/%s/network?agent=%d", id, a), "")
	if err := json.Unmarshal([]byte(r.body), &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Nodes) < 2 || len(n.Nodes) > MaxNetworkNodes || n.Nodes[0].ID != a || len(n.Edges) == 0 {
		t.Errorf("network: %d nodes, centre %d, %d edges", len(n.Nodes), n.Nodes[0].ID, len(n.Edges))
	}
	for _, e := range n.Edges {
		if e[0] < 0 || e[1] >= len(n.Nodes) {
			t.Fatalf("edge %v outside the nodes", e)
		}
	}
	r = call(t, s, "GET", fmt.Sprintf("/api/runs/%s/network?agent=%d&max=10", id, a), "")
	json.Unmarshal([]byte(r.body), &n)
	if len(n.Nodes) != 10 || !n.Truncated {
		t.Errorf("network max=10: %d nodes, truncated %v", len(n.Nodes), n.Truncated)
	}
}

// startJob starts a run of xinjiang-pilot with the overrides.
func startJob(t *testing.T, s http.Handler, sets ...string) (JobStatus, reply) {
	t.Helper()
	r := call(t, s, "POST", "/api/jobs", jsonBody(t, StartRequest{Draft: Draft{File: "xinjiang-pilot.yaml", YAML: builtin(t, "xinjiang-pilot"), Sets: sets}, Label: "test"}))
	var res StartResponse
	json.Unmarshal([]byte(r.body), &res)
	if res.Job == nil {
		return JobStatus{}, r
	}
	return *res.Job, r
}

// events reads a job's server-sent events until the stream ends: its
// statuses and its live points.
func events(t *testing.T, url string) ([]JobStatus, []LivePoint) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	var out []JobStatus
	var points []LivePoint
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	event := ""
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			event = e
		}
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			switch event {
			case "status":
				var st JobStatus
				if err := json.Unmarshal([]byte(data), &st); err != nil {
					t.Fatal(err)
				}
				out = append(out, st)
			case "points":
				var l Live
				if err := json.Unmarshal([]byte(data), &l); err != nil {
					t.Fatal(err)
				}
				if len(l.Groups) != 3 || l.Worst != "untrustworthy" {
					t.Errorf("live series of groups %v, worst tier %q", l.Groups, l.Worst)
				}
				points = append(points, l.Points...)
			default:
				t.Errorf("unknown event %q", event)
			}
		}
	}
	return out, points
}

func TestRunLifecycle(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, Config{Store: root})
	hs := httptest.NewServer(s)
	defer hs.Close()
	job, r := startJob(t, s, "run.agents=4000", "run.days=40", "tiers.caps.0.best=trustworthy")
	if r.code != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	evs, points := events(t, hs.URL+"/api/jobs/"+job.ID+"/events")
	last := evs[len(evs)-1]
	if last.State != StateDone || last.Run == "" || last.Day != 40 {
		t.Fatalf("last event %+v", last)
	}
	// The live series: every day once, in order, agreeing with the stored run.
	if len(points) != 41 {
		t.Fatalf("%d live points, want days 0..40", len(points))
	}
	for k, p := range points {
		if p.Day != k || len(p.Score) != 3 || len(p.Worst) != 3 {
			t.Fatalf("live point %d: %+v", k, p)
		}
	}
	var d Dashboard
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+last.Run, "").body), &d)
	for g := range 3 {
		if got, want := points[40].Score[g], d.Series["score_mean"][g][40]; math.Abs(got-want) > 0.011 {
			t.Errorf("group %d: live mean score on day 40 %v, stored %v", g, got, want)
		}
	}
	var runs []RunInfo
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs", "").body), &runs)
	if len(runs) != 1 || runs[0].ID != last.Run || runs[0].Agents != 4000 || !strings.Contains(strings.Join(runs[0].Sets, " "), "tiers.caps.0.best=trustworthy") {
		t.Errorf("stored runs %+v", runs)
	}
	// The job's label is the run's name: in run.json and its id, so a
	// server started afresh on the store still shows it.
	if !strings.HasPrefix(last.Run, "xinjiang-pilot-test-s") {
		t.Errorf("run id %q lacks the label", last.Run)
	}
	var again []RunInfo
	json.Unmarshal([]byte(call(t, newServer(t, Config{Store: root}), "GET", "/api/runs", "").body), &again)
	if len(again) != 1 || again[0].Name != "test" {
		t.Errorf("after a restart the stored runs are %+v, want the one named test", again)
	}
	long := call(t, s, "POST", "/api/jobs", jsonBody(t, StartRequest{Draft: Draft{File: "xinjiang-pilot.yaml", YAML: builtin(t, "xinjiang-pilot")},
		Label: strings.Repeat("é", 121)}))
	if long.code != http.StatusBadRequest || !strings.Contains(long.body, "the limit is 240") {
		t.Errorf("an over-long label: %d %s", long.code, long.body)
	}
	if r := call(t, s, "GET", "/api/runs/"+last.Run+"/files/audit.json", ""); r.code != 200 {
		t.Errorf("the finished run has no audit.json: %d", r.code)
	}
	if r := call(t, s, "GET", "/api/jobs/nope/events", ""); r.code != http.StatusNotFound {
		t.Errorf("unknown job: %d", r.code)
	}
}

func TestCancelAndQueueBound(t *testing.T) {
	store := t.TempDir()
	s := newServer(t, Config{Store: store, MaxRuns: 1, MaxQueue: 2})
	long := []string{"run.agents=300000", "run.days=3000"}
	a, r := startJob(t, s, long...)
	if r.code != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	b, _ := startJob(t, s, long...)
	if _, r := startJob(t, s, long...); r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "queue is full") {
		t.Errorf("third run: %d %s, want 503 queue full", r.code, r.body)
	}
	var jobs []JobStatus
	// First come, first served: the first run executes, the second waits.
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		json.Unmarshal([]byte(call(t, s, "GET", "/api/jobs", "").body), &jobs)
		if len(jobs) == 2 && jobs[1].State == StateRunning || time.Now().After(wait) {
			break
		}
	}
	if len(jobs) != 2 || jobs[1].ID != a.ID || jobs[1].State != StateRunning || jobs[0].ID != b.ID || jobs[0].State != StateQueued || jobs[0].Position != 1 {
		t.Errorf("jobs %+v", jobs)
	}
	for _, j := range []JobStatus{b, a} {
		if r := call(t, s, "POST", "/api/jobs/"+j.ID+"/cancel", ""); r.code != 200 {
			t.Errorf("cancel %s: %d", j.ID, r.code)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		json.Unmarshal([]byte(call(t, s, "GET", "/api/jobs", "").body), &jobs)
		if jobs[0].State == StateCancelled && jobs[1].State == StateCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not cancelled: %+v", jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ents, _ := os.ReadDir(store)
	if len(ents) != 0 {
		t.Errorf("a cancelled run left %d entries in the store", len(ents))
	}
	if _, r := startJob(t, s, "run.agents=1000", "run.days=5"); r.code != http.StatusAccepted {
		t.Errorf("after cancelling, a new run: %d", r.code)
	}
}
