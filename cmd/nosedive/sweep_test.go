package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// smallSweep is a 2 x 2 grid x 2 replicates of xinjiang-pilot at a size
// that runs in well under a second.
const smallSweep = `name: tiny
scenario: xinjiang-pilot
agents: 400
days: 30
seed: 3
replicates: 2
parameters:
  - path: population.regions.south.cameras_per_1000
    also: [population.regions.north.cameras_per_1000]
    values: [50, 400]
  - path: tiers.caps.0.best
    values: [average, trustworthy]
`

func writeSweep(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// resultFiles reads every file of DIR/results.
func resultFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "results"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, "results", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameResults(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d result files, want %d", what, len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s: results/%s differs", what, name)
		}
	}
}

func TestSweepDeterministicAcrossJobsAndShards(t *testing.T) {
	file := writeSweep(t, smallSweep)
	one := t.TempDir()
	code, stdout, stderr := cli(t, "sweep", file, "--out", one, "--jobs", "1", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "8 runs here (0 already done, 8 run now, 0 failed)") {
		t.Errorf("summary: %s", stdout)
	}
	want := resultFiles(t, filepath.Join(one, "tiny"))
	if len(want) != 16 {
		t.Fatalf("want 8 daily and 8 audit fragments, got %d files", len(want))
	}
	two := t.TempDir()
	if code, _, stderr := cli(t, "sweep", file, "--out", two, "--jobs", "2", "--quiet"); code != 0 {
		t.Fatalf("--jobs 2: exit %d\n%s", code, stderr)
	}
	sameResults(t, "--jobs 2", resultFiles(t, filepath.Join(two, "tiny")), want)
	sharded := t.TempDir()
	for i := range 4 {
		shard := []string{"0/4", "1/4", "2/4", "3/4"}[i]
		if code, _, stderr := cli(t, "sweep", file, "--out", sharded, "--shard", shard, "--quiet"); code != 0 {
			t.Fatalf("--shard %s: exit %d\n%s", shard, code, stderr)
		}
	}
	sameResults(t, "4 shards", resultFiles(t, filepath.Join(sharded, "tiny")), want)
	// Summaries agree too.
	_, a, _ := cli(t, "sweep", "summarize", filepath.Join(one, "tiny"), "--csv")
	_, b, _ := cli(t, "sweep", "summarize", filepath.Join(sharded, "tiny"), "--csv")
	if a != b || !strings.Contains(a, "ever_sanctioned") {
		t.Errorf("summaries differ:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "point,population.regions.south.cameras_per_1000,tiers.caps.0.best,metric,n,mean") {
		t.Errorf("csv header: %s", strings.SplitN(a, "\n", 2)[0])
	}
	code, stdout, _ = cli(t, "sweep", "summarize", filepath.Join(one, "tiny"), "--point", "1")
	if code != 0 || !strings.Contains(stdout, "point 1: population.regions.south.cameras_per_1000=50 tiers.caps.0.best=trustworthy") ||
		!strings.Contains(stdout, "best_tier_share_uyghur") {
		t.Errorf("--point 1: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = cli(t, "sweep", "summarize", filepath.Join(one, "tiny"), "--json", "--metric", "ever_sanctioned")
	var js []map[string]any
	if err := json.Unmarshal([]byte(stdout), &js); code != 0 || err != nil || len(js) != 4 || js[0]["ci95_low"] == nil {
		t.Errorf("--json: exit %d, %v\n%s", code, err, stdout)
	}
	if code, _, stderr := cli(t, "sweep", "summarize", filepath.Join(one, "tiny"), "--point", "4"); code != 2 || !strings.Contains(stderr, "points 0 to 3") {
		t.Errorf("--point 4: exit %d %s", code, stderr)
	}
}

func TestSweepResumeAfterKill(t *testing.T) {
	file := writeSweep(t, smallSweep)
	out := t.TempDir()
	if code, _, stderr := cli(t, "sweep", file, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(out, "tiny")
	want := resultFiles(t, dir)
	// What kill -9 leaves: a run directory without its fragments, a run
	// whose audit fragment never appeared, temporary files.
	os.Remove(filepath.Join(dir, "results", "daily-p0001-r00.parquet"))
	os.Remove(filepath.Join(dir, "results", "audit-p0001-r00.parquet"))
	os.Remove(filepath.Join(dir, "results", "audit-p0003-r01.parquet"))
	os.MkdirAll(filepath.Join(dir, ".staging", ".tmp-p0002-r00-123"), 0o755)
	os.WriteFile(filepath.Join(dir, "results", ".tmp-audit-p0003-r01.parquet-99"), []byte("torn"), 0o644)

	code, _, stderr := cli(t, "sweep", file, "--out", out, "--quiet")
	if code != 2 || !strings.Contains(stderr, "--resume") {
		t.Errorf("without --resume: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := cli(t, "sweep", file, "--out", out, "--resume", "--quiet")
	if code != 0 {
		t.Fatalf("--resume: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "8 runs here (6 already done, 2 run now, 0 failed)") {
		t.Errorf("resume summary: %s", stdout)
	}
	sameResults(t, "resumed", resultFiles(t, dir), want)
	// The directory argument works too, and a finished sweep has nothing to do.
	code, stdout, _ = cli(t, "sweep", dir, "--resume", "--quiet")
	if code != 0 || !strings.Contains(stdout, "8 already done, 0 run now") {
		t.Errorf("resume by directory: exit %d, %s", code, stdout)
	}
	// A changed sweep file cannot reuse the directory.
	changed := writeSweep(t, strings.Replace(smallSweep, "seed: 3", "seed: 4", 1))
	code, _, stderr = cli(t, "sweep", changed, "--out", out, "--resume", "--quiet")
	if code != 2 || !strings.Contains(stderr, "different sweep") {
		t.Errorf("changed sweep: exit %d, %s", code, stderr)
	}
}

func TestSweepInterruptedExits130(t *testing.T) {
	file := writeSweep(t, smallSweep)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if code := run(ctx, []string{"sweep", file, "--out", out, "--quiet"}, &o, &e); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, e.String())
	}
	if !strings.Contains(e.String(), "--resume") {
		t.Errorf("no hint to resume: %s", e.String())
	}
	frags, _ := filepath.Glob(filepath.Join(out, "tiny", "results", "*"))
	runs, _ := filepath.Glob(filepath.Join(out, "tiny", "runs", "*"))
	if len(frags)+len(runs) != 0 {
		t.Errorf("an interrupted sweep left %v %v", frags, runs)
	}
}

func TestSweepBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		args       []string
		want       string // in stderr; FILE stands for the sweep file
	}{
		{"syntax", "name: x\nscenario: [\n", nil, "FILE:2:11"},
		{"unknown key", strings.Replace(smallSweep, "replicates: 2", "replicate: 2", 1), nil, "FILE:6:1"},
		{"unknown path", strings.Replace(smallSweep, "tiers.caps.0.best", "tiers.cap.0.best", 1), nil, "FILE:11:11: tiers.cap.0.best=average does not apply"},
		{"bad value", strings.Replace(smallSweep, "[average, trustworthy]", "[average, excellent]", 1), nil, "FILE:12:23: tiers.caps.0.best=excellent does not apply to scenario xinjiang-pilot: unknown tier"},
		{"bad also path", strings.Replace(smallSweep, "regions.north.", "regions.west.", 1), nil, "FILE:9:12: "},
		{"unknown design", smallSweep + "design: {type: factorial}\n", nil, "FILE:13:16: design type \"factorial\""},
		{"yaml tag", strings.Replace(smallSweep, "name: tiny", "name: !!str tiny", 1), nil, "FILE:1:7: YAML tags, anchors and aliases are not supported"},
		{"no name", strings.Replace(smallSweep, "name: tiny\n", "", 1), nil, "name is required"},
		{"unknown scenario", strings.Replace(smallSweep, "xinjiang-pilot", "xinjiang-pliot", 1), nil, "FILE:2:11"},
		{"unknown metric", smallSweep + "metrics: [ever_sanctoned]\n", nil, "FILE:13:11: metrics: unknown audit metric \"ever_sanctoned\" (did you mean \"ever_sanctioned\"?)"},
		{"sobol samples", strings.Replace(smallSweep, "values: [50, 400]", "min: 1\n    max: 2", 1) + "design: {type: sobol, samples: 10}\n", nil, "power of two"},
		{"shard range", smallSweep, []string{"--shard", "4/4"}, "--shard \"4/4\""},
		{"shard syntax", smallSweep, []string{"--shard", "1of4"}, "expected I/N"},
		{"shard auto", smallSweep, []string{"--shard", "auto/4"}, "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"},
		{"emit", smallSweep, []string{"--emit", "pbs"}, "choose slurm or k8s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeSweep(t, tc.text)
			args := append([]string{"sweep", file, "--out", t.TempDir(), "--quiet"}, tc.args...)
			t.Setenv("SLURM_ARRAY_TASK_ID", "")
			t.Setenv("JOB_COMPLETION_INDEX", "")
			code, _, stderr := cli(t, args...)
			want := strings.ReplaceAll(tc.want, "FILE", file)
			if code != 2 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, want)
			}
		})
	}
	code, _, stderr := cli(t, "sweep", "summarize", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "not a sweep directory") {
		t.Errorf("summarize of a non-sweep: exit %d, %s", code, stderr)
	}
}

