package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// countReplays makes s count its replays into n (and still replay).
func countReplays(s *Server, n *atomic.Int32) {
	s.replay = func(ctx context.Context, m *store.Manifest, agents []int32, workers int, noRegime bool, disabled []string) (*sim.Final, []*sim.Trace, error) {
		n.Add(1)
		return runner.ReplayCounterfactual(ctx, m, agents, workers, noRegime, disabled)
	}
}

// stripTrace rewrites the run directory dir as a run that recorded no
// trace (an older nosedive's, or one whose record outgrew its limit): its
// citizens can only be replayed.
func stripTrace(t *testing.T, dir string) {
	t.Helper()
	m, err := store.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Files = slices.DeleteFunc(m.Files, func(f string) bool {
		if strings.HasPrefix(f, "trace") {
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
			return true
		}
		return false
	})
	if err := store.WriteJSONAtomic(filepath.Join(dir, store.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
}

// A citizen's year, and their year without a rule or without the regime,
// are read from the stored traces of the run and of its twin when the
// citizen is in the ledger sample, with no replay; the year is the one
// the replays give, byte for byte (the same run with its traces taken
// away answers by replaying). A citizen outside the sample is replayed.
func TestCitizenYearFromTracesIsTheReplay(t *testing.T) {
	root := t.TempDir()
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 3000, Days: 60, Seed: 5,
		Workers: 1, Ledger: "sample:0.05", OutDir: filepath.Join(root, "traced")})
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(res.Dir)
	traced, err := store.TracedAgents(res.Dir, res.Manifest)
	if err != nil || len(traced) < 50 {
		t.Fatalf("%d traced agents: %v", len(traced), err)
	}
	s := newServer(t, Config{Store: filepath.Join(root, "traced")})
	var replays atomic.Int32
	countReplays(s, &replays)

	// The twins the page asks for (POST) record the run's ledger sample.
	withouts := []string{"mosque", runner.NoRegime}
	for _, w := range withouts {
		if r := call(t, s, "GET", fmt.Sprintf("/api/runs/%s/citizen?agent=%d&without=%s", id, traced[0], w), ""); r.code != 409 {
			t.Fatalf("without %s before its twin: %d %s, want 409", w, r.code, r.body)
		}
		if r := call(t, s, "POST", "/api/runs/"+id+"/twins", jsonBody(t, TwinRequest{Without: w})); r.code != 200 {
			t.Fatalf("twin without %s: %d %s", w, r.code, r.body)
		}
		td := filepath.Join(res.Dir, runner.TwinsDir, twinName(res.Manifest, w))
		tm, err := store.ReadManifest(td)
		if err != nil {
			t.Fatal(err)
		}
		tt, err := store.TracedAgents(td, tm)
		if err != nil || !slices.Equal(tt, traced) {
			t.Fatalf("twin without %s traces %d agents (%v), the run %d: want the same sample", w, len(tt), err, len(traced))
		}
	}

	// The same store with every trace taken away: only replays answer.
	if err := os.CopyFS(filepath.Join(root, "replayed"), os.DirFS(filepath.Join(root, "traced"))); err != nil {
		t.Fatal(err)
	}
	rdir := filepath.Join(root, "replayed", id)
	stripTrace(t, rdir)
	for _, w := range withouts {
		stripTrace(t, filepath.Join(rdir, runner.TwinsDir, twinName(res.Manifest, w)))
	}
	rs := newServer(t, Config{Store: filepath.Join(root, "replayed")})
	var rreplays atomic.Int32
	countReplays(rs, &rreplays)

	untraced := int32(0)
	for ; untraced < 3000; untraced++ {
		if _, ok := slices.BinarySearch(traced, untraced); !ok {
			break
		}
	}
	for _, a := range []int32{traced[0], traced[len(traced)/2], untraced} {
		for _, w := range []string{"", "mosque", runner.NoRegime} {
			q := fmt.Sprintf("/api/runs/%s/citizen?agent=%d", id, a)
			if w != "" {
				q += "&without=" + w
			}
			before, rbefore := replays.Load(), rreplays.Load()
			got := call(t, s, "GET", q, "")
			want := call(t, rs, "GET", q, "")
			if got.code != 200 || want.code != 200 {
				t.Fatalf("%s: %d %s; replayed: %d %s", q, got.code, got.body, want.code, want.body)
			}
			if got.body != want.body {
				t.Errorf("%s: the year from the stored traces is not the replayed year\n got %.300s\nwant %.300s", q, got.body, want.body)
			}
			if !strings.Contains(got.body, `"timeline":[{`) || (w != "" && !strings.Contains(got.body, `"counterfactual":{`)) {
				t.Errorf("%s: no timeline or no counterfactual in %.300s", q, got.body)
			}
			years := int32(1)
			if w != "" {
				years = 2
			}
			if n := rreplays.Load() - rbefore; n != years {
				t.Errorf("%s: the store without traces replayed %d times, want %d", q, n, years)
			}
			n, wantN := replays.Load()-before, years
			if a != untraced {
				wantN = 0
			}
			if n != wantN {
				t.Errorf("%s: %d replays, want %d (traced: %v)", q, n, wantN, a != untraced)
			}
		}
	}

	// With no way to replay at all, a traced citizen still has both years.
	s2 := newServer(t, Config{Store: filepath.Join(root, "traced")})
	s2.replay = func(context.Context, *store.Manifest, []int32, int, bool, []string) (*sim.Final, []*sim.Trace, error) {
		t.Error("the year of a traced citizen was replayed")
		return nil, nil, fmt.Errorf("no replays in this test")
	}
	q := fmt.Sprintf("/api/runs/%s/citizen?agent=%d&without=mosque", id, traced[1])
	if r := call(t, s2, "GET", q, ""); r.code != 200 || !strings.Contains(r.body, `"counterfactual":{`) {
		t.Errorf("%s without replays: %d %.300s", q, r.code, r.body)
	}
}

