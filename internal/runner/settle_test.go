package runner

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

func given(names ...string) func(string) bool {
	return func(n string) bool { return slices.Contains(names, n) }
}

// Settle takes what was not given from the scenario's run: section and
// refuses each option out of range as an *InputError with the flag's
// words; BenchSize likewise for bench's two sizes.
func TestSettle(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	var s Spec
	if err := s.Settle(sc, given(), ""); err != nil {
		t.Fatal(err)
	}
	if s.Scenario != sc || s.Agents != sc.Run.Agents || s.Days != sc.Run.Days || s.Seed != sc.Run.Seed || s.Ledger != sc.Run.Ledger {
		t.Errorf("defaults: %+v, want the scenario's run: %+v", s, sc.Run)
	}
	s = Spec{Agents: 5000, Days: 7, Seed: 3, Ledger: "all"}
	if err := s.Settle(sc, given("agents", "days", "seed", "ledger"), "1GiB"); err != nil {
		t.Fatal(err)
	}
	if s.Agents != 5000 || s.Days != 7 || s.Seed != 3 || s.Ledger != "all" || s.MaxMemory != 1<<30 {
		t.Errorf("given: %+v", s)
	}
	deg := sc.Network.Degree
	for _, c := range []struct {
		s     Spec
		given []string
		mem   string
		want  string
	}{
		{Spec{Agents: 1}, []string{"agents"}, "", "--agents must be between 2 and 2000000000, got 1"},
		{Spec{Agents: deg}, []string{"agents"}, "", "--agents " + itoa(deg) + " is too few for network.degree " + itoa(deg)},
		{Spec{Days: 0}, []string{"days"}, "", "--days must be between 1 and 100000, got 0"},
		{Spec{Workers: -1}, nil, "", "--workers must be between 0 (all cores) and 1024, got -1"},
		{Spec{Ledger: "most"}, []string{"ledger"}, "", "--ledger: "},
		{Spec{}, nil, "lots", "--max-memory: "},
		{Spec{CheckpointEvery: -1}, nil, "", "--checkpoint-every must be a number of days >= 0"},
	} {
		err := c.s.Settle(sc, given(c.given...), c.mem)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an InputError %q", c.s, err, c.want)
		}
	}
	if a, d, err := BenchSize(sc, given(), 9, 9); err != nil || a != sc.Run.Agents || d != sc.Run.Days {
		t.Errorf("BenchSize defaults: %d %d %v", a, d, err)
	}
	if a, d, err := BenchSize(sc, given("agents", "days"), 3000, 9); err != nil || a != 3000 || d != 9 {
		t.Errorf("BenchSize given: %d %d %v", a, d, err)
	}
	for _, c := range []struct {
		agents, days int
		want         string
	}{
		{deg, 5, "--agents must be between " + itoa(deg+1) + " and 2000000000"},
		{3000, 100001, "--days must be between 1 and 100000"},
	} {
		_, _, err := BenchSize(sc, given("agents", "days"), c.agents, c.days)
		if !errors.As(err, new(*InputError)) || err.Error() != c.want {
			t.Errorf("BenchSize(%d, %d): got %v, want %q", c.agents, c.days, err, c.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// ResumeDir refuses workers out of range and a directory without an
// unfinished run as *InputError, before it reads anything else.
func TestResumeDirRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		workers int
		want    string
	}{
		{-1, "--workers must be between 0 (all cores) and 1024, got -1"},
		{1025, "--workers must be between 0 (all cores) and 1024, got 1025"},
		{0, ""},
	} {
		var log strings.Builder
		_, _, err := ResumeDir(context.Background(), dir, c.workers, &log, true)
		if !errors.As(err, new(*InputError)) || !strings.HasPrefix(err.Error(), c.want) || log.Len() > 0 {
			t.Errorf("workers %d: got %v (log %q), want an InputError %q", c.workers, err, log.String(), c.want)
		}
	}
}
