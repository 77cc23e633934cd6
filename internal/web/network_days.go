package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/netgraph"
	"github.com/nosedive-lab/nosedive/internal/runner"
)

// NetworkDays is the day-by-day state of the people of a network view
// (GET /api/runs/{id}/network/days?ids=...): for each id, one character
// per day 0..days: the tier's index ('0' best), and '1' when under any
// sanction, or detained ('0' otherwise). At most MaxNetworkNodes people,
// so the answer is at most 3 x 200 x (days + 1) characters (2.2 MB for
// ten years).
type NetworkDays struct {
	Days      int      `json:"days"`
	IDs       []int32  `json:"ids"`
	Tiers     []string `json:"tiers"`
	Sanctions []string `json:"sanctions"`
	Detained  []string `json:"detained"`
}

func (s *Server) networkDays(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.runDir(w, r)
	if !ok {
		return
	}
	var ids []int32
	seen := map[int32]bool{}
	for f := range strings.SplitSeq(r.URL.Query().Get("ids"), ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 0 || v >= m.Agents {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("network days: ids are citizen ids from 0 to %d, separated by commas", m.Agents-1))
			return
		}
		if !seen[int32(v)] {
			seen[int32(v)] = true
			ids = append(ids, int32(v))
		}
	}
	if len(ids) > MaxNetworkNodes {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("network days: at most %d people", MaxNetworkNodes))
		return
	}
	key := m.ID + "\x00days\x00" + r.URL.Query().Get("ids")
	if b := s.years.get(key); b != nil {
		writeJSONBytes(w, b)
		return
	}
	// A replay that traces these people: one at a time, abandoned when the
	// browser goes away, like a citizen's year.
	longRequest(w)
	var out NetworkDays
	err := s.withHeavy(r.Context(), func() error {
		_, traces, err := runner.Replay(r.Context(), m, ids, s.cfg.Workers)
		if err != nil {
			return err
		}
		out = NetworkDays{Days: m.Days, IDs: ids}
		for _, tr := range traces {
			t, sa, de := make([]byte, len(tr.Days)), make([]byte, len(tr.Days)), make([]byte, len(tr.Days))
			for d, day := range tr.Days {
				t[d] = '0' + min(day.Tier, 9)
				sa[d], de[d] = '0', '0'
				if day.Sanctions != 0 {
					sa[d] = '1'
				}
				if day.Detained {
					de[d] = '1'
				}
			}
			out.Tiers, out.Sanctions, out.Detained = append(out.Tiers, string(t)), append(out.Sanctions, string(sa)), append(out.Detained, string(de))
		}
		return nil
	})
	s.sendCached(w, r, m.ID, key, out, err)
}

// Ties is the whole population's acquaintance graph seen group by group
// (GET /api/runs/{id}/ties): Ties[i][j] counts the ties from a person of
// group i to one of group j (each tie counted from both ends, so the
// matrix is symmetric and row i sums to group i's degrees); Exposed[i][j]
// counts, by day, the ties from group i that reach a person of group j
// first sanctioned that day (so the ties to someone sanctioned by day d
// are a running sum). Its size is groups^2 x (days + 1), whatever the
// population.
type Ties struct {
	Groups  []string    `json:"groups"`
	People  []int       `json:"people"`
	Days    int         `json:"days"`
	Ties    [][]int64   `json:"ties"`
	Exposed [][][]int32 `json:"exposed"`
}

func (s *Server) ties(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.runDir(w, r)
	if !ok {
		return
	}
	lr, err := s.cache.run(m.ID)
	if err != nil {
		s.runError(w, m.ID, err)
		return
	}
	var g *netgraph.Graph
	lr.with(func() { g = lr.run.Population().Graph })
	t := lr.run.Agents
	groups := m.Names.Groups
	gi := map[string]int{}
	for k, n := range groups {
		gi[n] = k
	}
	n := len(groups)
	out := Ties{Groups: groups, People: make([]int, n), Days: m.Days, Ties: make([][]int64, n), Exposed: make([][][]int32, n)}
	for i := range n {
		out.Ties[i] = make([]int64, n)
		out.Exposed[i] = make([][]int32, n)
		for j := range n {
			out.Exposed[i][j] = make([]int32, m.Days+1)
		}
	}
	grp, first := t.Cols["group"].Str, t.Cols["first_sanction_day"].Int
	of := make([]int, m.Agents)
	for a := range m.Agents {
		of[a] = gi[grp[a]]
		out.People[of[a]]++
	}
	var buf []int32
	for u := range int32(m.Agents) {
		buf = g.Neighbours(u, buf[:0])
		for _, v := range buf {
			i, j := of[u], of[v]
			out.Ties[i][j]++
			if d := first[v]; d >= 0 && int(d) <= m.Days {
				out.Exposed[i][j][d]++
			}
		}
	}
	writeJSON(w, out)
}
