package sim

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/rule"
)

var partneredWorld = world{
	population: `  regions: [{name: north, share: 1, groups: {x: 0.5, y: 0.5}}]
  traits: [{name: party_member, p: 0.5}]
  households: {partnered: 0.3}`,
	network:       `{model: watts-strogatz, degree: 4, rewire: 0.2}`,
	relationships: `{form_rate: 0.2, break_rate: 0.05}`,
	behaviours:    `  - {name: act, channel: always, context: commerce, rate: 0}`,
	rules: `    - {name: dating_down, on: partnered, when: partner.score < score, amount: -(score - partner.score) / 10}
    - {name: welcome, on: partnered, amount: 1}`}

// TestPartneredSnapshot: the partnerships waiting to be scored are part of
// a snapshot, so a run resumed between forming and scoring goes on alike.
func TestPartneredSnapshot(t *testing.T) {
	a, b := newHarness(t, partneredWorld, 2000).e, newHarness(t, partneredWorld, 2000).e
	for range 5 {
		if _, _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(a.formed, true) {
		t.Fatal("no partnership waits to be scored at the snapshot")
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	stepAlike(t, a, b, 5)
}

// TestPartneredEvent: rules `on: partnered` score a partnership the day
// after it forms, for both partners, reading the new partner's
// start-of-day score; partnerships of day 0 are not events, and a
// partnership scores once. The expected scores are recomputed here, day by
// day, from the partner arrays alone: a partnership formed when an
// agent's partner at the start of a day is someone other than at the
// start of the day before (breakups come first and a pair cannot re-form
// the day it parts, so a change to a partner is a formation).
func TestPartneredEvent(t *testing.T) {
	h := newHarness(t, partneredWorld, 3000)
	e := h.e
	dd, welcome := 0, 1
	prev := slices.Clone(e.partner) // day 0's couples are not events
	formedTotal := 0
	for d := 0; d < 12; d++ {
		start, score := slices.Clone(e.partner), slices.Clone(e.score)
		want := slices.Clone(score)
		var wantLedger [2]int
		for i := range start {
			p := start[i]
			if p < 0 || p == prev[i] {
				continue
			}
			formedTotal++
			want[i] += 1 * rule.Scale
			wantLedger[welcome]++
			if score[p] < score[i] {
				x := -(float64(score[i])/rule.Scale - float64(score[p])/rule.Scale) / 10
				want[i] += int32(math.Round(x * rule.Scale))
				wantLedger[dd]++
			}
		}
		for i := range want {
			want[i] = min(max(want[i], e.lo), e.hi)
		}
		_, ledger, err := e.Step()
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if e.score[i] != want[i] {
				t.Fatalf("day %d, agent %d (partner %d, before %d): score %d, want %d", d, i, start[i], prev[i], e.score[i], want[i])
			}
		}
		var gotLedger [2]int
		for _, l := range ledger {
			if int(l.Rule) < 2 {
				gotLedger[l.Rule]++
			}
			if l.Day != int32(d+1) {
				t.Fatalf("day %d: ledger entry of day %d", d, l.Day)
			}
		}
		if gotLedger != wantLedger {
			t.Fatalf("day %d: ledger entries (dating_down, welcome) %v, want %v", d, gotLedger, wantLedger)
		}
		prev = start
	}
	if formedTotal < 100 {
		t.Fatalf("only %d partnerships formed: the test checks too little", formedTotal)
	}
	h.checkAdditive()
}
