package web

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// The citizen page reads a traced citizen's year from the run's stored
// trace (the same explanation a replay gives), and "someone like me"
// offers traced citizens first.
func TestCitizenFromStoredTrace(t *testing.T) {
	dir := t.TempDir()
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 4000, Days: 60, Seed: 3,
		Workers: 1, Ledger: "sample:0.05", OutDir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(res.Dir)
	traced, err := store.TracedAgents(res.Dir, res.Manifest)
	if err != nil || len(traced) < 100 {
		t.Fatalf("%d traced agents: %v", len(traced), err)
	}
	s := newServer(t, Config{Store: filepath.Join(dir, "store")})
	var like Likeness
	r := call(t, s, "GET", "/api/runs/"+id+"/like?group=uyghur", "")
	if err := json.Unmarshal([]byte(r.body), &like); err != nil || len(like.Agents) != 12 {
		t.Fatalf("someone like me: %d %s", r.code, r.body)
	}
	if len(like.Traced) != 12 || !slices.Equal(like.Agents, like.Traced) {
		t.Errorf("offered %v, traced %v: want twelve traced citizens first", like.Agents, like.Traced)
	}
	for _, a := range like.Traced {
		if _, ok := slices.BinarySearch(traced, a); !ok {
			t.Errorf("citizen %d is offered as traced but has no stored trace", a)
		}
	}
	run, err := audit.Load(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	untraced := int32(0)
	for ; untraced < 4000; untraced++ {
		if _, ok := slices.BinarySearch(traced, untraced); !ok {
			break
		}
	}
	for _, a := range []int32{like.Traced[0], untraced} {
		r := call(t, s, "GET", fmt.Sprintf("/api/runs/%s/citizen?agent=%d", id, a), "")
		var y Year
		if err := json.Unmarshal([]byte(r.body), &y); err != nil || r.code != 200 {
			t.Fatalf("citizen %d: %d %s", a, r.code, r.body)
		}
		final, traces, err := runner.Replay(context.Background(), res.Manifest, []int32{a}, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, err := audit.Explain(run, a, final, traces[0])
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(y.Explanation)
		wb, _ := json.Marshal(want)
		if string(got) != string(wb) {
			t.Errorf("citizen %d: the page's explanation is not the replay's", a)
		}
		tl, _ := json.Marshal(y.Timeline)
		wtl, _ := json.Marshal(timeline(res.Manifest, final.ContribNames, traces[0]))
		if string(tl) != string(wtl) {
			t.Errorf("citizen %d: the page's timeline is not the replay's", a)
		}
	}
}
