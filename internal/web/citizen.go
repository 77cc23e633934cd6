package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Year is a citizen's year: the explanation of `nosedive explain`, a
// timeline of what happened, and optionally the same person's year under a
// counterfactual regime (without one rule, or without any regime).
type Year struct {
	Explanation    *audit.Explanation `json:"explanation"`
	Timeline       []Moment           `json:"timeline"`
	Without        string             `json:"without,omitempty"`
	Counterfactual *audit.Explanation `json:"counterfactual,omitempty"`
	CFTimeline     []Moment           `json:"counterfactual_timeline,omitempty"`
	Tiers          []ModelTier        `json:"tiers"`
	ScoreRange     []float64          `json:"score_range"` // the score's clamp (scoring.range)
}

// Moment is one thing that happened to the citizen on a day.
type Moment struct {
	Day  int    `json:"day"`
	Kind string `json:"kind"` // score, tier, sanction, blocked, detained, released
	Text string `json:"text"`
}

const maxMoments = 400

// smallSteps is a run of one rule's changes each under the timeline's
// precision: the days it spans, how many and their sum (fixed point).
type smallSteps struct {
	first, last, n int
	sum            int64
}

// timeline turns a replay trace into moments: score changes by rule
// (summed per day), tier changes, sanctions imposed and lifted, events a
// sanction blocked, detention.
func timeline(m *store.Manifest, contrib []string, tr *sim.Trace) []Moment {
	var out []Moment
	add := func(day int, kind, format string, args ...any) {
		if len(out) < maxMoments {
			out = append(out, Moment{Day: day, Kind: kind, Text: fmt.Sprintf(format, args...)})
		}
	}
	changes := map[int]map[int]int64{}
	for _, ch := range tr.Changes {
		d := int(ch.Day)
		if changes[d] == nil {
			changes[d] = map[int]int64{}
		}
		changes[d][int(ch.Rule)] += int64(ch.Delta)
	}
	nm := m.Names
	// A rule's changes too small to show at the timeline's precision (a
	// daily rehabilitation of a few hundredths of a point) are gathered
	// into one moment per run of them, not listed as "+0.0" day by day.
	small := map[int]*smallSteps{}
	flush := func(ri int) {
		if st := small[ri]; st != nil {
			add(st.first, "score", "%s: %+.1f points in %d small steps (each under 0.05 points), days %d-%d",
				contrib[ri], float64(st.sum)/daily.ScoreScale, st.n, st.first, st.last)
			delete(small, ri)
		}
	}
	for k, day := range tr.Days {
		if k == 0 {
			continue
		}
		prev := tr.Days[k-1]
		for _, ri := range slices.Sorted(maps.Keys(changes[day.Day])) {
			v := changes[day.Day][ri]
			if v == 0 || ri >= len(contrib) || contrib[ri] == sim.ContribRecovery {
				continue
			}
			if math.Abs(float64(v)) < 0.05*daily.ScoreScale {
				st := small[ri]
				if st == nil {
					st = &smallSteps{first: day.Day}
					small[ri] = st
				}
				st.last, st.sum, st.n = day.Day, st.sum+v, st.n+1
				continue
			}
			flush(ri)
			add(day.Day, "score", "%s: %+.1f points", contrib[ri], float64(v)/daily.ScoreScale)
		}
		blocked := map[string]int{}
		for _, e := range day.Events {
			if e.Blocked {
				blocked[nm.Behaviours[e.Behaviour]]++
			}
		}
		for b, n := range blocked {
			if n == 1 {
				add(day.Day, "blocked", "stopped from %s by a sanction", b)
			} else {
				add(day.Day, "blocked", "stopped from %s %d times by a sanction", b, n)
			}
		}
		if day.Tier != prev.Tier {
			add(day.Day, "tier", "moved from %s to %s", nm.Tiers[prev.Tier], nm.Tiers[day.Tier])
		}
		for si, name := range nm.Sanctions {
			was, is := prev.Sanctions&(1<<uint(si)) != 0, day.Sanctions&(1<<uint(si)) != 0
			switch {
			case is && !was:
				add(day.Day, "sanction", "sanction %s imposed (%s)", name, m.Sanctions[si].Context)
			case was && !is:
				add(day.Day, "sanction", "sanction %s lifted", name)
			}
		}
		if day.Detained && !prev.Detained {
			add(day.Day, "detained", "detained")
		}
		if !day.Detained && prev.Detained {
			add(day.Day, "released", "released from detention")
		}
	}
	for _, ri := range slices.Sorted(maps.Keys(small)) {
		flush(ri)
	}
	// Same-day moments in a fixed order (map iteration is random).
	slices.SortStableFunc(out, func(a, b Moment) int {
		if a.Day != b.Day {
			return a.Day - b.Day
		}
		if a.Kind != b.Kind {
			return cmp.Compare(a.Kind, b.Kind)
		}
		return cmp.Compare(a.Text, b.Text)
	})
	return out
}

