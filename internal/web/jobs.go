package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Job states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateAuditing  = "auditing"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// JobStatus is a run request's state as the browser sees it.
type JobStatus struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Scenario string   `json:"scenario"`
	Sets     []string `json:"sets"`
	Agents   int      `json:"agents"`
	Days     int      `json:"days"`
	State    string   `json:"state"`
	Day      int      `json:"day"`
	Elapsed  float64  `json:"elapsed_s"`
	Error    string   `json:"error,omitempty"`
	Run      string   `json:"run,omitempty"` // run id once done
	Position int      `json:"queue_position,omitempty"`
	// Paused says the engine waits between two days (see job.hold);
	// Speed is the days per second it may go at most (0: as fast as it
	// can).
	Paused bool    `json:"paused"`
	Speed  float64 `json:"speed"`
	// Sweep is set for a sweep job (see sweep.go): its design, how many
	// of its runs are done and, at the end, its results.
	Sweep *SweepStatus `json:"sweep,omitempty"`
}

func terminal(state string) bool {
	return state == StateDone || state == StateFailed || state == StateCancelled
}

// Live is what a running job shows as it goes: per day and group, every
// column of the daily aggregates the live charts can show (Measures), from
// the aggregates the run writes.
type Live struct {
	Groups   []string      `json:"groups"`
	Worst    string        `json:"worst_tier"`
	Measures []LiveMeasure `json:"measures"`
	Points   []LivePoint   `json:"points"`
}

// LiveMeasure is one column of the live points: mean score, the share in
// each tier, under each sanction, detained, and each behaviour's attempts.
type LiveMeasure struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
}

// LivePoint is one day of a running job, groups in Live.Groups order.
type LivePoint struct {
	Day   int       `json:"day"`
	Score []float64 `json:"score"` // mean, points
	Worst []float64 `json:"worst"` // % of the group in the worst tier
	// Values holds every measure of Live.Measures, then group: a day
	// costs (tiers + sanctions + behaviours + 2) x groups numbers.
	Values [][]LiveNum `json:"values"`
}

// LiveNum is a live value; NaN (no people, or no events on day 0) is
// sent as null.
type LiveNum float64

// MarshalJSON writes null for NaN.
func (v LiveNum) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(v)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(v), 'g', -1, 64), nil
}

// liveMeasures lists the live measures of sc, in LivePoint.Values order.
func liveMeasures(sc *scenario.Scenario) []LiveMeasure {
	out := []LiveMeasure{{"score_mean", "Mean score", "points"}}
	for _, t := range sc.Tiers.Levels {
		out = append(out, LiveMeasure{"tier_" + t.Name, "Share in tier " + t.Name, "% of the group"})
	}
	for _, x := range sc.Sanctions {
		out = append(out, LiveMeasure{"sanction_" + x.Name, "Share under sanction " + x.Name, "% of the group"})
	}
	out = append(out, LiveMeasure{"detained", "Share detained", "% of the group"})
	for _, b := range sc.Behaviours {
		out = append(out, LiveMeasure{"attempted_" + b.Name, strings.ReplaceAll(b.Name, "_", " ") + " tried", "per 1,000 people per day"})
	}
	return out
}

type job struct {
	mu      sync.Mutex
	st      JobStatus
	live    Live
	started time.Time
	changed chan struct{} // closed on every change, then replaced
	cancel  context.CancelFunc
	sc      *scenario.Scenario
	sets    []string
	seq     int
	start   chan struct{} // closed when the job's turn comes
	granted bool          // its turn came (q.mu)
	// The live controls (j.mu): while st.Paused the engine waits after
	// each day unless steps > 0; wake is closed when they change.
	steps   int
	wake    chan struct{}
	lastDay time.Time
	sweep   *sweepSpec // a sweep job's design (nil for a run)
}

// hold is called by the engine after each day (runner.Spec.OnDay, on the
// engine's goroutine between two days): it keeps the job to its speed and
// waits while it is paused, so that pausing really stops the simulation
// (not only its feed) and a step computes exactly one more day. The run
// keeps its slot in the queue while paused; cancelling ends the wait.
func (j *job) hold(ctx context.Context) {
	j.mu.Lock()
	speed, last := j.st.Speed, j.lastDay
	j.mu.Unlock()
	if speed > 0 && !last.IsZero() {
		if wait := time.Duration(float64(time.Second)/speed) - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	}
	for {
		j.mu.Lock()
		if !j.st.Paused || ctx.Err() != nil {
			j.lastDay = time.Now()
			j.mu.Unlock()
			return
		}
		if j.steps > 0 {
			j.steps--
			j.lastDay = time.Now()
			j.mu.Unlock()
			return
		}
		wake := j.wake
		j.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		}
	}
}