func TestSweepEmit(t *testing.T) {
	file := writeSweep(t, smallSweep)
	out := t.TempDir()
	code, stdout, stderr := cli(t, "sweep", file, "--out", out, "--emit", "slurm", "--emit-shards", "4", "--nosedive", "/opt/nosedive")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"#!/bin/bash", "#SBATCH --array=0-3", "#SBATCH --cpus-per-task=2", "exec '/opt/nosedive' sweep '" + file + "'",
		"--shard auto/4", "--output=" + filepath.Join(out, "tiny", "logs")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("sbatch script lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "tiny", "logs")); err != nil {
		t.Errorf("--emit slurm did not create the log directory: %v", err)
	}
	code, stdout, stderr = cli(t, "sweep", file, "--emit", "k8s", "--emit-shards", "3", "--image", "ghcr.io/x/nosedive:1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(stdout), &job); err != nil {
		t.Fatalf("--emit k8s is not a batch/v1 Job: %v\n%s", err, stdout)
	}
	c := job.Spec.Template.Spec.Containers[0]
	if *job.Spec.Completions != 3 || *job.Spec.Parallelism != 3 || c.Image != "ghcr.io/x/nosedive:1" {
		t.Errorf("completions %d parallelism %d image %q", *job.Spec.Completions, *job.Spec.Parallelism, c.Image)
	}
	wantArgs := []string{"sweep", "/data/sweep.yaml", "--out", "/data/runs", "--shard", "auto/3", "--jobs", "2", "--quiet"}
	if diff := cmp.Diff(c.Args, wantArgs); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	code, _, stderr = cli(t, "sweep", file, "--emit", "k8s", "--pvc", "Bad_Claim")
	if code != 2 || !strings.Contains(stderr, `volume claim "Bad_Claim"`) {
		t.Errorf("bad --pvc: exit %d, %s", code, stderr)
	}
}

