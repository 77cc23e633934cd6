package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/sweep"
)

// Bounds of a sweep started from the lab: a small design, run in one slot
// of the run queue, one run after another.
const (
	MaxSweepValues     = 8
	MaxSweepReplicates = 5
	// MaxSweepAgentDays bounds each run of a sweep (people x days): 40
	// runs of 50,000 people over a year take minutes, not hours.
	MaxSweepAgentDays = 20_000_000
)

// SweepRequest is the body of POST /api/sweeps: the draft, one --set path
// and its values, and the replicates of each value (replicate r runs with
// seed run.seed + r).
type SweepRequest struct {
	Draft
	Param      string   `json:"param"`
	Values     []string `json:"values"`
	Replicates int      `json:"replicates"`
	Label      string   `json:"label"`
}

// SweepStatus is a sweep job's design, progress and, once done, results.
type SweepStatus struct {
	Param      string        `json:"param"`
	Values     []string      `json:"values"`
	Replicates int           `json:"replicates"`
	Runs       int           `json:"runs"`
	Done       int           `json:"done"`
	Groups     []string      `json:"groups"`
	Measures   []LiveMeasure `json:"measures"`
	// Results holds one entry per value, once every run is done.
	Results []SweepPoint `json:"results,omitempty"`
}

// SweepPoint is one value's results: for every measure (Measures order)
// and group (Groups order), the end-of-run value's mean over the
// replicates with its 95% interval (Student's t; null with one replicate).
type SweepPoint struct {
	Value string        `json:"value"`
	Stats [][]SweepStat `json:"stats"`
}

// SweepStat is a mean with its 95% interval over N replicates.
type SweepStat struct {
	N    int     `json:"n"`
	Mean LiveNum `json:"mean"`
	Lo   LiveNum `json:"lo"`
	Hi   LiveNum `json:"hi"`
}

type sweepSpec struct {
	draft      Draft
	param      string
	values     []string
	replicates int
	seed       uint64
}

// sets returns the overrides of value v, replicate r.
func (sp *sweepSpec) sets(v, r int) []string {
	out := append([]string(nil), sp.draft.Sets...)
	return append(out, sp.param+"="+sp.values[v], "run.seed="+strconv.FormatUint(sp.seed+uint64(r), 10))
}

func (s *Server) startSweep(w http.ResponseWriter, r *http.Request) {
	var req SweepRequest
	if !readJSON(w, r, &req) {
		return
	}
	req.Param = strings.TrimSpace(req.Param)
	switch {
	case req.Param == "" || strings.ContainsAny(req.Param, "= "):
		httpError(w, http.StatusBadRequest, "param: give one --set path, e.g. tiers.levels.trustworthy.min")
		return
	case req.Param == "run.seed":
		httpError(w, http.StatusBadRequest, "param: the seed is what the replicates vary; sweep another knob")
		return
	case len(req.Values) < 2 || len(req.Values) > MaxSweepValues:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("values: give 2 to %d values", MaxSweepValues))
		return
	case req.Replicates < 1 || req.Replicates > MaxSweepReplicates:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("replicates: give 1 to %d (2 or more for an interval)", MaxSweepReplicates))
		return
	}
	label := strings.TrimSpace(req.Label)
	if label == "" {
		label = "sweep of " + req.Param
	}
	if err := store.ValidName(label); err != nil {
		httpError(w, http.StatusBadRequest, "label: "+err.Error())
		return
	}
	// Every value must give a valid scenario of a size the lab sweeps.
	var first *scenario.Scenario
	for k, v := range req.Values {
		v = strings.TrimSpace(v)
		req.Values[k] = v
		sc, diags, err := loadContext(r.Context(), Draft{File: req.File, YAML: req.YAML, Sets: append(append([]string(nil), req.Sets...), req.Param+"="+v)})
		if err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if sc == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(StartResponse{Diagnostics: diags, Error: fmt.Sprintf("%s=%s: the scenario has problems", req.Param, v)})
			return
		}
		if msg := s.bounds(sc.Run.Agents, sc.Run.Days); msg != "" {
			httpError(w, http.StatusBadRequest, msg)
			return
		}
		if ad := sc.Run.Agents * sc.Run.Days; ad > MaxSweepAgentDays {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("a sweep's runs are limited to %s people x days; this one has %s (%s x %d): lower run.agents or run.days",
				thousands(MaxSweepAgentDays), thousands(ad), thousands(sc.Run.Agents), sc.Run.Days))
			return
		}
		if first == nil {
			first = sc
		} else if strings.Join(sc.GroupNames(), "\x00") != strings.Join(first.GroupNames(), "\x00") {
			httpError(w, http.StatusBadRequest, "the values change the scenario's groups; sweep a knob that keeps them")
			return
		}
	}
	sp := &sweepSpec{draft: req.Draft, param: req.Param, values: req.Values, replicates: req.Replicates, seed: first.Run.Seed}
	j, err := s.jobs.add(label, first, nil, sp)
	if errors.Is(err, ErrQueueFull) {
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("the run queue is full (%d runs waiting or running); try again when one finishes", s.cfg.MaxQueue))
		return
	}
	st, _ := j.status()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(StartResponse{Job: &st})
}