// A twin kept by an older nosedive, which recorded no ledger (and so no
// trace), is not taken for the twin: the page is asked to make it again,
// and the POST makes it with the run's ledger sample.
func TestOldTwinWithoutTraceIsMadeAgain(t *testing.T) {
	root := t.TempDir()
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 1500, Days: 30, Seed: 2,
		Workers: 1, Ledger: "sample:0.05", OutDir: root})
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(res.Dir)
	// The twin as nosedive made it before twins recorded the ledger.
	spec := runner.Spec{Scenario: sc, Agents: 1500, Days: 30, Seed: 2, Workers: 1, Ledger: "none",
		OutDir: filepath.Join(res.Dir, runner.TwinsDir), ID: "ablate-mosque", Disabled: []string{"mosque"}}
	if _, err := runner.Execute(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Config{Store: root})
	q := "/api/runs/" + id + "/citizen?agent=1&without=mosque"
	if r := call(t, s, "GET", q, ""); r.code != 409 {
		t.Fatalf("with an old twin: %d %.300s, want 409 (make it again)", r.code, r.body)
	}
	if r := call(t, s, "POST", "/api/runs/"+id+"/twins", jsonBody(t, TwinRequest{Without: "mosque"})); r.code != 200 {
		t.Fatalf("twin: %d %s", r.code, r.body)
	}
	tm, err := store.ReadManifest(filepath.Join(res.Dir, runner.TwinsDir, "ablate-mosque"))
	if err != nil {
		t.Fatal(err)
	}
	if tm.Ledger != res.Manifest.Ledger || !tm.HasTrace() {
		t.Errorf("the twin made again has ledger %q (trace %v), want the run's %q with its trace", tm.Ledger, tm.HasTrace(), res.Manifest.Ledger)
	}
	if r := call(t, s, "GET", q, ""); r.code != 200 {
		t.Errorf("after the twin: %d %.300s", r.code, r.body)
	}
}