func TestSensitivityMorrisAndSobol(t *testing.T) {
	morris := `name: m
scenario: xinjiang-pilot
agents: 300
days: 20
parameters:
  - path: population.regions.south.cameras_per_1000
    min: 10
    max: 400
  - path: surveillance.channels.cameras.per_camera
    min: 0.001
    max: 0.01
design: {type: morris, trajectories: 3, levels: 4, seed: 1}
`
	out := t.TempDir()
	if code, _, stderr := cli(t, "sweep", writeSweep(t, morris), "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := cli(t, "sensitivity", filepath.Join(out, "m"), "--metric", "ever_sanctioned")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"Morris elementary effects, 3 trajectories", "mu*", "surveillance.channels.cameras.per_camera"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("morris output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "only 3 trajectories") {
		t.Errorf("no small-sample warning: %s", stderr)
	}
	code, _, stderr = cli(t, "sensitivity", filepath.Join(out, "m"), "--metric", "ever_sanctoned")
	if code != 2 || !strings.Contains(stderr, "no metric") {
		t.Errorf("unknown metric: exit %d %s", code, stderr)
	}

	sobol := strings.Replace(morris, "name: m", "name: s", 1)
	sobol = strings.Replace(sobol, "{type: morris, trajectories: 3, levels: 4, seed: 1}", "{type: sobol, samples: 4}", 1)
	if code, _, stderr := cli(t, "sweep", writeSweep(t, sobol), "--out", out, "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = cli(t, "sensitivity", filepath.Join(out, "s"), "--metric", "ever_sanctioned", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, `"S1"`) || !strings.Contains(stderr, "N = 4") {
		t.Errorf("sobol: %s\n%s", stdout, stderr)
	}
	var got []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, `"parameter"`) {
			got = append(got, strings.TrimSpace(l))
		}
	}
	if diff := cmp.Diff(len(got), 2); diff != "" {
		t.Errorf("parameters in JSON: %v", got)
	}
}
