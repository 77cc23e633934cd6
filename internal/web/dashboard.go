package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/audit"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// Dashboard is what GET /api/runs/{id} sends: the run's aggregates only
// (daily series per group, summed over regions, and the audit), never a
// row per agent, so its size does not grow with the population.
type Dashboard struct {
	Run   RunInfo     `json:"run"`
	Names store.Names `json:"names"`
	Rules []RuleInfo  `json:"rules"`
	Days  int         `json:"days"`
	// Series maps a measure (agents, score_mean, tier_<t>, sanction_<s>,
	// detained, children_blocked, attempted_<behaviour>, privilege_<p>) to one value per
	// day for each group, in Names.Groups order. Counts are people (events
	// for attempted_); score_mean is points.
	Series map[string][][]float64 `json:"series"`
	Audit  *audit.Report          `json:"audit"`
	Files  []FileInfo             `json:"files"`
	// Privileges describes the run's privileges (their privilege_<p>
	// series count the people holding each); none without privileges.
	Privileges []store.PrivilegeInfo `json:"privileges,omitempty"`
}

// RuleInfo is a rule as the citizen view offers it for a counterfactual.
type RuleInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Via         string `json:"via"`
	Description string `json:"description"`
}

// FileInfo is a downloadable file of a run.
type FileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"` // -1: made on request (the report)
}

// downloadable lists the files a run offers, in display order.
var downloadable = []string{store.DailyFile, store.AgentsFile, store.LedgerFile, store.InstitutionsFile, "audit.json", store.ManifestFile, "report.html"}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	m, dir, ok := s.runDir(w, r)
	if !ok {
		return
	}
	rep := s.storedAudit(m.ID, dir)
	if rep == nil {
		needPost(w, fmt.Sprintf("run %s has no audit yet (it was made outside the lab): POST /api/runs/%s/audit makes it", m.ID, m.ID),
			"/api/runs/"+m.ID+"/audit", struct{}{})
		return
	}
	b, err := s.cache.dashboard(m.ID, func() ([]byte, error) { return s.buildDashboard(m, dir, rep) })
	if err != nil {
		s.runError(w, m.ID, err)
		return
	}
	writeJSONBytes(w, b)
}

func (s *Server) buildDashboard(m *store.Manifest, dir string, rep *audit.Report) ([]byte, error) {
	daily, err := store.ReadTable(filepath.Join(dir, store.DailyFile))
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Run: infoOf(m), Names: m.Names, Days: m.Days, Audit: rep, Series: map[string][][]float64{}, Privileges: m.Privileges}
	for _, ri := range m.Rules {
		d.Rules = append(d.Rules, RuleInfo{Name: ri.Name, Kind: ri.Kind, Via: ri.Via, Description: ri.Description})
	}
	gi := map[string]int{}
	for k, g := range m.Names.Groups {
		gi[g] = k
	}
	mk := func() [][]float64 {
		out := make([][]float64, len(m.Names.Groups))
		for k := range out {
			out[k] = make([]float64, m.Days+1)
		}
		return out
	}
	cols := []string{"agents", "detained", "children_blocked"}
	for _, t := range m.Names.Tiers {
		cols = append(cols, "tier_"+colSafe(t))
	}
	for _, x := range m.Names.Sanctions {
		cols = append(cols, "sanction_"+colSafe(x))
	}
	for _, b := range m.Names.Behaviours {
		cols = append(cols, "attempted_"+colSafe(b))
	}
	for _, x := range m.Names.Privileges {
		cols = append(cols, "privilege_"+colSafe(x))
	}
	for _, c := range cols {
		if daily.Has(c) {
			d.Series[c] = mk()
		}
	}
	d.Series["score_mean"] = mk()
	day, grp, mean := daily.Cols["day"].Int, daily.Cols["group"].Str, daily.Cols["score_mean"].Float
	for row := range day {
		g, t := gi[grp[row]], int(day[row])
		if t < 0 || t > m.Days {
			continue
		}
		for _, c := range cols {
			if col, ok := daily.Cols[c]; ok {
				d.Series[c][g][t] += float64(col.Int[row])
			}
		}
		if n := daily.Cols["agents"].Int[row]; n > 0 { // an empty cell's mean is NULL (NaN)
			d.Series["score_mean"][g][t] += float64(float64(n) * mean[row])
		}
	}
	for g := range m.Names.Groups {
		for t := 0; t <= m.Days; t++ {
			if n := d.Series["agents"][g][t]; n > 0 {
				d.Series["score_mean"][g][t] = math.Round(d.Series["score_mean"][g][t]/n*100) / 100
			}
		}
	}
	for _, f := range downloadable {
		size := int64(-1)
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			size = fi.Size()
		} else if f != "report.html" {
			continue
		}
		d.Files = append(d.Files, FileInfo{Name: f, Size: size})
	}
	return json.Marshal(d)
}

func colSafe(s string) string { return strings.ReplaceAll(s, "-", "_") }