// control applies a live control: "pause", "play", "step" (one day, and
// stay paused) or "speed" (days per second, 0 for full speed).
func (j *job) control(action string, speed float64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if terminal(j.st.State) {
		return fmt.Errorf("the run has ended (%s)", j.st.State)
	}
	switch action {
	case "pause":
		j.st.Paused = true
	case "play":
		j.st.Paused, j.steps = false, 0
	case "step":
		j.st.Paused = true
		j.steps++
	case "speed":
		if math.IsNaN(speed) || speed < 0 || speed > MaxSpeed {
			return fmt.Errorf("speed %g: give 0 (full speed) to %d days per second", speed, MaxSpeed)
		}
		j.st.Speed = speed
	default:
		return fmt.Errorf("unknown action %q: pause, play, step or speed", action)
	}
	if j.wake != nil {
		close(j.wake)
	}
	j.wake = make(chan struct{})
	close(j.changed)
	j.changed = make(chan struct{})
	return nil
}

// MaxSpeed bounds a run's chosen speed, in days per second.
const MaxSpeed = 1000

func (j *job) status() (JobStatus, chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.st
	if !j.started.IsZero() && !terminal(st.State) {
		st.Elapsed = time.Since(j.started).Seconds()
	}
	return st, j.changed
}

// observe adds a day of the running job to its live series.
func (j *job) observe(d *daily.Day) {
	n := len(j.live.Groups)
	agents, sum, worst := make([]int64, n), make([]int64, n), make([]int64, n)
	for _, c := range d.Cells {
		g := int(c.Group)
		if g >= n {
			continue
		}
		agents[g] += c.Agents
		sum[g] += c.ScoreSum
		if len(c.Tier) > 0 {
			worst[g] += c.Tier[len(c.Tier)-1]
		}
	}
	p := LivePoint{Day: d.Day, Score: make([]float64, n), Worst: make([]float64, n)}
	for g := range n {
		if agents[g] > 0 {
			p.Score[g] = math.Round(float64(sum[g])/daily.ScoreScale/float64(agents[g])*100) / 100
			p.Worst[g] = math.Round(float64(worst[g])/float64(agents[g])*10000) / 100
		}
	}
	p.Values = liveValues(d, n, len(j.live.Measures))
	j.mu.Lock()
	defer j.mu.Unlock()
	j.live.Points = append(j.live.Points, p)
}

// liveValues computes every live measure of day d for n groups (m
// measures: score, tiers, sanctions, detained, behaviours, as
// liveMeasures lists them). A group with no agents has null values.
func liveValues(d *daily.Day, n, m int) [][]LiveNum {
	counts := make([][]int64, m) // per measure, per group: the numerator
	for k := range counts {
		counts[k] = make([]int64, n)
	}
	agents := make([]int64, n)
	for _, c := range d.Cells {
		g := int(c.Group)
		if g >= n {
			continue
		}
		agents[g] += c.Agents
		k := 0
		add := func(v int64) {
			if k < m {
				counts[k][g] += v
			}
			k++
		}
		add(c.ScoreSum)
		for _, v := range c.Tier {
			add(v)
		}
		for _, v := range c.Sanction {
			add(v)
		}
		add(c.Detained)
		for _, v := range c.Attempted {
			add(v)
		}
	}
	out := make([][]LiveNum, m)
	behaviours := m - 1 // measures from this index on are attempts
	if len(d.Cells) > 0 {
		c := d.Cells[0]
		behaviours = 1 + len(c.Tier) + len(c.Sanction) + 1
	}
	for k := range out {
		out[k] = make([]LiveNum, n)
		for g := range n {
			var v float64
			switch {
			case agents[g] == 0 || (k >= behaviours && d.Day == 0):
				v = math.NaN() // no people, or no events on day 0
			case k == 0:
				v = math.Round(float64(counts[k][g])/daily.ScoreScale/float64(agents[g])*100) / 100
			case k >= behaviours:
				v = math.Round(float64(counts[k][g])*1000/float64(agents[g])*100) / 100
			default:
				v = math.Round(float64(counts[k][g])*100/float64(agents[g])*100) / 100
			}
			out[k][g] = LiveNum(v)
		}
	}
	return out
}

// pointsSince returns the live points from index k on.
func (j *job) pointsSince(k int) []LivePoint {
	j.mu.Lock()
	defer j.mu.Unlock()
	if k >= len(j.live.Points) {
		return nil
	}
	return j.live.Points[k:len(j.live.Points):len(j.live.Points)]
}

func (j *job) update(f func(*JobStatus)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(&j.st)
	close(j.changed)
	j.changed = make(chan struct{})
}

