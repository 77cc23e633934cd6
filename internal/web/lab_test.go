package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/runner"
)

// jobNow returns a job's status from the queue.
func jobNow(t *testing.T, s http.Handler, id string) JobStatus {
	t.Helper()
	var jobs []JobStatus
	json.Unmarshal([]byte(call(t, s, "GET", "/api/jobs", "").body), &jobs)
	for _, j := range jobs {
		if j.ID == id {
			return j
		}
	}
	t.Fatalf("no job %s", id)
	return JobStatus{}
}

// waitJob polls until ok says yes, or fails after 60 s.
func waitJob(t *testing.T, s http.Handler, id string, ok func(JobStatus) bool) JobStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := jobNow(t, s, id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: still %+v after 60 s", id, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLiveControls: pausing stops the engine between two days (the day
// does not move while paused), a step computes exactly one day, play runs
// on to the end, and the run is the same as one never paused.
func TestLiveControls(t *testing.T) {
	s := newServer(t, Config{Store: t.TempDir()})
	job, r := startJob(t, s, "run.agents=2000", "run.days=400")
	if r.code != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	ctl := func(body string) reply { return call(t, s, "POST", "/api/jobs/"+job.ID+"/control", body) }
	// Pause at once: the engine may be anywhere, but it stops after its day.
	if r := ctl(`{"action":"pause"}`); r.code != 200 {
		t.Fatalf("pause: %d %s", r.code, r.body)
	}
	j := waitJob(t, s, job.ID, func(j JobStatus) bool { return j.State == StateRunning && j.Paused })
	time.Sleep(300 * time.Millisecond) // let the day in flight finish
	day := jobNow(t, s, job.ID).Day
	time.Sleep(500 * time.Millisecond)
	if got := jobNow(t, s, job.ID).Day; got != day {
		t.Fatalf("paused at day %d, and the run went on to day %d", day, got)
	}
	for k := 1; k <= 3; k++ {
		if r := ctl(`{"action":"step"}`); r.code != 200 {
			t.Fatalf("step: %d %s", r.code, r.body)
		}
		j = waitJob(t, s, job.ID, func(j JobStatus) bool { return j.Day >= day+k })
		time.Sleep(200 * time.Millisecond)
		if got := jobNow(t, s, job.ID).Day; got != day+k || !j.Paused {
			t.Fatalf("step %d from day %d: day %d (paused %v), want day %d", k, day, got, j.Paused, day+k)
		}
	}
	for _, bad := range []string{`{"action":"speed","speed":-1}`, `{"action":"speed","speed":5000}`, `{"action":"jump"}`} {
		if r := ctl(bad); r.code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, r.code, r.body)
		}
	}
	if r := ctl(`{"action":"speed","speed":1000}`); r.code != 200 || !strings.Contains(r.body, `"speed":1000`) {
		t.Errorf("speed: %d %s", r.code, r.body)
	}
	ctl(`{"action":"play"}`)
	j = waitJob(t, s, job.ID, func(j JobStatus) bool { return terminal(j.State) })
	if j.State != StateDone || j.Paused {
		t.Fatalf("after play: %+v", j)
	}
	if r := ctl(`{"action":"pause"}`); r.code != http.StatusBadRequest {
		t.Errorf("pausing a finished run: %d", r.code)
	}
	// The paused run is the run: the same daily series as an unpaused one
	// (the parquet files differ only in their run ids).
	other, _ := startJob(t, s, "run.agents=2000", "run.days=400")
	o := waitJob(t, s, other.ID, func(j JobStatus) bool { return terminal(j.State) })
	var da, db Dashboard
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+j.Run, "").body), &da)
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+o.Run, "").body), &db)
	x, _ := json.Marshal(da.Series)
	y, _ := json.Marshal(db.Series)
	if len(da.Series) == 0 || string(x) != string(y) {
		t.Errorf("the paused run's daily series differ from the unpaused one's (%d, %d bytes)", len(x), len(y))
	}
}

// TestLiveMeasures: every live measure on the last day agrees with the
// stored run's daily series (the dashboard's).
func TestLiveMeasures(t *testing.T) {
	s := newServer(t, Config{Store: t.TempDir()})
	job, _ := startJob(t, s, "run.agents=3000", "run.days=20")
	j := waitJob(t, s, job.ID, func(j JobStatus) bool { return terminal(j.State) })
	jb := s.jobs.get(job.ID)
	pts := jb.pointsSince(0)
	last := pts[len(pts)-1]
	ms := jb.live.Measures
	var d Dashboard
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+j.Run, "").body), &d)
	checked := 0
	for k, m := range ms {
		for g := range d.Names.Groups {
			got := float64(last.Values[k][g])
			var want float64
			n := d.Series["agents"][g][20]
			switch key := colSafe(m.Key); {
			case key == "score_mean":
				want = d.Series["score_mean"][g][20]
			case strings.HasPrefix(key, "attempted_"):
				want = 1000 * d.Series[key][g][20] / n
			default:
				if d.Series[key] == nil {
					t.Fatalf("measure %s: no daily series %s", m.Key, key)
				}
				want = 100 * d.Series[key][g][20] / n
			}
			if math.Abs(got-want) > 0.006 {
				t.Errorf("measure %s, group %d: live %v, stored %v", m.Key, g, got, want)
			}
			checked++
		}
	}
	if checked < 3*8 {
		t.Errorf("checked %d values; want every measure of every group", checked)
	}
	if first := pts[0].Values[len(ms)-1][0]; !math.IsNaN(float64(first)) {
		t.Errorf("day 0 attempts %v, want null (no events on day 0)", first)
	}
}

