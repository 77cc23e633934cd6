package runner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// InputError is bad input in the options a person gave a run (the command
// line's flags, named in the message).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func badInput(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Settle makes s the spec of a run of sc, as `nosedive run` does: the
// sizes, seed and ledger a person did not give (given reports which they
// did, by flag name: agents, days, seed, ledger) are the scenario's run:
// section's; the ones given, the workers and the checkpoint interval are
// checked, and maxMemory ("" for none, else such as 8GiB) becomes
// MaxMemory. An option out of range is an *InputError.
func (s *Spec) Settle(sc *scenario.Scenario, given func(string) bool, maxMemory string) error {
	s.Scenario = sc
	switch {
	case !given("agents"):
		s.Agents = sc.Run.Agents
	case s.Agents < 2 || s.Agents > scenario.MaxAgents:
		return badInput("--agents must be between 2 and %d, got %d", scenario.MaxAgents, s.Agents)
	case sc.Network.Model != "none" && s.Agents <= sc.Network.Degree:
		return badInput("--agents %d is too few for network.degree %d", s.Agents, sc.Network.Degree)
	}
	switch {
	case !given("days"):
		s.Days = sc.Run.Days
	case s.Days < 1 || s.Days > scenario.MaxDays:
		return badInput("--days must be between 1 and %d, got %d", scenario.MaxDays, s.Days)
	}
	if !given("seed") {
		s.Seed = sc.Run.Seed
	}
	if s.Workers < 0 || s.Workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024, got %d", s.Workers)
	}
	if !given("ledger") {
		s.Ledger = sc.Run.Ledger
	} else if _, err := scenario.ParseLedger(s.Ledger); err != nil {
		return badInput("--ledger: %v", err)
	}
	if maxMemory != "" {
		var err error
		if s.MaxMemory, err = ParseBytes(maxMemory); err != nil {
			return badInput("--max-memory: %v", err)
		}
	}
	if s.CheckpointEvery < 0 || s.CheckpointEvery > scenario.MaxDays {
		return badInput("--checkpoint-every must be a number of days >= 0")
	}
	return nil
}

// BenchSize is the population and days `nosedive bench` measures sc at:
// the scenario's own unless given (by flag name: agents, days), checked
// against the scenario's network. A size out of range is an *InputError.
func BenchSize(sc *scenario.Scenario, given func(string) bool, agents, days int) (int, int, error) {
	if !given("agents") {
		agents = sc.Run.Agents
	} else if agents < 2 || agents > scenario.MaxAgents || (sc.Network.Model != "none" && agents <= sc.Network.Degree) {
		return 0, 0, badInput("--agents must be between %d and %d", max(2, sc.Network.Degree+1), scenario.MaxAgents)
	}
	if !given("days") {
		days = sc.Run.Days
	} else if days < 1 || days > scenario.MaxDays {
		return 0, 0, badInput("--days must be between 1 and %d", scenario.MaxDays)
	}
	return agents, days, nil
}

// ResumeDir is Resume for a directory a person named, as `nosedive
// resume` does: the unfinished run is dir or the one unfinished run it
// holds (store.FindUnfinished), "resuming ID", each skipped checkpoint
// and, with meter, the days go to log, and the run's scenario comes back
// with the result. Workers out of range, a directory with no unfinished
// run and an unreadable spec.json are *InputError; a spec.json that fails
// its checks is the *store.InvalidError naming file and field.
func ResumeDir(ctx context.Context, dir string, workers int, log io.Writer, meter bool) (*scenario.Scenario, *Result, error) {
	if workers < 0 || workers > 1024 {
		return nil, nil, badInput("--workers must be between 0 (all cores) and 1024, got %d", workers)
	}
	d, err := store.FindUnfinished(dir)
	if err != nil {
		return nil, nil, badInput("%v", err)
	}
	ss, err := store.ReadSpec(d)
	if err != nil && !errors.As(err, new(*store.InvalidError)) {
		return nil, nil, badInput("%v", err)
	} else if err != nil {
		return nil, nil, err
	}
	var prog func(int, int)
	if meter {
		var finish func()
		prog, finish = progress.Days(log, ss.Days)
		defer finish()
	}
	fmt.Fprintf(log, "nosedive: resuming %s\n", ss.ID)
	res, err := Resume(ctx, d, workers, prog, func(err error) {
		fmt.Fprintf(log, "nosedive: skipping checkpoint: %v\n", err)
	})
	if err != nil {
		return nil, nil, err
	}
	sc, err := scenario.Load(ss.ScenarioFile, []byte(ss.ScenarioText), ss.Sets)
	return sc, res, err
}