// queue runs jobs in the order they came, at most `slots` at once and at
// most `limit` queued or running; finished jobs are remembered (the last
// 200).
type queue struct {
	s     *Server
	slots int
	limit int
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup

	mu      sync.Mutex
	jobs    map[string]*job
	order   []string
	seq     int
	waiting []*job // first come, first served
	running int
}

func newQueue(s *Server, slots, limit int) *queue {
	ctx, stop := context.WithCancel(context.Background())
	return &queue{s: s, slots: slots, limit: limit, ctx: ctx, stop: stop, jobs: map[string]*job{}}
}

// dispatch starts the oldest waiting jobs while slots are free (q.mu held).
func (q *queue) dispatch() {
	for q.running < q.slots && len(q.waiting) > 0 {
		j := q.waiting[0]
		q.waiting = q.waiting[1:]
		q.running++
		j.granted = true
		close(j.start)
	}
}

// release frees a job's slot for the next one.
func (q *queue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	q.dispatch()
}

// acquire waits for the job's turn; false if it was cancelled first.
func (q *queue) acquire(ctx context.Context, j *job) bool {
	select {
	case <-j.start:
		return true
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.granted { // its turn came as it was cancelled
		q.running--
		q.dispatch()
		return false
	}
	for i, w := range q.waiting {
		if w == j {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			break
		}
	}
	return false
}

func (q *queue) close() {
	q.stop()
	q.wg.Wait()
}

// ErrQueueFull says the run queue is at its limit.
var ErrQueueFull = errors.New("queue full")

func (q *queue) add(label string, sc *scenario.Scenario, sets []string, sp *sweepSpec) (*job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	active := 0
	for _, j := range q.jobs {
		if st, _ := j.status(); !terminal(st.State) {
			active++
		}
	}
	if active >= q.limit {
		return nil, ErrQueueFull
	}
	q.seq++
	ctx, cancel := context.WithCancel(q.ctx)
	j := &job{st: JobStatus{ID: "j" + strconv.Itoa(q.seq), Label: label, Scenario: sc.Name, Sets: nonNil(sets),
		Agents: sc.Run.Agents, Days: sc.Run.Days, State: StateQueued}, changed: make(chan struct{}), cancel: cancel, sc: sc, sets: sets, seq: q.seq,
		live: Live{Groups: sc.GroupNames(), Worst: sc.Tiers.Levels[len(sc.Tiers.Levels)-1].Name, Measures: liveMeasures(sc)}, start: make(chan struct{}),
		wake: make(chan struct{}), sweep: sp}
	if sp != nil {
		n := len(sp.values) * sp.replicates
		j.st.Sweep = &SweepStatus{Param: sp.param, Values: sp.values, Replicates: sp.replicates, Runs: n,
			Groups: j.live.Groups, Measures: j.live.Measures}
	}
	q.jobs[j.st.ID] = j
	q.order = append(q.order, j.st.ID)
	for len(q.order) > 200 {
		old := q.jobs[q.order[0]]
		if st, _ := old.status(); !terminal(st.State) {
			break
		}
		delete(q.jobs, q.order[0])
		q.order = q.order[1:]
	}
	q.waiting = append(q.waiting, j)
	q.dispatch()
	q.wg.Add(1)
	go q.run(ctx, j)
	return j, nil
}

func (q *queue) get(id string) *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.jobs[id]
}

func (q *queue) list() []JobStatus {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []JobStatus{}
	waiting := 0
	for k := len(q.order) - 1; k >= 0; k-- {
		st, _ := q.jobs[q.order[k]].status()
		out = append(out, st)
	}
	// Queue positions, oldest waiting first.
	for k := len(out) - 1; k >= 0; k-- {
		if out[k].State == StateQueued {
			waiting++
			out[k].Position = waiting
		}
	}
	return out
}