// TestSweep: a small design runs through the queue and gives, per value
// and group, the mean and interval of the replicates' end-of-run values;
// bounds are refused.
func TestSweep(t *testing.T) {
	s := newServer(t, Config{Store: t.TempDir()})
	src := builtin(t, "xinjiang-pilot")
	req := func(param string, values []string, reps int, sets ...string) reply {
		return call(t, s, "POST", "/api/sweeps", jsonBody(t, SweepRequest{Draft: Draft{File: "x.yaml", YAML: src, Sets: sets}, Param: param, Values: values, Replicates: reps}))
	}
	for _, c := range []struct {
		param  string
		values []string
		reps   int
		sets   []string
		want   string
	}{
		{"tiers.levels.trustworthy.min", []string{"80"}, 2, nil, "2 to 8 values"},
		{"tiers.levels.trustworthy.min", []string{"70", "80"}, 6, nil, "replicates"},
		{"run.seed", []string{"1", "2"}, 2, nil, "the seed is what the replicates vary"},
		{"tiers.levels.trustworthy.min", []string{"70", "80"}, 2, []string{"run.agents=100000", "run.days=365"}, "people x days"},
		{"tiers.levels.trustworthy.min", []string{"70", "abc"}, 2, []string{"run.agents=500", "run.days=10"}, "problems"},
	} {
		if r := req(c.param, c.values, c.reps, c.sets...); r.code != http.StatusBadRequest || !strings.Contains(r.body, c.want) {
			t.Errorf("%s=%v x%d: %d %s, want 400 saying %q", c.param, c.values, c.reps, r.code, r.body, c.want)
		}
	}
	r := req("tiers.levels.trustworthy.min", []string{"70", "90"}, 2, "run.agents=600", "run.days=12")
	if r.code != http.StatusAccepted {
		t.Fatalf("sweep: %d %s", r.code, r.body)
	}
	var res StartResponse
	json.Unmarshal([]byte(r.body), &res)
	j := waitJob(t, s, res.Job.ID, func(j JobStatus) bool { return terminal(j.State) })
	if j.State != StateDone || j.Sweep == nil || len(j.Sweep.Results) != 2 || j.Sweep.Done != 4 {
		t.Fatalf("sweep ended %+v", j)
	}
	// Independently: the replicates as plain runs, their last day's share
	// in tier trustworthy per group.
	mi := -1
	for k, m := range j.Sweep.Measures {
		if m.Key == "tier_trustworthy" {
			mi = k
		}
	}
	base, _, _ := load(Draft{File: "x.yaml", YAML: src})
	for v, value := range []string{"70", "90"} {
		var xs [3][]float64
		for rep := range 2 {
			sets := []string{"run.agents=600", "run.days=12", "tiers.levels.trustworthy.min=" + value, "run.seed=" + strconv.FormatUint(base.Run.Seed+uint64(rep), 10)}
			sc, _, _ := load(Draft{File: "x.yaml", YAML: src, Sets: sets})
			var last [][]LiveNum
			if _, err := runner.Execute(t.Context(), runner.Spec{Scenario: sc, Sets: sets, Agents: 600, Days: 12, Seed: sc.Run.Seed, Workers: 1, Ledger: "none", OutDir: t.TempDir(),
				OnDay: func(d *daily.Day) { last = liveValues(d, 3, len(j.Sweep.Measures)) }}); err != nil {
				t.Fatal(err)
			}
			for g := range 3 {
				xs[g] = append(xs[g], float64(last[mi][g]))
			}
		}
		for g := range 3 {
			st := j.Sweep.Results[v].Stats[mi][g]
			mean := (xs[g][0] + xs[g][1]) / 2
			// Student's t with 1 degree of freedom: 12.706 x sd / sqrt(2),
			// sd = |a - b| / sqrt(2), so the half-width is 6.353 x |a - b|.
			half := 6.353 * math.Abs(xs[g][0]-xs[g][1])
			lo, hi := max(mean-half, 0), min(mean+half, 100) // a share's interval is clipped to [0, 100]
			if st.N != 2 || math.Abs(float64(st.Mean)-mean) > 0.001 || math.Abs(float64(st.Lo)-lo) > 0.002+0.001*half || math.Abs(float64(st.Hi)-hi) > 0.002+0.001*half {
				t.Errorf("value %s group %d: %+v, want mean %.3f half-width %.3f (replicates %v)", value, g, st, mean, half, xs[g])
			}
		}
	}
}

