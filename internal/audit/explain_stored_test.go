package audit

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// The stored trace of a run's ledger sample gives the explanation a replay
// gives, byte for byte, for agents of two built-ins: chongqing-pilot
// (partnerships form and break, partner rules) and xinjiang-pilot
// (sanctions that block, detention). The stored trace itself equals the
// replay's trace, day by day.
func TestExplainStoredIsTheReplay(t *testing.T) {
	for _, name := range []string{"chongqing-pilot", "xinjiang-pilot"} {
		t.Run(name, func(t *testing.T) {
			src, err := scenario.BuiltinSource(name)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Load(name+".yaml", src, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 3000, Days: 120, Seed: 5,
				Ledger: "sample:0.03", OutDir: t.TempDir(), ID: "fixed", Workers: 2,
				Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Load(res.Dir)
			if err != nil {
				t.Fatal(err)
			}
			traced, err := store.TracedAgents(res.Dir, r.Manifest)
			if err != nil {
				t.Fatal(err)
			}
			if len(traced) < 40 {
				t.Fatalf("%d traced agents, want about 90", len(traced))
			}
			final, traces, err := runner.Replay(context.Background(), r.Manifest, traced, 2)
			if err != nil {
				t.Fatal(err)
			}
			var partnered, blocked, sanctioned int
			for k, a := range traced {
				got, tr, err := ExplainStored(r, a)
				if err != nil {
					t.Fatalf("agent %d: %v", a, err)
				}
				want, err := Explain(r, a, final, traces[k])
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(traces[k], tr, cmpopts.IgnoreUnexported(sim.Trace{})); diff != "" {
					t.Fatalf("agent %d: stored trace differs from the replay's (-replay +stored):\n%s", a, diff)
				}
				gb, _ := json.MarshalIndent(got, "", "  ")
				wb, _ := json.MarshalIndent(want, "", "  ")
				if string(gb) != string(wb) {
					t.Fatalf("agent %d: the stored explanation differs from the replay's:\n%s", a, cmp.Diff(string(wb), string(gb)))
				}
				if !got.Exact || !got.MatchesStored {
					t.Fatalf("agent %d: exact %v, matches stored %v", a, got.Exact, got.MatchesStored)
				}
				if slices.ContainsFunc(tr.Days, func(d sim.TraceDay) bool { return d.Partner >= 0 }) {
					partnered++
				}
				if len(got.Sanctions) > 0 {
					sanctioned++
				}
				for _, e := range got.Events {
					blocked += e.Blocked
				}
			}
			t.Logf("%d traced agents: %d with a partner, %d sanctioned, %d events blocked", len(traced), partnered, sanctioned, blocked)
			if partnered == 0 || (name == "xinjiang-pilot" && sanctioned == 0) {
				t.Errorf("the sample exercises too little: %d partnered, %d sanctioned", partnered, sanctioned)
			}
			// Someone outside the sample has no stored trace.
			outside := int32(-1)
			for a := int32(0); a < 3000; a++ {
				if _, ok := slices.BinarySearch(traced, a); !ok {
					outside = a
					break
				}
			}
			_, _, err = ExplainStored(r, outside)
			var nt *store.NoTraceError
			if !errors.As(err, &nt) || nt.Why != "not-sampled" {
				t.Errorf("agent %d outside the sample: %v, want a not-sampled NoTraceError", outside, err)
			}
		})
	}
}

// ExplainAgent, the choice `nosedive explain` and the web lab both make,
// reads a sampled agent's stored trace without calling replay, replays
// anyone else (saying why), and refuses an explanation that does not
// reproduce the stored run.
func TestExplainAgentChooses(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 1500, Days: 40, Seed: 4,
		Ledger: "sample:0.05", OutDir: t.TempDir(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadForExplain(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	traced, err := store.TracedAgents(res.Dir, r.Manifest)
	if err != nil || len(traced) == 0 {
		t.Fatalf("%d traced: %v", len(traced), err)
	}
	outside := int32(0)
	for ; outside < 1500; outside++ {
		if _, ok := slices.BinarySearch(traced, outside); !ok {
			break
		}
	}
	explainJSON := func(x *Explanation) string {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	replays := 0
	replay := func(noRegime bool) func(nt *store.NoTraceError) (*sim.Final, *sim.Trace, error) {
		return func(nt *store.NoTraceError) (*sim.Final, *sim.Trace, error) {
			replays++
			if nt.Agent != outside || nt.Why != "not-sampled" {
				t.Errorf("replay told %+v, want agent %d not-sampled", nt, outside)
			}
			final, traces, err := runner.ReplayCounterfactual(context.Background(), r.Manifest, []int32{nt.Agent}, 1, noRegime, nil)
			if err != nil {
				return nil, nil, err
			}
			return final, traces[0], nil
		}
	}

	x, _, err := ExplainAgent(r, traced[0], replay(false))
	want, _, werr := ExplainStored(r, traced[0])
	if err != nil || werr != nil || replays != 0 || explainJSON(x) != explainJSON(want) {
		t.Errorf("traced agent %d: %v, %v, %d replays; want ExplainStored's explanation and no replay", traced[0], err, werr, replays)
	}

	x, tr, err := ExplainAgent(r, outside, replay(false))
	if err != nil || replays != 1 {
		t.Fatalf("agent %d outside the sample: %v, %d replays, want one", outside, err, replays)
	}
	final, traces, err := runner.Replay(context.Background(), r.Manifest, []int32{outside}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err = Explain(r, outside, final, traces[0])
	if err != nil || explainJSON(x) != explainJSON(want) || tr.Agent != outside {
		t.Errorf("agent %d: ExplainAgent's replayed explanation is not Explain's of a replay (%v)", outside, err)
	}

	// A replay of another regime does not reproduce the run.
	if _, _, err := ExplainAgent(r, outside, replay(true)); err == nil || !strings.Contains(err.Error(), "the replay does not reproduce the stored run") {
		t.Errorf("agent %d explained from a replay without the regime: %v, want the replay refused", outside, err)
	}
}
