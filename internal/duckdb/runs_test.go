package duckdb

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// ListRuns lists newest first, names runs by their place under the root
// as the user wrote it, adds the sweep column when the store has sweeps,
// and filters by scenario and start time.
func TestListRuns(t *testing.T) {
	root := fixture(t)
	db := open(t, root)
	ctx := context.Background()
	ids := func(f RunsFilter) []string {
		t.Helper()
		var b bytes.Buffer
		n, err := db.ListRuns(ctx, &b, root, true, f)
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			RunID   string `json:"run_id"`
			Audited bool   `json:"audited"`
		}
		if err := json.Unmarshal(b.Bytes(), &rows); err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		if n != len(rows) {
			t.Errorf("ListRuns returned %d, wrote %d rows", n, len(rows))
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.RunID)
		}
		return got
	}
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		f    RunsFilter
		want []string
	}{
		{RunsFilter{}, []string{"beta-s2", "alpha-s1", "p1-r0", "p0-r0"}},
		{RunsFilter{Scenario: "alpha"}, []string{"alpha-s1", "p1-r0", "p0-r0"}},
		{RunsFilter{Since: &since}, []string{"beta-s2", "alpha-s1"}},
		{RunsFilter{Scenario: "alpha", Since: &since}, []string{"alpha-s1"}},
		{RunsFilter{Scenario: "it's"}, nil},
	} {
		if got := ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: got %q, want %q", c.f, got, c.want)
		}
	}

	var b bytes.Buffer
	if _, err := db.ListRuns(ctx, &b, root+"/", false, RunsFilter{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// header, rule, four rows, "(4 rows)"
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "run ") || !strings.HasSuffix(lines[0], " sweep") {
		t.Fatalf("table header or length:\n%s", b.String())
	}
	for i, want := range []string{"beta-s2 ", "alpha-s1 ", "sw/runs/p1-r0 ", "sw/runs/p0-r0 "} {
		if !strings.HasPrefix(lines[i+2], want) {
			t.Errorf("row %d = %q, want it to start with %q", i, lines[i+2], want)
		}
	}
	// alphaAudit: a quarter in the lowest tier, worst ratio 3 for g2.
	if f := strings.Fields(lines[3]); !slices.Equal(f[len(f)-5:], []string{"low", "25.00%", "3.00", "group=g2", "tier_low"}) {
		t.Errorf("alpha-s1's audit figures: %q", lines[3])
	}
	if !strings.HasSuffix(lines[4], " sw p1 r0") {
		t.Errorf("the sweep run's row lacks its sweep, point and replicate: %q", lines[4])
	}

	if got := db.FilterNote(ctx, RunsFilter{Scenario: "alph"}); got != ` (no runs of scenario "alph"; the store has runs of alpha, beta)` {
		t.Errorf("FilterNote = %q", got)
	}
	if got := db.FilterNote(ctx, RunsFilter{Scenario: "alpha", Since: &since}); got != "" {
		t.Errorf("FilterNote of a scenario the store holds = %q, want none", got)
	}
}

// ParseSince accepts dates and times, honours offsets, and says where a
// bad value goes wrong.
func TestParseSince(t *testing.T) {
	for _, good := range []string{"2026-12-06", "2026-12-06T20:15", "2026-12-06 20:15:05", "2026-12-06T20:15:00Z", "2026-12-06T20:15:00+01:00"} {
		if _, err := ParseSince(good); err != nil {
			t.Errorf("ParseSince(%q): %v", good, err)
		}
	}
	if got, _ := ParseSince("2026-12-06T21:15:00+01:00"); !got.Equal(time.Date(2026, 12, 6, 20, 15, 0, 0, time.UTC)) {
		t.Errorf("an offset is not honoured: %v", got)
	}
	if got, _ := ParseSince("2026-12-06"); !got.Equal(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date is not UTC midnight: %v", got)
	}
	for _, c := range []struct{ since, want string }{
		{"2026-13-01", `"2026-13-01": column 6: month out of range; want a date such as 2026-12-06`},
		{"2026-12-06T20:61", `column 15: minute out of range`},
		{"2026-12-0", `column 9: expected a two-digit day, found "0"`},
		{"2026-12-06T20", `column 14: expected "`},
		{"2026-12-06x", `column 11: extra text: "x"`},
	} {
		_, err := ParseSince(c.since)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSince(%q) = %v, want %q", c.since, err, c.want)
		}
	}
}
