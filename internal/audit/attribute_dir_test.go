package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every option AttributeDir refuses is an *InputError naming the flag
// (cmd/nosedive maps it to exit 2), and it is refused before any twin
// runs or audit.json is written.
func TestAttributeDirRefuses(t *testing.T) {
	r := makeRun(t, capOnly, 300, 3)
	noRules := strings.Replace(capOnly, "  rules: [{name: r_act, on: act, amount: 0}]\n", "", 1)
	bare := makeRun(t, noRules, 300, 3)
	for _, c := range []struct {
		dir  string
		o    AttributeDirOptions
		want string
	}{
		{r.Dir, AttributeDirOptions{Agents: 1, Pairs: 2}, "--agents must be between 2 and the run's 300"},
		{r.Dir, AttributeDirOptions{Agents: 301, Pairs: 2}, "--agents must be between 2 and the run's 300"},
		{r.Dir, AttributeDirOptions{Pairs: 1}, "--pairs must be at least 2"},
		{r.Dir, AttributeDirOptions{Pairs: 64, Permutations: 2}, "--pairs must be at least 2"},
		{r.Dir, AttributeDirOptions{Pairs: 2, Exact: true, Sampled: true}, "--exact and --sampled exclude each other"},
		{r.Dir, AttributeDirOptions{Pairs: 2, Workers: -1}, "--workers must be between 0 (all cores) and 1024"},
		{r.Dir, AttributeDirOptions{Pairs: 2, Workers: 1025}, "--workers must be between 0 (all cores) and 1024"},
		{r.Dir, AttributeDirOptions{Pairs: 2, Metrics: []string{"bogus"}}, "--metric: "},
		{bare.Dir, AttributeDirOptions{Pairs: 2}, bare.Dir + ": the scenario has no rules to attribute"},
	} {
		_, err := AttributeDir(context.Background(), c.dir, c.o)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an InputError %q", c.o, err, c.want)
		}
		if _, err := os.Stat(filepath.Join(c.dir, ReportFile)); err == nil {
			t.Fatalf("%+v: audit.json written", c.o)
		}
	}
	if _, err := AttributeDir(context.Background(), filepath.Join(r.Dir, "nope"), AttributeDirOptions{Pairs: 2}); !errors.As(err, new(*RunDirError)) {
		t.Errorf("a missing directory: got %v, want a RunDirError", err)
	}
}

// AttributeDir stores the attribution it returns in audit.json, next to
// the basic audit it computes when there is none, and logs its plan.
func TestAttributeDirWrites(t *testing.T) {
	r := makeRun(t, capOnly, 300, 3)
	var log strings.Builder
	at, err := AttributeDir(context.Background(), r.Dir, AttributeDirOptions{Agents: 200, Pairs: 2, Permutations: 3, PairsSet: true, Sampled: true, Workers: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if at.Agents != 200 || at.Pairs != 2 || at.Method == "" {
		t.Errorf("attribution %+v: want 200 agents, 2 pairs (from 3 permutations) and a method", at)
	}
	rep, err := ReadReport(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attribution == nil || rep.Attribution.Agents != 200 || len(rep.Groups) == 0 {
		t.Errorf("audit.json holds %+v, want the attribution and a basic audit", rep.Attribution)
	}
	if !strings.HasPrefix(log.String(), "nosedive: attributing 1 rules by twin runs of 200 agents x 3 days\n") {
		t.Errorf("log %q", log.String())
	}
}

// An agent outside the run is an *InputError; one inside is explained (by
// a replay: the run keeps no ledger sample), with the replay's notice on
// the log.
func TestExplainDir(t *testing.T) {
	r := makeRun(t, capOnly, 300, 3)
	for _, a := range []int{-1, 300} {
		_, err := ExplainDir(context.Background(), r.Dir, a, 1, nil)
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != "--agent "+strconv.Itoa(a)+": this run has agents 0 to 299" {
			t.Errorf("agent %d: got %v", a, err)
		}
	}
	var log strings.Builder
	x, err := ExplainDir(context.Background(), r.Dir, 7, 1, &log)
	if err != nil {
		t.Fatal(err)
	}
	if x.Agent != 7 || !x.MatchesStored || !x.Exact {
		t.Errorf("explanation of agent %d, matches %v, exact %v", x.Agent, x.MatchesStored, x.Exact)
	}
	if !strings.Contains(log.String(), "nosedive: replaying "+r.Dir+" (300 agents x 3 days) with a trace on agent 7\n") {
		t.Errorf("log %q", log.String())
	}
}
