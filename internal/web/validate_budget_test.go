package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// A hostile draft well inside the 1 MiB body limit (78 KiB of nesting once
// took the lab to 3.9 GB) is answered with the loader's budget diagnostic
// while the server allocates little.
func TestValidateHostileDraftBounded(t *testing.T) {
	s := newServer(t, Config{})
	body := jsonBody(t, Draft{YAML: "name: x\ndeep: " + strings.Repeat("[", 40_000) + strings.Repeat("]", 40_000) + "\n"})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := call(t, s, "POST", "/api/validate", body)
	runtime.ReadMemStats(&after)
	if r.code != http.StatusOK || !strings.Contains(r.body, "the loader's depth budget") || !strings.Contains(r.body, `"ok":false`) {
		t.Errorf("deep draft: %d %s, want 200 with the depth budget's diagnostic", r.code, r.body)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("validating an %d-byte draft allocated %d MiB, want at most 64 MiB", len(body), got>>20)
	}
}

// A client that has gone away gets no answer, and its load stops.
func TestValidateStopsWhenClientGoes(t *testing.T) {
	s := newServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/api/validate", strings.NewReader(jsonBody(t, Draft{YAML: "name: x\n"})))
	req.Header.Set("Content-Type", "application/json")
	req.Host = "127.0.0.1:8080"
	req = req.WithContext(ctx)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Body.Len() != 0 {
		t.Errorf("answered a client that went away: %d %s", w.Code, w.Body)
	}
}
