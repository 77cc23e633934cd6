package runner

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// TestReplayProgressIsReplay: the replay that reports its days ends in
// the same state as Replay, and reports every day once, in order.
func TestReplayProgressIsReplay(t *testing.T) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 800, Days: 12, Seed: 5, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	agents := []int32{3, 400}
	want, wantTraces, err := Replay(context.Background(), res.Manifest, agents, 2)
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	got, traces, err := ReplayProgress(context.Background(), res.Manifest, agents, 2, func(d, total int) {
		if total != 12 {
			t.Errorf("day %d of %d, want of 12", d, total)
		}
		days = append(days, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Score, want.Score) {
		t.Error("final scores differ from Replay's")
	}
	if !reflect.DeepEqual(traces, wantTraces) {
		t.Error("traces differ from Replay's")
	}
	if diff := cmp.Diff(days, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}); diff != "" {
		t.Errorf("days reported: %s", diff)
	}
}