// yearCache keeps citizens' years (small JSON) by run, agent and
// counterfactual; a replay re-simulates the whole run.
type yearCache struct {
	sync.Mutex
	m     map[string][]byte
	order []string
}

const maxYears = 256

func (c *yearCache) get(key string) []byte {
	c.Lock()
	defer c.Unlock()
	return c.m[key]
}

func (c *yearCache) put(key string, b []byte) {
	c.Lock()
	defer c.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	if _, ok := c.m[key]; !ok {
		c.order = append(c.order, key)
	}
	c.m[key] = b
	for len(c.order) > maxYears {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (s *Server) citizen(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	a, err := strconv.Atoi(q.Get("agent"))
	if err != nil || a < 0 || a >= m.Agents {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("citizen: pick an id from 0 to %d", m.Agents-1))
		return
	}
	without := q.Get("without")
	if without != "" && twinName(m, without) == "" {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("no rule %q in this run; pick one of its rules or %s", without, runner.NoRegime))
		return
	}
	key := m.ID + "\x00" + strconv.Itoa(a) + "\x00" + without
	if b := s.years.get(key); b != nil {
		writeJSONBytes(w, b)
		return
	}
	// The counterfactual year needs the twin run, which is made (and
	// stored) by a POST only.
	twinDir := ""
	if without != "" {
		var ok bool
		if twinDir, ok = twinReady(m, dir, twinName(m, without)); !ok {
			needPost(w, fmt.Sprintf("the year without %s needs a twin run of %s without it: POST /api/runs/%s/twins with {\"without\": %q} makes it", without, m.ID, m.ID, without),
				"/api/runs/"+m.ID+"/twins", TwinRequest{Without: without})
			return
		}
	}
	// A replay re-simulates the run, so the request may be long; it is
	// abandoned when the browser goes away.
	longRequest(w)
	y, err := s.year(r.Context(), m, int32(a), without, twinDir)
	s.sendCached(w, r, m.ID, key, y, err)
}

// sendCached answers a replay's result v as JSON and keeps it in the
// replay cache under key; err is the replay's error, answered as the
// run's (nothing when the browser has gone away).
func (s *Server) sendCached(w http.ResponseWriter, r *http.Request, run, key string, v any, err error) {
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		s.runError(w, run, err)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.years.put(key, b)
	writeJSONBytes(w, b)
}

// year is citizen a's year and, with without, their year in twinDir, the
// twin run without that rule or regime. Each is read from the stored trace
// of the run (or of the twin, which records the same ledger sample) when it
// holds one of a, and replayed otherwise: the choice `nosedive explain`
// makes (audit.ExplainAgent).
func (s *Server) year(ctx context.Context, m *store.Manifest, a int32, without, twinDir string) (*Year, error) {
	lr, err := s.cache.run(m.ID)
	if err != nil {
		return nil, err
	}
	x, tr, err := s.explainCitizen(ctx, lr, a, false, nil)
	if err != nil {
		return nil, err
	}
	y := &Year{Explanation: x, Timeline: timeline(m, m.Names.Contributions, tr), Without: without}
	for _, t := range lr.run.Scenario.Tiers.Levels {
		y.Tiers = append(y.Tiers, ModelTier{Name: t.Name, Min: t.Min})
	}
	y.ScoreRange = lr.run.Scenario.Scoring.Range
	if without == "" {
		return y, nil
	}
	var disabled []string
	if without != runner.NoRegime {
		disabled = []string{without}
	}
	// A twin is only ever explained: the agents table's columns an
	// explanation reads are enough.
	tl, err := s.cache.load(m.ID+"/"+twinName(m, without), twinDir, audit.LoadForExplain)
	if err != nil {
		return nil, err
	}
	cx, ctr, err := s.explainCitizen(ctx, tl, a, without == runner.NoRegime, disabled)
	if err != nil {
		return nil, err
	}
	tm := tl.run.Manifest
	y.Counterfactual, y.CFTimeline = cx, timeline(tm, tm.Names.Contributions, ctr)
	return y, nil
}

