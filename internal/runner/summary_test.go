package runner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// TestWriteSummaryAgreesWithAgents: the summary's table, made from the
// last day's aggregates per cell, says per group what the run's final
// per-agent columns say: head count, mean score and each tier's share.
func TestWriteSummaryAgreesWithAgents(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 3000, Days: 30, Seed: 5, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteSummary(&out, sc, res); err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	nm := res.Manifest.Names
	f := res.Final
	want := func(name string, in func(a int) bool) {
		t.Helper()
		var n, sum int64
		tiers := make([]int64, len(nm.Tiers))
		for a := range f.Score {
			if in(a) {
				n++
				sum += int64(f.Score[a])
				tiers[f.Tier[a]]++
			}
		}
		w := []string{name, fmt.Sprint(n), fmt.Sprintf("%.1f", float64(sum)/rule.Scale/float64(n))}
		for _, x := range tiers {
			w = append(w, fmt.Sprintf("%.1f%%", 100*float64(x)/float64(n)))
		}
		got := rows[name]
		if len(got) < len(w) || strings.Join(got[:len(w)], " ") != strings.Join(w, " ") {
			t.Errorf("row %s: got %v, want %v (then the sanctions)", name, got, w)
		}
	}
	for g, name := range nm.Groups {
		want(name, func(a int) bool { return int(f.Pop.Group[a]) == g })
	}
	want("all", func(int) bool { return true })
	if !strings.HasPrefix(out.String(), "xinjiang-pilot: 3000 agents x 30 days, seed 5\n") ||
		!strings.HasSuffix(out.String(), "run directory: "+res.Dir+"\n") {
		t.Errorf("summary head or tail:\n%s", out.String())
	}
	for b, name := range nm.Behaviours {
		w := fmt.Sprintf("%s %d %d %d", name, res.Totals.Attempted[b], res.Totals.Detected[b], res.Totals.Blocked[b])
		if strings.Join(rows[name], " ") != w {
			t.Errorf("behaviour %s: got %v, want %s", name, rows[name], w)
		}
	}
}
