package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
)

func TestBench(t *testing.T) {
	code, stdout, stderr := cli(t, "bench", "benchmark", "--agents", "2000", "--days", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2000 agents x 3 days", "agent-days/s (including setup)", "ns per agent-day", "bytes per agent", "machine",
		"acquaintances     ring form"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = cli(t, "bench", "--agents", "2000", "--days", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r runner.BenchResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if r.Scenario != "benchmark" || r.Agents != 2000 || r.Days != 3 || !(r.CPUNanosPerAgentDay > 0) || !(r.AgentDaysPerSec > 0) || r.PeakRSS == 0 {
		t.Errorf("implausible result %+v", r)
	}
	if r.GraphForm != "ring" || r.GraphBytesPerAgent < 5 || r.GraphBytesPerAgent > 9 {
		t.Errorf("benchmark's graph: %s form, %.1f bytes per agent; want the ring form, about 7", r.GraphForm, r.GraphBytesPerAgent)
	}

	// A scenario whose rules read acq.* keeps the plain form.
	code, stdout, stderr = cli(t, "bench", "nosedive", "--agents", "2000", "--days", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "acquaintances     plain form") {
		t.Errorf("nosedive's graph should be plain:\n%s", stdout)
	}
}

func TestBenchRepeat(t *testing.T) {
	code, stdout, stderr := cli(t, "bench", "--agents", "2000", "--days", "3", "--repeat", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var s runner.BenchSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if len(s.Runs) != 3 {
		t.Fatalf("%d runs, want 3", len(s.Runs))
	}
	hi := 0.0
	for _, r := range s.Runs {
		hi = max(hi, r.CPUNanosPerAgentDay)
		if r.CPUNanosPerAgentDay < s.Min.CPUNanosPerAgentDay {
			t.Errorf("a run's CPU %v is below the minimum %v", r.CPUNanosPerAgentDay, s.Min.CPUNanosPerAgentDay)
		}
	}
	if s.Median.CPUNanosPerAgentDay < s.Min.CPUNanosPerAgentDay || s.Median.CPUNanosPerAgentDay > hi {
		t.Errorf("median %v outside [%v, %v]", s.Median.CPUNanosPerAgentDay, s.Min.CPUNanosPerAgentDay, hi)
	}

	code, stdout, _ = cli(t, "bench", "--agents", "2000", "--days", "2", "--repeat", "2")
	runs := 0
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "run ") {
			runs++
		}
	}
	if code != 0 || runs != 2 || !strings.Contains(stdout, "median") {
		t.Errorf("exit %d, %d run lines, output:\n%s", code, runs, stdout)
	}
}

func TestBenchCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	code, _, stderr := cli(t, "bench", "--agents", "20000", "--days", "5", "--cpuprofile", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof profiles are gzipped protobuf
		t.Fatalf("%s is not a pprof profile (%d bytes)", path, len(b))
	}
}

func TestBenchBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--repeat", "0"}, "--repeat must be between 1 and 1000"},
		{[]string{"bench", "--agents", "1"}, "--agents must be between"},
		{[]string{"bench", "--days", "0"}, "--days must be between 1"},
		{[]string{"bench", "benchmark", "nosedive"}, "bench takes at most one scenario"},
		{[]string{"bench", "no-such-scenario"}, "no-such-scenario"},
		{[]string{"bench", "--agents", "2000", "--days", "1", "--cpuprofile", filepath.Join(t.TempDir(), "missing", "cpu.prof")}, "--cpuprofile"},
	} {
		code, _, stderr := cli(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
