package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/report"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// download serves one of a run's files by name from a fixed list; no other
// path can be asked for. The HTML report is made by POST
// /api/runs/{id}/report (and kept as RUN/report.html, as `nosedive report`
// would); it is shown in the browser with a policy that allows its inline
// styles and nothing else (it has no scripts), or downloaded with
// ?download=1.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	name := r.PathValue("file")
	if !slices.Contains(downloadable, name) {
		httpError(w, http.StatusNotFound, "runs offer "+joinNames(downloadable))
		return
	}
	path := filepath.Join(dir, name)
	if _, err := os.Lstat(path); err != nil && name == "report.html" {
		needPost(w, fmt.Sprintf("run %s has no report yet: POST /api/runs/%s/report makes it (a few seconds)", m.ID, m.ID),
			"/api/runs/"+m.ID+"/report", struct{}{})
		return
	}
	// Regular files only: a symbolic link planted in a run directory is
	// not followed out of the store.
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		httpError(w, http.StatusNotFound, "this run has no "+name)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		httpError(w, http.StatusNotFound, "this run has no "+name)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		httpError(w, http.StatusNotFound, "this run has no "+name)
		return
	}
	h := w.Header()
	switch filepath.Ext(name) {
	case ".parquet":
		h.Set("Content-Type", "application/vnd.apache.parquet")
	case ".json":
		h.Set("Content-Type", "application/json")
	case ".html":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	}
	if name != "report.html" || r.URL.Query().Get("download") == "1" {
		h.Set("Content-Disposition", `attachment; filename="`+m.ID+"-"+name+`"`)
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

func joinNames(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// writeReport writes RUN/report.html unless it is there already, and the
// run's audit first if it has none. The caller holds the heavy slot.
func (s *Server) writeReport(id, dir, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	rep, err := s.makeAuditOf(id, dir)
	if err != nil {
		return err
	}
	lr, err := s.cache.run(id)
	if err != nil {
		return err
	}
	in := report.Input{Run: lr.run, Audit: rep, Version: s.cfg.Version}
	twin := filepath.Join(dir, runner.TwinsDir, runner.NoRegime)
	if _, err := os.Stat(filepath.Join(twin, "run.json")); err == nil {
		in.TwinDir = twin
	}
	var buf bytes.Buffer
	lr.with(func() { _, err = report.Render(&buf, in) })
	if err != nil {
		return err
	}
	return store.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}