// runSweep executes a sweep's runs one after another into a temporary
// directory (removed after each run: a sweep keeps its results, not its
// runs), recording each run's last day, then summarises them.
func (q *queue) runSweep(ctx context.Context, j *job, base runner.Spec) {
	sp := j.sweep
	fail := func(err error) {
		j.update(func(st *JobStatus) {
			if ctx.Err() != nil {
				st.State = StateCancelled
			} else {
				st.State, st.Error = StateFailed, err.Error()
			}
		})
	}
	n, m := len(j.live.Groups), len(j.live.Measures)
	// vals[v][measure][group] holds the replicates' end-of-run values.
	vals := make([][][][]float64, len(sp.values))
	for v := range sp.values {
		vals[v] = make([][][]float64, m)
		for k := range m {
			vals[v][k] = make([][]float64, n)
		}
		for r := range sp.replicates {
			sc, _, err := loadContext(ctx, Draft{File: sp.draft.File, YAML: sp.draft.YAML, Sets: sp.sets(v, r)})
			if err != nil || sc == nil {
				fail(fmt.Errorf("%s=%s: the scenario no longer loads (%v)", sp.param, sp.values[v], err))
				return
			}
			dir, err := os.MkdirTemp("", "nosedive-sweep-")
			if err != nil {
				fail(err)
				return
			}
			var last [][]LiveNum
			spec := base
			spec.Scenario, spec.Sets, spec.Name = sc, sp.sets(v, r), ""
			spec.Agents, spec.Days, spec.Seed, spec.Ledger, spec.OutDir = sc.Run.Agents, sc.Run.Days, sc.Run.Seed, "none", dir
			spec.Progress = nil
			spec.OnDay = func(d *daily.Day) {
				if d.Day == sc.Run.Days {
					last = liveValues(d, n, m)
				}
				j.hold(ctx)
			}
			_, err = runner.Execute(ctx, spec)
			os.RemoveAll(dir)
			if err != nil {
				fail(fmt.Errorf("%s=%s, replicate %d: %w", sp.param, sp.values[v], r+1, err))
				return
			}
			for k := range min(m, len(last)) {
				for g := range min(n, len(last[k])) {
					vals[v][k][g] = append(vals[v][k][g], float64(last[k][g]))
				}
			}
			j.update(func(st *JobStatus) {
				cp := *st.Sweep
				cp.Done++
				st.Sweep = &cp
			})
		}
	}
	res := make([]SweepPoint, len(sp.values))
	for v := range sp.values {
		res[v] = SweepPoint{Value: sp.values[v], Stats: make([][]SweepStat, m)}
		for k := range m {
			res[v].Stats[k] = make([]SweepStat, n)
			for g := range n {
				res[v].Stats[k][g] = statOf(vals[v][k][g], j.live.Measures[k].Unit)
			}
		}
	}
	j.update(func(st *JobStatus) {
		cp := *st.Sweep
		cp.Results = res
		st.Sweep = &cp
		st.State = StateDone
	})
}

// statOf summarises replicates with sweep.MeanCI (the same means and
// intervals as `nosedive sweep summarize`), the interval clipped to what
// the measure can be: a share to [0, 100] %, a rate of events to >= 0.
func statOf(xs []float64, unit string) SweepStat {
	st := sweep.MeanCI(xs)
	switch {
	case strings.HasPrefix(unit, "%"):
		st.Lo, st.Hi = max(st.Lo, 0), min(st.Hi, 100)
	case strings.HasPrefix(unit, "per "):
		st.Lo = max(st.Lo, 0)
	}
	round := func(x float64) LiveNum {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return LiveNum(math.NaN())
		}
		return LiveNum(math.Round(x*1000) / 1000)
	}
	return SweepStat{N: st.N, Mean: round(st.Mean), Lo: round(st.Lo), Hi: round(st.Hi)}
}
