package web

import (
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/sim"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// A rule's changes too small to show (a daily rehabilitation of 0.04
// points) are one moment per run of them, with their sum, not a "+0.0"
// a day; a change that shows splits the run and is listed as it is.
func TestTimelineGathersSmallSteps(t *testing.T) {
	m := &store.Manifest{Names: store.Names{Tiers: []string{"ok"}}}
	contrib := []string{"mosque", "rehabilitation"}
	tr := &sim.Trace{}
	for d := range 11 {
		tr.Days = append(tr.Days, sim.TraceDay{Day: d})
	}
	step := int32(0.04 * daily.ScoreScale)
	for d := int32(1); d <= 10; d++ {
		if d != 6 {
			tr.Changes = append(tr.Changes, daily.LedgerEntry{Day: d, Rule: 1, Delta: step})
		}
	}
	tr.Changes = append(tr.Changes,
		daily.LedgerEntry{Day: 4, Rule: 0, Delta: -2 * daily.ScoreScale},
		daily.LedgerEntry{Day: 6, Rule: 1, Delta: 1 * daily.ScoreScale})
	var got []string
	for _, mo := range timeline(m, contrib, tr) {
		got = append(got, mo.Text)
	}
	want := []string{
		"rehabilitation: +0.2 points in 5 small steps (each under 0.05 points), days 1-5",
		"mosque: -2.0 points",
		"rehabilitation: +1.0 points",
		"rehabilitation: +0.2 points in 4 small steps (each under 0.05 points), days 7-10",
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline\n%q\nwant\n%q", got, want)
	}
}
