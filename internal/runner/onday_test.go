package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
)

// TestOnDay: Spec.OnDay sees every day once, in order, before progress
// reports it, and the run's tables are byte-identical to a run without it.
func TestOnDay(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	spec := Spec{Scenario: sc, Agents: 3000, Days: 25, Seed: 5, Workers: 2, Ledger: "sample:0.1", Now: at}
	spec.OutDir = t.TempDir()
	plain, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	var agents int64
	progressed := 0
	spec.OutDir = t.TempDir()
	spec.Progress = func(day, _ int) {
		if len(days) == 0 || days[len(days)-1] != day {
			t.Errorf("progress reported day %d after observing %v", day, days)
		}
		progressed++
	}
	spec.OnDay = func(d *daily.Day) {
		days = append(days, d.Day)
		agents = 0
		for _, c := range d.Cells {
			agents += c.Agents
		}
	}
	obs, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 26 || days[0] != 0 || days[25] != 25 || progressed != 25 || agents != 3000 {
		t.Errorf("observed days %v (progress %d, agents on the last %d), want 0..25", days, progressed, agents)
	}
	for _, f := range []string{store.DailyFile, store.AgentsFile, store.LedgerFile} {
		a, _ := os.ReadFile(filepath.Join(plain.Dir, f))
		b, _ := os.ReadFile(filepath.Join(obs.Dir, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs with and without OnDay", f)
		}
	}
}