// TestNetworkDaysAndTies: the network view's day-by-day tiers end where
// the stored run ends and change on the citizen's tier-change days; the
// group-by-group ties count every tie from both ends.
func TestNetworkDaysAndTies(t *testing.T) {
	s := newServer(t, Config{})
	_, id := testStore(t)
	var n Network
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+id+"/network?agent=7", "").body), &n)
	ids := make([]string, len(n.Nodes))
	for k, v := range n.Nodes {
		ids[k] = strconv.Itoa(int(v.ID))
	}
	r := call(t, s, "GET", "/api/runs/"+id+"/network/days?ids="+strings.Join(ids, ","), "")
	if r.code != 200 {
		t.Fatalf("network days: %d %s", r.code, r.body)
	}
	var nd NetworkDays
	json.Unmarshal([]byte(r.body), &nd)
	if len(nd.Tiers) != len(n.Nodes) {
		t.Fatalf("%d people's days, want %d", len(nd.Tiers), len(n.Nodes))
	}
	for k, v := range n.Nodes {
		if len(nd.Tiers[k]) != 61 || len(nd.Sanctions[k]) != 61 {
			t.Fatalf("citizen %d: %d days of tiers, want 61", v.ID, len(nd.Tiers[k]))
		}
		if got := int(nd.Tiers[k][60] - '0'); got != v.TierIndex {
			t.Errorf("citizen %d: tier %d on the last day, the stored run says %d", v.ID, got, v.TierIndex)
		}
		if got := nd.Sanctions[k][60] == '1'; got != v.Sanctioned {
			t.Errorf("citizen %d: sanctioned %v on the last day, the stored run says %v", v.ID, got, v.Sanctioned)
		}
		if v.FirstSanction >= 0 && (nd.Sanctions[k][v.FirstSanction] != '1' || strings.Contains(nd.Sanctions[k][:v.FirstSanction], "1")) {
			t.Errorf("citizen %d: first sanctioned on day %d, the days say %s", v.ID, v.FirstSanction, nd.Sanctions[k])
		}
	}
	var y Year
	json.Unmarshal([]byte(call(t, s, "GET", "/api/runs/"+id+"/citizen?agent=7", "").body), &y)
	for _, c := range y.Explanation.TierChanges {
		if nd.Tiers[0][c.Day] == nd.Tiers[0][c.Day-1] {
			t.Errorf("citizen 7 moves from %s to %s on day %d, the days say %s", c.From, c.To, c.Day, nd.Tiers[0])
		}
	}
	if r := call(t, s, "GET", "/api/runs/"+id+"/network/days?ids=1,x", ""); r.code != http.StatusBadRequest {
		t.Errorf("bad ids: %d", r.code)
	}
	many := make([]string, MaxNetworkNodes+1)
	for k := range many {
		many[k] = strconv.Itoa(k)
	}
	if r := call(t, s, "GET", "/api/runs/"+id+"/network/days?ids="+strings.Join(many, ","), ""); r.code != http.StatusBadRequest {
		t.Errorf("%d ids: %d, want 400", len(many), r.code)
	}

	var ties Ties
	r = call(t, s, "GET", "/api/runs/"+id+"/ties", "")
	json.Unmarshal([]byte(r.body), &ties)
	lr, _ := s.cache.run(id)
	g := lr.run.Population().Graph
	var degrees int64
	for a := range int32(5000) {
		degrees += int64(len(g.Neighbours(a, nil)))
	}
	var total, ever int64
	for i := range ties.Ties {
		for j := range ties.Ties[i] {
			total += ties.Ties[i][j]
			if ties.Ties[i][j] != ties.Ties[j][i] {
				t.Errorf("ties %d-%d: %d one way, %d the other", i, j, ties.Ties[i][j], ties.Ties[j][i])
			}
			var sum int64
			for _, c := range ties.Exposed[i][j] {
				sum += int64(c)
			}
			if sum > ties.Ties[i][j] {
				t.Errorf("ties %d-%d: %d reach someone sanctioned, of %d", i, j, sum, ties.Ties[i][j])
			}
			ever += sum
		}
	}
	if total != degrees || total == 0 {
		t.Errorf("the matrix counts %d tie ends, the graph has %d", total, degrees)
	}
	// Independently: the tie ends whose far end was ever sanctioned.
	first := lr.run.Agents.Cols["first_sanction_day"].Int
	var want int64
	for a := range int32(5000) {
		for _, v := range g.Neighbours(a, nil) {
			if first[v] >= 0 {
				want++
			}
		}
	}
	if ever != want || want == 0 {
		t.Errorf("%d tie ends reach someone sanctioned, counted directly %d", ever, want)
	}
}
