package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// A labelled what-if carries its name and overrides from the command line
// to the summary, run.json, the run id and `nosedive runs`; --scenario and
// --since filter the listing.
func TestRunsNamesAndFilters(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := cli(t, "run", "xinjiang-pilot", "--agents", "300", "--days", "2", "--quiet", "--out", out,
		"--name", "Cap lifted", "--set", "tiers.caps.0.best=trustworthy")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"name: Cap lifted\n", "edited: tiers.caps.0.best=trustworthy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := cli(t, "run", "benchmark", "--agents", "300", "--days", "2", "--quiet", "--out", out); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	entries, _ := os.ReadDir(out)
	var named string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "xinjiang-pilot-cap-lifted-s1-") {
			named = e.Name()
		}
	}
	if named == "" {
		t.Fatalf("no run id carries the label's slug: %v", entries)
	}
	m, err := store.ReadManifest(filepath.Join(out, named))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Cap lifted" || !slices.Equal(m.Scenario.Sets, []string{"tiers.caps.0.best=trustworthy"}) {
		t.Errorf("run.json: name %q, sets %q", m.Name, m.Scenario.Sets)
	}

	list := func(args ...string) []map[string]any {
		t.Helper()
		code, stdout, stderr := cli(t, append([]string{"runs", "--store", out, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("runs %v: exit %d\n%s", args, code, stderr)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatalf("runs %v: %v\n%s", args, err, stdout)
		}
		return rows
	}
	scenarios := func(rows []map[string]any) (got []string) {
		for _, r := range rows {
			got = append(got, r["scenario"].(string)+"/"+r["name"].(string))
		}
		slices.Sort(got)
		return got
	}
	past := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	future := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"benchmark/", "xinjiang-pilot/Cap lifted"}},
		{[]string{"--scenario", "xinjiang-pilot"}, []string{"xinjiang-pilot/Cap lifted"}},
		{[]string{"--scenario", "benchmark", "--since", past}, []string{"benchmark/"}},
		{[]string{"--since", past}, []string{"benchmark/", "xinjiang-pilot/Cap lifted"}},
		{[]string{"--since", future}, nil},
		{[]string{"--scenario", "nosuch"}, nil},
	} {
		if got := scenarios(list(c.args...)); !slices.Equal(got, c.want) {
			t.Errorf("runs %v: got %q, want %q", c.args, got, c.want)
		}
	}
	rows := list("--scenario", "xinjiang-pilot")
	if sets, _ := rows[0]["sets"].([]any); len(sets) != 1 || sets[0] != "tiers.caps.0.best=trustworthy" {
		t.Errorf("runs --json sets = %v", rows[0]["sets"])
	}

	code, stdout, _ = cli(t, "runs", "--store", out)
	if code != 0 || !strings.Contains(stdout, "Cap lifted") || !strings.Contains(stdout, "tiers.caps.0.best=trustworthy") {
		t.Errorf("runs table lacks the label or the edit (exit %d):\n%s", code, stdout)
	}
	_, _, stderr = cli(t, "runs", "--store", out, "--scenario", "xinjiang")
	if !strings.Contains(stderr, `no runs of scenario "xinjiang"; the store has runs of benchmark, xinjiang-pilot`) {
		t.Errorf("an unmatched --scenario does not say what the store holds:\n%s", stderr)
	}
}

// A bad --since is bad input that points at the column where it goes wrong.
func TestRunsSinceErrors(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct{ since, want string }{
		{"2026-13-01", `--since "2026-13-01": column 6: month out of range`},
		{"2026-02-30", `--since "2026-02-30": column 9: day out of range`},
		{"2026-12-06T25:00", `column 12: hour out of range`},
		{"2026-12-0", `column 9: expected a two-digit day, found "0"`},
		{"yesterday", `column 1: expected a four-digit year, found "yesterday"`},
		{"2026-12-06x", `column 11: extra text: "x"`},
	} {
		code, _, stderr := cli(t, "runs", "--store", out, "--since", c.since)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "want a date such as 2026-12-06") {
			t.Errorf("--since %q: exit %d, want 2 and %q:\n%s", c.since, code, c.want, stderr)
		}
	}
	// The accepted forms: duckdb's TestParseSince.
}

// A run name that cannot be a label is bad input, before anything runs.
func TestRunNameRefused(t *testing.T) {
	out := t.TempDir()
	for _, name := range []string{strings.Repeat("x", 241), "tab\there", "\xff"} {
		code, _, stderr := cli(t, "run", "benchmark", "--agents", "300", "--days", "1", "--quiet", "--out", out, "--name", name)
		if code != 2 || !strings.Contains(stderr, "--name: the run name") {
			t.Errorf("--name %q: exit %d, want 2:\n%s", name, code, stderr)
		}
	}
	if e, _ := os.ReadDir(out); len(e) != 0 {
		t.Errorf("a refused run left %v", e)
	}
}