// explainCitizen explains citizen a of the loaded run lr (a run, or a twin
// made with noRegime or without the disabled rules) through
// audit.ExplainAgent: from lr's stored trace, or by a replay (s.replay),
// which re-simulates the whole run, so one at a time (withHeavy). A
// stored trace does not wait for a replay or a twin run in progress.
func (s *Server) explainCitizen(ctx context.Context, lr *loadedRun, a int32, noRegime bool, disabled []string) (*audit.Explanation, *sim.Trace, error) {
	// An explanation reads the run's population, which is built lazily:
	// built here under the run's lock, it is only read afterwards, so
	// explanations need not hold the lock (nor a replay keep it).
	lr.with(func() { lr.run.Population() })
	return audit.ExplainAgent(lr.run, a, func(*store.NoTraceError) (*sim.Final, *sim.Trace, error) {
		var final *sim.Final
		var traces []*sim.Trace
		err := s.withHeavy(ctx, func() (err error) {
			final, traces, err = s.replay(ctx, lr.run.Manifest, []int32{a}, s.cfg.Workers, noRegime, disabled)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		return final, traces[0], nil
	})
}

// Likeness is the answer to "someone like me".
type Likeness struct {
	Matches int     `json:"matches"`
	Agents  []int32 `json:"agents"` // up to 12, spread over the matches, those with a stored trace first
	// Traced are the Agents whose year is read from the run's stored trace
	// (no replay: it opens at once); the others are replayed.
	Traced []int32 `json:"traced"`
}

// someoneLike finds synthetic people with the given region, group, trait,
// partnership and children, from the run's agents table.
func (s *Server) someoneLike(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	region, group, trait, partner, children := q.Get("region"), q.Get("group"), q.Get("trait"), q.Get("partner"), q.Get("children")
	check := func(what, v string, names []string) bool {
		if v != "" && !slices.Contains(names, v) {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("no %s %q in this run", what, v))
			return false
		}
		return true
	}
	if !check("region", region, m.Names.Regions) || !check("group", group, m.Names.Groups) || !check("trait", trait, m.Names.Traits) ||
		!check("partner choice", partner, []string{"yes", "no"}) || !check("children choice", children, []string{"none", "some"}) {
		return
	}
	lr, err := s.cache.run(m.ID)
	if err != nil {
		s.runError(w, m.ID, err)
		return
	}
	t := lr.run.Agents
	reg, grp, par, kids := t.Cols["region"].Str, t.Cols["group"].Str, t.Cols["partner"].Int, t.Cols["children"].Int
	var tr []bool
	if trait != "" {
		c := t.Cols[colSafe(trait)]
		if c == nil || len(c.Bool) != t.Rows {
			httpError(w, http.StatusInternalServerError, fmt.Sprintf("agents.parquet has no column for trait %q", trait))
			return
		}
		tr = c.Bool
	}
	var match []int32
	for i := range reg {
		if (region == "" || reg[i] == region) && (group == "" || grp[i] == group) && (tr == nil || tr[i]) &&
			(partner == "" || (partner == "yes") == (par[i] >= 0)) && (children == "" || (children == "some") == (kids[i] > 0)) {
			match = append(match, int32(i))
		}
	}
	traced, err := store.TracedAgents(dir, m)
	if err != nil {
		s.runError(w, m.ID, err)
		return
	}
	// The matches with a stored trace are offered first.
	var fast, slow []int32
	for _, a := range match {
		if _, ok := slices.BinarySearch(traced, a); ok {
			fast = append(fast, a)
		} else {
			slow = append(slow, a)
		}
	}
	out := Likeness{Matches: len(match), Agents: []int32{}, Traced: []int32{}}
	const pick = 12
	out.Agents = spread(out.Agents, fast, pick)
	out.Traced = append(out.Traced, out.Agents...)
	out.Agents = spread(out.Agents, slow, pick-len(out.Agents))
	writeJSON(w, out)
}

// spread appends up to k of the agents to dst, evenly spread, offset so
// the first pick is not always the lowest id (agents are stored region by
// region).
func spread(dst, agents []int32, k int) []int32 {
	k = min(k, len(agents))
	for j := 0; j < k; j++ {
		dst = append(dst, agents[(j*len(agents)+len(agents)/(2*k))/k])
	}
	return dst
}

// Network is a bounded neighbourhood of the acquaintance graph.
type Network struct {
	Centre    int32    `json:"centre"`
	Nodes     []Node   `json:"nodes"`
	Edges     [][2]int `json:"edges"`   // indices into Nodes
	Partner   [2]int   `json:"partner"` // the centre's partnership edge, or [-1,-1]
	Truncated bool     `json:"truncated"`
	Total     int      `json:"total_within_two_steps"`
}

// Node is one person in the network view.
type Node struct {
	ID            int32  `json:"id"`
	Depth         int    `json:"depth"`
	Group         string `json:"group"`
	Tier          string `json:"tier"`
	TierIndex     int    `json:"tier_index"`
	Sanctioned    bool   `json:"sanctioned"`
	FirstSanction int    `json:"first_sanction_day"` // -1 never
	Detained      bool   `json:"detained"`
}

// MaxNetworkNodes bounds the network view, whatever the population.
const MaxNetworkNodes = 200

func (s *Server) network(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.runDir(w, r)
	if !ok {
		return
	}
	a, err := strconv.Atoi(r.URL.Query().Get("agent"))
	if err != nil || a < 0 || a >= m.Agents {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("network: pick an id from 0 to %d", m.Agents-1))
		return
	}
	limit := MaxNetworkNodes
	if v, err := strconv.Atoi(r.URL.Query().Get("max")); err == nil && v >= 2 && v < limit {
		limit = v
	}
	lr, err := s.cache.run(m.ID)
	if err != nil {
		s.runError(w, m.ID, err)
		return
	}
	var g *netgraph.Graph
	lr.with(func() { g = lr.run.Population().Graph })
	t := lr.run.Agents
	tierIdx := map[string]int{}
	for k, n := range m.Names.Tiers {
		tierIdx[n] = k
	}
	index := map[int32]int{}
	net := Network{Centre: int32(a), Partner: [2]int{-1, -1}}
	visit := func(v int32, depth int) bool {
		if _, ok := index[v]; ok {
			return true
		}
		if len(net.Nodes) >= limit {
			net.Truncated = true
			return false
		}
		sanctioned := false
		for _, x := range m.Names.Sanctions {
			if c := t.Cols["sanction_"+colSafe(x)]; c != nil && c.Bool[v] {
				sanctioned = true
			}
		}
		tier := t.Cols["tier"].Str[v]
		index[v] = len(net.Nodes)
		net.Nodes = append(net.Nodes, Node{ID: v, Depth: depth, Group: t.Cols["group"].Str[v], Tier: tier, TierIndex: tierIdx[tier],
			Sanctioned: sanctioned, FirstSanction: int(t.Cols["first_sanction_day"].Int[v]), Detained: t.Cols["detained"].Bool[v]})
		return true
	}
	visit(int32(a), 0)
	ring := g.Neighbours(int32(a), nil)
	var buf [64]int32
	seen := map[int32]bool{int32(a): true}
	for _, v := range ring {
		seen[v] = true
		visit(v, 1)
	}
	p := int32(t.Cols["partner"].Int[a])
	if p >= 0 {
		seen[p] = true
		visit(p, 1)
	}
	for _, u := range append(slices.Clone(ring), p) {
		if u < 0 {
			continue
		}
		for _, v := range g.Neighbours(u, buf[:0]) {
			if !seen[v] {
				seen[v] = true
				visit(v, 2)
			}
		}
	}
	net.Total = len(seen)
	for i, n := range net.Nodes {
		for _, v := range g.Neighbours(n.ID, buf[:0]) {
			if j, ok := index[v]; ok && i < j {
				net.Edges = append(net.Edges, [2]int{i, j})
			}
		}
	}
	if j, ok := index[p]; ok && p >= 0 {
		net.Partner = [2]int{0, j}
	}
	if net.Edges == nil {
		net.Edges = [][2]int{}
	}
	writeJSON(w, net)
}
