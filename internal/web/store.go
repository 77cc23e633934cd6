package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// runStore is the directory of run directories the server reads and writes.
type runStore struct{ root string }

func openStore(dir string) (*runStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("web: store %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &runStore{root: abs}, nil
}

// runID is what a run directory may be called when the web lab opens it:
// the names store.NewID makes, and nothing with a path separator, a
// leading dot (unfinished .tmp- runs) or "..".
var runID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`)

// ErrBadRunID says a run id is not a plain run directory name.
var ErrBadRunID = errors.New("not a run id")

// dir resolves a run id to its directory inside the store, or fails.
func (st *runStore) dir(id string) (string, error) {
	if len(id) > 128 || !runID.MatchString(id) {
		return "", ErrBadRunID
	}
	d := filepath.Join(st.root, id)
	if filepath.Dir(d) != st.root {
		return "", ErrBadRunID
	}
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() {
		return "", os.ErrNotExist
	}
	return d, nil
}

// RunInfo is one stored run in the run browser.
type RunInfo struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"` // the run's label (run.json "name"), "" when none
	Scenario    string   `json:"scenario"`
	Description string   `json:"description"`
	Agents      int      `json:"agents"`
	Days        int      `json:"days"`
	Seed        uint64   `json:"seed"`
	Sets        []string `json:"sets"`
	Edited      bool     `json:"edited"` // the scenario text differs from the built-in of that name
	Created     string   `json:"created"`
	Seconds     float64  `json:"seconds"`
}

func infoOf(m *store.Manifest) RunInfo {
	return RunInfo{ID: m.ID, Name: m.Name, Scenario: m.Scenario.Name, Description: m.Scenario.Description, Agents: m.Agents,
		Days: m.Days, Seed: m.Seed, Sets: nonNil(m.Scenario.Sets), Edited: edited(m), Created: m.Created, Seconds: m.Timings.Total}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cache keeps what is computed from immutable run directories: manifests,
// dashboards, and a few loaded runs (agents tables) for citizens and
// networks. Runs never change once committed, so entries never go stale;
// sizes are bounded.
type cache struct {
	st  *runStore
	log *log.Logger

	mu         sync.Mutex
	manifests  map[string]*store.Manifest
	dashboards map[string]*entry[[]byte]
	runs       map[string]*entry[*loadedRun]
	order      []string // loaded runs, least recently used first
}

// loadedRun is a run with its agents table in memory; mu serialises the
// audit.Run's lazily built population.
type loadedRun struct {
	mu  sync.Mutex
	run *audit.Run
}

// with calls f holding the run's lock (released if f panics).
func (lr *loadedRun) with(f func()) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	f()
}

const (
	maxDashboards = 256
	maxLoadedRuns = 3
)

func newCache(st *runStore, l *log.Logger) *cache {
	return &cache{st: st, log: l, manifests: map[string]*store.Manifest{}, dashboards: map[string]*entry[[]byte]{},
		runs: map[string]*entry[*loadedRun]{}}
}

// manifest returns the run.json of run id. A run's id is its directory
// name: a directory renamed after the run keeps its old id in run.json,
// and is served (and listed) under its new name.
func (c *cache) manifest(id string) (*store.Manifest, string, error) {
	dir, err := c.st.dir(id)
	if err != nil {
		return nil, "", err
	}
	if m := c.cachedManifest(id); m != nil {
		return m, dir, nil
	}
	m, err := store.ReadManifest(dir)
	if err != nil {
		return nil, "", err
	}
	if m.ID != id {
		cp := *m
		cp.ID = id
		m = &cp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.manifests[id] = m
	return m, dir, nil
}

// locked calls f holding the cache's lock.
func (c *cache) locked(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

func (c *cache) cachedManifest(id string) *store.Manifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.manifests[id]
}

// list returns the stored runs, newest first.
func (c *cache) list() ([]RunInfo, error) {
	ents, err := os.ReadDir(c.st.root)
	if err != nil {
		return nil, err
	}
	out := []RunInfo{}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		m, _, err := c.manifest(e.Name())
		if err != nil {
			continue // not a run directory
		}
		out = append(out, infoOf(m))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

func (c *cache) dashboard(id string, build func() ([]byte, error)) ([]byte, error) {
	var e *entry[[]byte]
	owner := false
	c.locked(func() {
		if e = c.dashboards[id]; e == nil {
			if len(c.dashboards) >= maxDashboards {
				for k := range c.dashboards { // drop any one; rebuilt on demand
					delete(c.dashboards, k)
					break
				}
			}
			e, owner = newEntry[[]byte](), true
			c.dashboards[id] = e
		}
	})
	if owner {
		e.build(c.log, "dashboard of "+id, build)
		if e.err != nil {
			c.locked(func() {
				if c.dashboards[id] == e {
					delete(c.dashboards, id)
				}
			})
		}
	}
	return e.wait()
}

// forget drops what is cached of a run that changed on disk (an audit or
// a report was added): its dashboard lists them.
func (c *cache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.dashboards, id)
}

// run returns the loaded run id (agents table in memory), loading it once.
func (c *cache) run(id string) (*loadedRun, error) {
	dir, err := c.st.dir(id)
	if err != nil {
		return nil, err
	}
	return c.load(id, dir, audit.Load)
}

// load loads any run directory (twins included) with read under the
// cache key key.
func (c *cache) load(key, dir string, read func(dir string) (*audit.Run, error)) (*loadedRun, error) {
	var e *entry[*loadedRun]
	owner := false
	c.locked(func() {
		if e = c.runs[key]; e == nil {
			e, owner = newEntry[*loadedRun](), true
			c.runs[key] = e
		}
		c.order = append(slicesDelete(c.order, key), key)
		for len(c.order) > maxLoadedRuns {
			delete(c.runs, c.order[0])
			c.order = c.order[1:]
		}
	})
	if owner {
		e.build(c.log, "loading "+key, func() (*loadedRun, error) {
			r, err := read(dir)
			if err != nil {
				return nil, err
			}
			return &loadedRun{run: r}, nil
		})
		if e.err != nil {
			c.locked(func() {
				if c.runs[key] == e {
					delete(c.runs, key)
					c.order = slicesDelete(c.order, key)
				}
			})
		}
	}
	return e.wait()
}

func slicesDelete(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	runs, err := s.cache.list()
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, runs)
}

// runDir resolves the {id} of a request, answering 400/404 itself.
func (s *Server) runDir(w http.ResponseWriter, r *http.Request) (*store.Manifest, string, bool) {
	id := r.PathValue("id")
	m, dir, err := s.cache.manifest(id)
	var de *store.DamagedError
	switch {
	case errors.Is(err, ErrBadRunID):
		httpError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a run id", id))
		return nil, "", false
	case errors.As(err, &de):
		s.runError(w, id, err)
		return nil, "", false
	case err != nil:
		httpError(w, http.StatusNotFound, fmt.Sprintf("no run %q in the store", id))
		return nil, "", false
	}
	return m, dir, true
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSONBytes(w, b)
}

func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// APIError is the body of every failed API request.
type APIError struct {
	Error string `json:"error"`
	// Post, with Body, is the request that makes what a GET found
	// missing (answered 409).
	Post string `json:"post,omitempty"`
	Body any    `json:"body,omitempty"`
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(APIError{Error: msg})
}

// readJSON decodes a request body of at most MaxBody bytes into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request is larger than %d KiB; scenarios sent from the browser are limited to 1 MiB", MaxBody>>10))
			return false
		}
		httpError(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return false
	}
	return true
}