func (q *queue) run(ctx context.Context, j *job) {
	defer q.wg.Done()
	defer j.cancel()
	// A panic in a run fails that run, not the lab (this goroutine is no
	// request's: nothing else would catch it).
	defer func() {
		if p := recover(); p != nil {
			err := recovered(q.s.cfg.Log, "run "+j.st.ID, p)
			j.update(func(st *JobStatus) { st.State, st.Error = StateFailed, err.Error() })
		}
	}()
	if !q.acquire(ctx, j) {
		j.update(func(st *JobStatus) { st.State = StateCancelled })
		return
	}
	defer q.release()
	if ctx.Err() != nil {
		j.update(func(st *JobStatus) { st.State = StateCancelled })
		return
	}
	j.update(func(st *JobStatus) { j.started, st.State = time.Now(), StateRunning })
	s := q.s
	st, _ := j.status()
	spec := runner.Spec{Scenario: j.sc, Sets: j.sets, Name: st.Label, Agents: j.sc.Run.Agents, Days: j.sc.Run.Days, Seed: j.sc.Run.Seed,
		Workers: s.cfg.Workers, Ledger: j.sc.Run.Ledger, OutDir: s.cache.st.root,
		Progress: func(day, _ int) {
			j.update(func(st *JobStatus) { st.Day = day })
		},
		OnDay: func(d *daily.Day) {
			j.observe(d)
			// The day is reported before the engine waits in hold, so
			// that a paused run shows the day it stopped after.
			j.update(func(st *JobStatus) { st.Day = d.Day })
			j.hold(ctx)
		}}
	if j.sweep != nil {
		q.runSweep(ctx, j, spec)
		return
	}
	res, err := runner.Execute(ctx, spec)
	if err != nil {
		j.update(func(st *JobStatus) {
			if ctx.Err() != nil {
				st.State = StateCancelled
			} else {
				st.State, st.Error = StateFailed, err.Error()
			}
		})
		return
	}
	id := filepath.Base(res.Dir)
	j.update(func(st *JobStatus) { st.State, st.Run = StateAuditing, id })
	// Audit now, so that the dashboard opens at once.
	if _, err := s.makeAuditOf(id, res.Dir); err != nil {
		j.update(func(st *JobStatus) { st.State, st.Error = StateFailed, "audit: "+err.Error() })
		return
	}
	j.update(func(st *JobStatus) { st.State = StateDone })
}

// StartRequest is the body of POST /api/jobs.
type StartRequest struct {
	Draft
	Label string `json:"label"`
}

// StartResponse answers POST /api/jobs.
type StartResponse struct {
	Job         *JobStatus   `json:"job,omitempty"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	Error       string       `json:"error,omitempty"`
}

func (s *Server) startJob(w http.ResponseWriter, r *http.Request) {
	var req StartRequest
	if !readJSON(w, r, &req) {
		return
	}
	sc, diags, err := loadContext(r.Context(), req.Draft)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if sc == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(StartResponse{Diagnostics: diags, Error: "the scenario has problems; fix them first"})
		return
	}
	if msg := s.bounds(sc.Run.Agents, sc.Run.Days); msg != "" {
		httpError(w, http.StatusBadRequest, msg)
		return
	}
	// The label becomes the run's name in run.json, so that it survives a
	// restart of the server.
	label := strings.TrimSpace(req.Label)
	if err := store.ValidName(label); err != nil {
		httpError(w, http.StatusBadRequest, "label: "+err.Error())
		return
	}
	j, err := s.jobs.add(label, sc, req.Sets, nil)
	if errors.Is(err, ErrQueueFull) {
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("the run queue is full (%d runs waiting or running); try again when one finishes", s.cfg.MaxQueue))
		return
	}
	st, _ := j.status()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(StartResponse{Job: &st})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.jobs.list()) }

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	j := s.jobs.get(r.PathValue("id"))
	if j == nil {
		httpError(w, http.StatusNotFound, "no such run request")
		return
	}
	j.cancel()
	st, _ := j.status()
	writeJSON(w, st)
}

// ControlRequest is the body of POST /api/jobs/{id}/control.
type ControlRequest struct {
	Action string  `json:"action"` // pause, play, step, speed
	Speed  float64 `json:"speed"`  // days per second, for "speed" (0: full speed)
}

func (s *Server) controlJob(w http.ResponseWriter, r *http.Request) {
	j := s.jobs.get(r.PathValue("id"))
	if j == nil {
		httpError(w, http.StatusNotFound, "no such run request")
		return
	}
	var req ControlRequest
	if !readJSON(w, r, &req) {
		return
	}
	if err := j.control(req.Action, req.Speed); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	st, _ := j.status()
	writeJSON(w, st)
}

// jobEvents streams a job's status as server-sent events until it ends.
// Updates are sent at most every 100 ms.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	j := s.jobs.get(r.PathValue("id"))
	if j == nil {
		httpError(w, http.StatusNotFound, "no such run request")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	// The stream lasts as long as the run: no read deadline (it would
	// cancel the request), and the write deadline moves with each event,
	// so that only a client that stops reading is cut off.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	tick := time.NewTicker(time.Second) // elapsed time moves even without progress
	defer tick.Stop()
	sent := 0
	for {
		// Status first: every point up to its day is already recorded.
		st, changed := j.status()
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.Limits.WriteTimeout))
		if pts := j.pointsSince(sent); len(pts) > 0 {
			b, _ := json.Marshal(Live{Groups: j.live.Groups, Worst: j.live.Worst, Measures: j.live.Measures, Points: pts})
			if _, err := fmt.Fprintf(w, "event: points\ndata: %s\n\n", b); err != nil {
				return
			}
			sent += len(pts)
		}
		b, _ := json.Marshal(st)
		if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", b); err != nil {
			return
		}
		fl.Flush()
		if terminal(st.State) {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-tick.C:
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
