package runner

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// WriteSummary writes the summary `nosedive run` and `nosedive resume`
// print at the end of a run: its name and overrides, then per group (summed over regions) the mean
// score and the shares in each tier and under each sanction at the last
// day, then events per behaviour, flags, detentions, children blocked,
// the acquaintance graph, timings and the run directory.
func WriteSummary(w io.Writer, sc *scenario.Scenario, res *Result) error {
	m := res.Manifest
	nm := m.Names
	fmt.Fprintf(w, "%s: %d agents x %d days, seed %d\n", sc.Name, m.Agents, m.Days, m.Seed)
	// The run's label and --set overrides: a what-if is never mistaken
	// for the scenario as written.
	if m.Name != "" {
		fmt.Fprintf(w, "name: %s\n", m.Name)
	}
	if len(m.Scenario.Sets) > 0 {
		fmt.Fprintf(w, "edited: %s (the description below is of the scenario before these changes)\n", strings.Join(m.Scenario.Sets, ", "))
	}
	if sc.Description != "" {
		fmt.Fprintf(w, "%s\n", sc.Description)
	}
	fmt.Fprintln(w)
	groups := make([]groupTotals, len(nm.Groups))
	for g := range groups {
		groups[g] = newGroupTotals(len(nm.Tiers), len(nm.Sanctions), len(nm.Flags))
	}
	total := newGroupTotals(len(nm.Tiers), len(nm.Sanctions), len(nm.Flags))
	for c := range res.Last.Cells {
		groups[res.Last.Cells[c].Group].add(&res.Last.Cells[c])
		total.add(&res.Last.Cells[c])
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "group\tagents\tmean score\t"
	for _, t := range nm.Tiers {
		header += t + "\t"
	}
	for _, s := range nm.Sanctions {
		header += s + "\t"
	}
	fmt.Fprintln(tw, header)
	for g, name := range nm.Groups {
		groups[g].row(tw, name)
	}
	total.row(tw, "all")
	tw.Flush()
	fmt.Fprintf(w, "\n(tier and sanction columns: share of the group at day %d)\n\n", m.Days)

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "behaviour\tattempted\tdetected\tblocked\t")
	for b, name := range nm.Behaviours {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", name, res.Totals.Attempted[b], res.Totals.Detected[b], res.Totals.Blocked[b])
	}
	tw.Flush()
	fmt.Fprintln(w)
	for k, f := range nm.Flags {
		fmt.Fprintf(w, "flagged %s: %d\n", f, total.flag[k])
	}
	if total.detained > 0 {
		fmt.Fprintf(w, "detained at the end: %d (%s)\n", total.detained, pct(total.detained, total.n))
	}
	if total.kids > 0 {
		fmt.Fprintf(w, "school-age children kept out of top schools: %d\n", total.kids)
	}
	fmt.Fprintf(w, "acquaintance graph: %s, mean degree %.2f, clustering %.3f\n", m.Graph.Model, m.Graph.MeanDegree, m.Graph.Clustering)
	t := m.Timings
	rate := float64(m.Agents) * float64(m.Days) / max(t.Simulate, 1e-9)
	fmt.Fprintf(w, "time: setup %.2fs, simulate %.2fs (%.1fM agent-days/s), write %.2fs\n", t.Setup, t.Simulate, rate/1e6, t.Write)
	_, err := fmt.Fprintf(w, "run directory: %s\n", res.Dir)
	return err
}

// groupTotals sums a day's cells of one group (or of everyone).
type groupTotals struct {
	n, detained, kids int64
	sum               int64
	tier, sanc, flag  []int64
}

func newGroupTotals(tiers, sanctions, flags int) groupTotals {
	return groupTotals{tier: make([]int64, tiers), sanc: make([]int64, sanctions), flag: make([]int64, flags)}
}

func (a *groupTotals) add(c *daily.Cell) {
	a.n += c.Agents
	a.sum += c.ScoreSum
	a.detained += c.Detained
	a.kids += c.ChildrenBlocked
	for k := range c.Tier {
		a.tier[k] += c.Tier[k]
	}
	for k := range c.Sanction {
		a.sanc[k] += c.Sanction[k]
	}
	for k := range c.Flag {
		a.flag[k] += c.Flag[k]
	}
}

// row writes the group's line of the summary table: agents, mean score,
// then each tier's and each sanction's share.
func (a *groupTotals) row(tw io.Writer, name string) {
	line := fmt.Sprintf("%s\t%d\t%.1f\t", name, a.n, float64(a.sum)/daily.ScoreScale/float64(max(a.n, 1)))
	for _, x := range a.tier {
		line += pct(x, a.n) + "\t"
	}
	for _, x := range a.sanc {
		line += pct(x, a.n) + "\t"
	}
	fmt.Fprintln(tw, line)
}

func pct(x, n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(x)/float64(n))
}
