// Package web is `nosedive serve`: the web lab for people who will never
// open a terminal. It serves one page (HTML, CSS and plain JavaScript,
// embedded with go:embed: no CDN, no network, no front-end build) and a
// small JSON API over the run store: validate a scenario with the CLI's
// positioned diagnostics, queue runs and follow them with server-sent
// events (pausing, stepping and slowing the engine between days), run
// small sweeps of one knob through the same queue, browse stored runs,
// dashboards built from aggregates (daily.parquet and the audit, never
// raw agents), a citizen's year with
// its explanation and a counterfactual year, a bounded network view (day
// by day) and group-by-group ties, and downloads.
//
// Goals: safe by default (loopback unless a token is set, every request
// checked for it, bounded bodies and run sizes, run ids resolved only
// inside the store, CSP and other security headers, a GET never changes
// the store, time and connection limits against slow or greedy clients),
// robust (a panic or a damaged run directory fails that request or that
// run, never the lab: see safety.go), fast (aggregates are computed once
// per run and cached; heavy work — runs, replays, twins, reports — is
// bounded by queues), stateless about edits: a scenario being edited lives
// in the browser and travels with each request, so concurrent users never
// see each other's unsaved edits.
//
// Non-goals: user accounts, persistence of drafts on the server, anything
// that touches real people's records.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

//go:embed assets
var assetsFS embed.FS

// Limits on what a request may ask for.
const (
	// MaxBody bounds a request body (a scenario text with its overrides).
	MaxBody = 1 << 20
	// DefaultMaxAgents and DefaultMaxDays bound one run.
	DefaultMaxAgents = 2_000_000
	DefaultMaxDays   = 3650
	// TokenCookie carries the access token after the first visit.
	TokenCookie = "nosedive_token"
)

// Config configures a Server.
type Config struct {
	Store    string // run store directory (created if missing)
	Token    string // when set, every request must carry it
	MaxRuns  int    // runs executing at once (default 1)
	MaxQueue int    // runs queued or executing (default 8)
	// Workers per run or replay (default: all cores but one, at least 1,
	// so that pages stay responsive while a run executes).
	Workers   int
	MaxAgents int // default DefaultMaxAgents
	MaxDays   int // default DefaultMaxDays
	Version   string
	// Loopback says the server listens on a loopback address only; then
	// the Host header must name a loopback host (a guard against DNS
	// rebinding) unless a token is set.
	Loopback bool
	// Limits bounds connections and request times (HTTPServer, Listen);
	// unset fields take DefaultLimits.
	Limits Limits
	// Log receives what the server must tell its operator (a recovered
	// panic, with its stack); default: the standard logger.
	Log *log.Logger
}

// Server is the web lab. Create it with New; it is an http.Handler.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	jobs   *queue
	cache  *cache
	heavy  chan struct{} // replays, twin runs, audits and reports, one at a time
	years  yearCache
	static http.Handler
	// replay re-simulates a run (or a twin: noRegime, disabled) with
	// traces on some agents, for the years of citizens the run holds no
	// stored trace of: runner.ReplayCounterfactual (tests count or refuse
	// the replays).
	replay func(ctx context.Context, m *store.Manifest, agents []int32, workers int, noRegime bool, disabled []string) (*sim.Final, []*sim.Trace, error)
	// audits holds audits computed by POST /api/runs/{id}/audit that
	// could not be written to a read-only store.
	auditsMu sync.Mutex
	audits   map[string]*audit.Report
}

var _ http.Handler = (*Server)(nil)

// New returns a server over cfg.Store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == "" {
		return nil, fmt.Errorf("web: no store directory")
	}
	if cfg.Token != "" {
		if err := CheckToken(cfg.Token); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	if cfg.MaxRuns <= 0 {
		cfg.MaxRuns = 1
	}
	if cfg.MaxQueue < cfg.MaxRuns {
		cfg.MaxQueue = max(8, cfg.MaxRuns)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = max(1, runtime.NumCPU()-1)
	}
	if cfg.MaxAgents <= 0 {
		cfg.MaxAgents = DefaultMaxAgents
	}
	if cfg.MaxDays <= 0 {
		cfg.MaxDays = DefaultMaxDays
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	st, err := openStore(cfg.Store)
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(assetsFS, "assets")
	s := &Server{cfg: cfg, mux: http.NewServeMux(), cache: newCache(st, cfg.Log), audits: map[string]*audit.Report{}, heavy: make(chan struct{}, 1),
		static: http.FileServerFS(sub), replay: runner.ReplayCounterfactual}
	s.jobs = newQueue(s, cfg.MaxRuns, cfg.MaxQueue)
	s.routes()
	return s, nil
}

// Close cancels queued and running runs and waits for them to stop (an
// interrupted run leaves nothing in the store).
func (s *Server) Close() { s.jobs.close() }

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.index)
	m.Handle("GET /assets/{file}", http.StripPrefix("/assets/", s.static)) // files only, no listing
	m.HandleFunc("GET /api/scenarios", s.listScenarios)
	m.HandleFunc("GET /api/scenarios/{name}", s.getScenario)
	m.HandleFunc("POST /api/validate", s.validate)
	m.HandleFunc("POST /api/jobs", s.startJob)
	m.HandleFunc("GET /api/jobs", s.listJobs)
	m.HandleFunc("GET /api/jobs/{id}/events", s.jobEvents)
	m.HandleFunc("POST /api/jobs/{id}/cancel", s.cancelJob)
	m.HandleFunc("POST /api/jobs/{id}/control", s.controlJob)
	m.HandleFunc("POST /api/sweeps", s.startSweep)
	m.HandleFunc("GET /api/runs", s.listRuns)
	m.HandleFunc("GET /api/runs/{id}", s.dashboard)
	m.HandleFunc("GET /api/runs/{id}/citizen", s.citizen)
	m.HandleFunc("GET /api/runs/{id}/like", s.someoneLike)
	m.HandleFunc("GET /api/runs/{id}/network", s.network)
	m.HandleFunc("GET /api/runs/{id}/network/days", s.networkDays)
	m.HandleFunc("GET /api/runs/{id}/ties", s.ties)
	m.HandleFunc("GET /api/runs/{id}/files/{file}", s.download)
	// What the lab computes and stores is made by POST only (a GET from
	// an <img> on another site must not run a twin or write a file).
	m.HandleFunc("POST /api/runs/{id}/audit", s.makeAudit)
	m.HandleFunc("POST /api/runs/{id}/report", s.makeReport)
	m.HandleFunc("POST /api/runs/{id}/twins", s.makeTwin)
}

