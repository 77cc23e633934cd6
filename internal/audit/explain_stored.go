package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// ExplainStored explains agent a from the trace the run stored of its
// ledger sample (store.ReadTrace), with no replay: the explanation is the
// one Explain gives from a replay, byte for byte (a test holds them
// together). The end state is the trace's last day and the contributions
// are the agent's ledger summed by rule, so the check against the agents
// table (MatchesStored) compares two records the run wrote independently.
// It returns a *store.NoTraceError when the run holds no trace of a (then
// replay and use Explain), and the trace with the explanation.
func ExplainStored(r *Run, a int32) (*Explanation, *sim.Trace, error) {
	m := r.Manifest
	if a < 0 || int(a) >= m.Agents {
		return nil, nil, &BadAgentError{Agent: a, Agents: m.Agents}
	}
	base := int32(math.Round(r.floats("baseline")[a] * daily.ScoreScale))
	tr, err := store.ReadTrace(r.Dir, m, a, base)
	if err != nil {
		return nil, nil, err
	}
	last := tr.Days[len(tr.Days)-1]
	end := agentEnd{Score: last.Score, Tier: last.Tier, Flags: last.Flags, Partner: last.Partner, Detained: last.Detained,
		Baseline: base, Names: m.Names.Contributions, Contrib: make([]int32, len(m.Names.Contributions))}
	for _, ch := range tr.Changes {
		end.Contrib[ch.Rule] += ch.Delta
	}
	x, err := explain(r, a, &end, tr)
	if err != nil {
		return nil, nil, err
	}
	return x, tr, nil
}

// ExplainAgent explains agent a the way `nosedive explain` and the web
// lab's citizen page both do: from the run's stored trace when it holds
// one of a (ExplainStored, no replay), or else from replay, which
// re-simulates the run with a trace on a and is told why there was no
// stored trace (Explain). It returns the trace the explanation was made
// from. Either way the explanation must reproduce the stored run (its
// terms sum to the score, which is the agents table's); one that does not
// is an error.
func ExplainAgent(r *Run, a int32, replay func(nt *store.NoTraceError) (*sim.Final, *sim.Trace, error)) (*Explanation, *sim.Trace, error) {
	from := "stored trace"
	x, tr, err := ExplainStored(r, a)
	var nt *store.NoTraceError
	if errors.As(err, &nt) {
		from = "replay"
		var final *sim.Final
		if final, tr, err = replay(nt); err != nil {
			return nil, nil, err
		}
		x, err = Explain(r, a, final, tr)
	}
	if err != nil {
		return nil, nil, err
	}
	if !x.MatchesStored || !x.Exact {
		return nil, nil, fmt.Errorf("explain agent %d of %s: the %s does not reproduce the stored run (was it written by another nosedive version?)", a, r.Dir, from)
	}
	return x, tr, nil
}

// ReplayNotice is the one line `nosedive explain` prints before it falls
// back to a replay: why the agent has no stored trace, how long the replay
// should take (the run's own setup and simulation time), and how to have
// one next time.
func ReplayNotice(m *store.Manifest, nt *store.NoTraceError) string {
	why := nt.Error()
	if nt.Why == "not-sampled" {
		if l, err := scenario.ParseLedger(m.Ledger); err == nil && !l.All {
			why = fmt.Sprintf("agent %d has no stored trace: the run recorded a %s sample (--ledger %s)", nt.Agent, percent(l.Fraction), m.Ledger)
		}
	}
	eta := m.Timings.Setup + m.Timings.Simulate
	return fmt.Sprintf("%s; replaying the run, about %.0f s; use --ledger all for instant explanations of everyone", why, math.Max(1, math.Round(eta)))
}

// percent prints a sampling fraction as a percentage with the digits it
// needs (0.01 -> 1%, 0.001 -> 0.1%).
func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', -1, 64) + "%"
}

// LoadForExplain reads a run directory with only the agents table's
// columns an explanation reads (who the person is, their score, tier and
// contributions, and everyone's for the reference group), about half the
// table: an explanation from the stored trace spends most of its time
// loading.
func LoadForExplain(dir string) (*Run, error) {
	r, err := LoadAggregates(dir)
	if err != nil {
		return nil, err
	}
	nm := r.Manifest.Names
	cols := []string{"region", "group", "age", "children", "baseline", "score", "tier"}
	for _, t := range nm.Traits {
		cols = append(cols, colSafe(t))
	}
	for _, c := range nm.Contributions {
		cols = append(cols, "delta_"+colSafe(c))
	}
	if r.Agents, err = store.ReadTable(filepath.Join(dir, store.AgentsFile), cols...); err != nil {
		// A table that lacks a column or is damaged is reported as the
		// whole table's read reports it (a *store.DamagedError naming
		// the file).
		return Load(dir)
	}
	return r, nil
}

// ExplainDir explains agent of the run in dir, as `nosedive explain`
// does: from the run's stored trace when the agent is in its ledger
// sample (at once), else by a replay with a trace on them on workers
// threads (0: all cores), a notice and a meter of its days on log (nil:
// none). An agent outside the run is an *InputError; an explanation that
// does not reproduce the stored run is an error.
func ExplainDir(ctx context.Context, dir string, agent, workers int, log io.Writer) (*Explanation, error) {
	run, err := LoadDirWith(dir, LoadForExplain)
	if err != nil {
		return nil, err
	}
	m := run.Manifest
	if agent < 0 || agent >= m.Agents {
		return nil, badInput("--agent %d: this run has agents 0 to %d", agent, m.Agents-1)
	}
	if log == nil {
		log = io.Discard
	}
	x, _, err := ExplainAgent(run, int32(agent), func(nt *store.NoTraceError) (*sim.Final, *sim.Trace, error) {
		fmt.Fprintf(log, "nosedive: %s\n", ReplayNotice(m, nt))
		fmt.Fprintf(log, "nosedive: replaying %s (%d agents x %d days) with a trace on agent %d\n", dir, m.Agents, m.Days, agent)
		meter := progress.New(log, m.Days, "days", progress.Options{Bar: progress.IsTerminal(log)})
		final, traces, err := runner.ReplayProgress(ctx, m, []int32{int32(agent)}, workers, func(d, _ int) { meter.Set(d, "") })
		meter.Finish()
		if err != nil {
			return nil, nil, err
		}
		return final, traces[0], nil
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}
