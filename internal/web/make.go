package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// GET reads what a run directory holds and never changes it; what the lab
// computes and keeps (an audit, a report, a counterfactual twin run) is
// made by a POST, which passes the Origin, Content-Type and token checks
// of ServeHTTP. A GET for something not made yet answers 409 with the
// POST that makes it (APIError.Post and .Body); the page sends it and asks
// again.

// needPost answers 409: what is missing and which request makes it.
func needPost(w http.ResponseWriter, msg, post string, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusConflict)
	json.NewEncoder(w).Encode(APIError{Error: msg, Post: post, Body: body})
}

// storedAudit returns the run's audit if it was made: RUN/audit.json
// (written by `nosedive audit` or by the lab), or one computed for a
// read-only store.
func (s *Server) storedAudit(id, dir string) *audit.Report {
	if b, err := os.ReadFile(filepath.Join(dir, "audit.json")); err == nil {
		var rep audit.Report
		if err := json.Unmarshal(b, &rep); err == nil {
			return &rep
		}
	}
	s.auditsMu.Lock()
	defer s.auditsMu.Unlock()
	return s.audits[id]
}

// makeAuditOf computes the run's audit unless it was made, and writes
// RUN/audit.json (a store it cannot write to keeps it in memory).
func (s *Server) makeAuditOf(id, dir string) (*audit.Report, error) {
	if rep := s.storedAudit(id, dir); rep != nil {
		return rep, nil
	}
	lr, err := s.cache.run(id)
	if err != nil {
		return nil, err
	}
	var rep *audit.Report
	lr.with(func() { rep, err = audit.Compute(lr.run, audit.Options{}) })
	if err != nil {
		return nil, err
	}
	if err := store.WriteJSONAtomic(filepath.Join(dir, "audit.json"), rep); err != nil {
		s.keepAudit(id, rep)
	}
	s.cache.forget(id)
	return rep, nil
}

// keepAudit keeps an audit the store could not take (at most
// maxDashboards; then they are computed again).
func (s *Server) keepAudit(id string, rep *audit.Report) {
	s.auditsMu.Lock()
	defer s.auditsMu.Unlock()
	if len(s.audits) >= maxDashboards {
		clear(s.audits)
	}
	s.audits[id] = rep
}

// Made answers the POSTs that make something: where to read it now.
type Made struct {
	Get string `json:"get"`
}

func (s *Server) makeAudit(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	longRequest(w)
	err := s.withHeavy(r.Context(), func() error {
		_, err := s.makeAuditOf(m.ID, dir)
		return err
	})
	if err != nil {
		if r.Context().Err() == nil {
			s.runError(w, m.ID, err)
		}
		return
	}
	writeJSON(w, Made{Get: "/api/runs/" + m.ID})
}

func (s *Server) makeReport(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	longRequest(w)
	err := s.withHeavy(r.Context(), func() error { return s.writeReport(m.ID, dir, filepath.Join(dir, "report.html")) })
	if err != nil {
		if r.Context().Err() == nil {
			s.runError(w, m.ID, fmt.Errorf("report: %w", err))
		}
		return
	}
	s.cache.forget(m.ID)
	writeJSON(w, Made{Get: "/api/runs/" + m.ID + "/files/report.html"})
}

// TwinRequest is the body of POST /api/runs/{id}/twins: the twin run
// without one rule, or without any regime (runner.NoRegime).
type TwinRequest struct {
	Without string `json:"without"`
}

// twinName is the twin directory of a counterfactual, or "" if the run
// has no such rule.
func twinName(m *store.Manifest, without string) string {
	if without == runner.NoRegime {
		return runner.NoRegime
	}
	if slices.ContainsFunc(m.Rules, func(ri store.RuleInfo) bool { return ri.Name == without }) {
		return "ablate-" + without
	}
	return ""
}

// twinReady returns the twin's directory if it was made for this run, as
// runner.Twin would reuse it (runner.TwinKept: the same scenario, seed and
// ledger, so the twin holds the trace of the run's ledger sample).
func twinReady(m *store.Manifest, dir, name string) (string, bool) {
	path := filepath.Join(dir, runner.TwinsDir, name)
	return path, runner.TwinKept(m, path)
}

func (s *Server) makeTwin(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	var req TwinRequest
	if !readJSON(w, r, &req) {
		return
	}
	name := twinName(m, req.Without)
	if name == "" {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("no rule %q in this run; pick one of its rules or %s", req.Without, runner.NoRegime))
		return
	}
	longRequest(w)
	err := s.withHeavy(r.Context(), func() error {
		_, err := runner.Twin(r.Context(), dir, name, s.cfg.Workers)
		return err
	})
	if err != nil {
		if r.Context().Err() == nil {
			s.runError(w, m.ID, fmt.Errorf("twin run %s: %w", name, err))
		}
		return
	}
	writeJSON(w, Made{Get: "/api/runs/" + m.ID + "/citizen?without=" + req.Without})
}