// ServeHTTP applies the security headers, the token and the host check,
// then routes. A panic in a handler is answered with a 500 and logged.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &headerWriter{ResponseWriter: rw}
	defer s.recoverPanic(w, r)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.cfg.Token == "" && s.cfg.Loopback && !loopbackHost(r.Host) {
		hangUp(w)
		httpError(w, http.StatusMisdirectedRequest, "this server answers only to localhost, 127.0.0.1 or [::1]")
		return
	}
	if s.cfg.Token != "" && !s.authorised(w, r) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A cross-site page can post forms but cannot send JSON without
		// the browser asking first; the Origin, when sent, must be ours.
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
			hangUp(w)
			httpError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		// JSON always, even for an empty body: a cross-site form can post
		// without a body, but not with this type.
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			hangUp(w)
			httpError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// hangUp makes a refused request's connection close right after the
// answer, without reading (draining) a body the client may send a byte at
// a time: the net/http server would otherwise read up to 256 KiB of it,
// until the read timeout, before closing.
func hangUp(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

// authorised checks the token from the Authorization header, the cookie
// or, on a first visit, the token query parameter (which then becomes a
// cookie and is removed from the address).
func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	ok := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.Token)) == 1 }
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && ok(strings.TrimPrefix(a, "Bearer ")) {
		return true
	}
	if c, err := r.Cookie(TokenCookie); err == nil && ok(c.Value) {
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && ok(q) && r.Method == http.MethodGet {
		http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: s.cfg.Token, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		u := *r.URL
		v := u.Query()
		v.Del("token")
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	hangUp(w)
	httpError(w, http.StatusUnauthorized, "a token is required: open the address printed by `nosedive serve` (it ends in ?token=...)")
	return false
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sameOrigin(origin, host string) bool {
	for _, p := range []string{"http://", "https://"} {
		if strings.HasPrefix(origin, p) {
			return strings.EqualFold(strings.TrimPrefix(origin, p), host)
		}
	}
	return false
}

// CheckToken says whether t can be a token: at least 16 characters, each
// one a cookie may carry unchanged (printable ASCII but space, ", ',', ;
// and \), since the browser keeps the token in a cookie.
func CheckToken(t string) error {
	if len(t) < 16 {
		return fmt.Errorf("the token must be at least 16 characters (e.g. openssl rand -hex 16)")
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return fmt.Errorf("the token may not contain %q (character %d): use letters, digits and punctuation such as + / = - _", c, i+1)
		}
	}
	return nil
}

// AddrError says an address may not be bound without a token.
type AddrError struct {
	Addr string
	Why  string
}

func (e *AddrError) Error() string {
	return fmt.Sprintf("--addr %s: %s; binding it needs --token SECRET (every request must then carry it), or bind 127.0.0.1", e.Addr, e.Why)
}

// CheckAddr resolves the host of addr and says whether it is loopback only.
// A non-loopback address without a token is an *AddrError.
func CheckAddr(ctx context.Context, addr, token string) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, &AddrError{Addr: addr, Why: "not host:port"}
	}
	var ips []net.IP
	switch {
	case host == "":
		ips = []net.IP{net.IPv4zero}
	case net.ParseIP(strings.Trim(host, "[]")) != nil:
		ips = []net.IP{net.ParseIP(strings.Trim(host, "[]"))}
	default:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return false, &AddrError{Addr: addr, Why: fmt.Sprintf("cannot resolve %q", host)}
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	loopback = true
	for _, ip := range ips {
		loopback = loopback && ip.IsLoopback()
	}
	if !loopback && token == "" {
		return false, &AddrError{Addr: addr, Why: "not a loopback address (other machines could reach it)"}
	}
	return loopback, nil
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	b, err := assetsFS.ReadFile("assets/index.html")
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}
