package cluster

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("%s differs (-got +want; -update rewrites it):\n%s", name, diff)
	}
}

var job = Job{Sweep: "xinjiang-sweep_full.v2", Runs: 80, Shards: 8, CPUsPerTask: 2, MemoryMiB: 480}

func k8s() *Kubernetes {
	return &Kubernetes{Job: job, Image: "registry.example.org/nosedive:v1", Claim: "nosedive-data", Mount: "/data",
		SweepFile: "xinjiang-sweep-full.yaml"}
}

// TestKubernetesJobParsesBack parses the manifest as kubectl would
// (strictly, into the API types) and checks it field by field.
func TestKubernetesJobParsesBack(t *testing.T) {
	var b bytes.Buffer
	if err := WriteKubernetes(&b, k8s()); err != nil {
		t.Fatal(err)
	}
	golden(t, "job.yaml", b.Bytes())
	var got batchv1.Job
	if err := yaml.UnmarshalStrict(b.Bytes(), &got); err != nil {
		t.Fatalf("the manifest does not parse as a batch/v1 Job: %v\n%s", err, b.String())
	}
	if got.APIVersion != "batch/v1" || got.Kind != "Job" {
		t.Errorf("apiVersion %q kind %q", got.APIVersion, got.Kind)
	}
	if got.Name != "nosedive-xinjiang-sweep-full-v2" {
		t.Errorf("name %q", got.Name)
	}
	s := got.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || *s.Completions != 8 || s.Parallelism == nil || *s.Parallelism != 8 {
		t.Errorf("completions %v parallelism %v, want 8 and 8", s.Completions, s.Parallelism)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 24 {
		t.Errorf("backoffLimit %v, want 3 x 8", s.BackoffLimit)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("restartPolicy %q", pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Name != "sweep" || c.Image != "registry.example.org/nosedive:v1" {
		t.Errorf("container %q image %q", c.Name, c.Image)
	}
	if diff := cmp.Diff(c.Command, []string{"nosedive"}); diff != "" {
		t.Errorf("command: %s", diff)
	}
	wantArgs := []string{"sweep", "/data/xinjiang-sweep-full.yaml", "--out", "/data/runs", "--shard", "auto/8", "--jobs", "2", "--quiet"}
	if diff := cmp.Diff(c.Args, wantArgs); diff != "" {
		t.Errorf("args (-got +want):\n%s", diff)
	}
	for _, q := range []struct {
		what string
		got  resource.Quantity
		want string
	}{
		{"requests.cpu", c.Resources.Requests[corev1.ResourceCPU], "2"},
		{"requests.memory", c.Resources.Requests[corev1.ResourceMemory], "480Mi"},
		{"limits.memory", c.Resources.Limits[corev1.ResourceMemory], "480Mi"},
	} {
		if q.got.Cmp(resource.MustParse(q.want)) != 0 {
			t.Errorf("%s = %s, want %s", q.what, q.got.String(), q.want)
		}
	}
	if len(c.Resources.Requests) != 2 || len(c.Resources.Limits) != 1 {
		t.Errorf("resources %v", c.Resources)
	}
	if diff := cmp.Diff(c.VolumeMounts, []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}); diff != "" {
		t.Errorf("volumeMounts: %s", diff)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].Name != "data" || pod.Volumes[0].PersistentVolumeClaim == nil ||
		pod.Volumes[0].PersistentVolumeClaim.ClaimName != "nosedive-data" {
		t.Errorf("volumes %+v", pod.Volumes)
	}
	// What was written is what Manifest built, nothing more or less.
	want, err := k8s().Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&got, want); diff != "" {
		t.Errorf("parsed manifest differs from the built one (-got +want):\n%s", diff)
	}
}

func TestJobName(t *testing.T) {
	for _, tc := range []struct{ sweep, want string }{
		{"xinjiang-sweep", "nosedive-xinjiang-sweep"},
		{"My_Sweep.2", "nosedive-my-sweep-2"},
		{"ends-with-", "nosedive-ends-with"},
		{strings.Repeat("a", 42) + "-b", "nosedive-" + strings.Repeat("a", 42)},
		{strings.Repeat("x", 80), "nosedive-" + strings.Repeat("x", 43)},
	} {
		got := JobName(tc.sweep)
		if got != tc.want {
			t.Errorf("JobName(%q) = %q, want %q", tc.sweep, got, tc.want)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 || len(got) > 52 {
			t.Errorf("JobName(%q) = %q is not a DNS-1123 label of at most 52 characters: %v", tc.sweep, got, errs)
		}
	}
}

func TestKubernetesRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Kubernetes)
		want string
	}{
		{"claim", func(k *Kubernetes) { k.Claim = "Data Claim" }, "volume claim \"Data Claim\""},
		{"mount", func(k *Kubernetes) { k.Mount = "data" }, "mount path \"data\" is not absolute"},
		{"image", func(k *Kubernetes) { k.Image = "" }, "no image"},
		{"shards", func(k *Kubernetes) { k.Shards = 0 }, "0 shards: must be 1 to 100000"},
		{"cpus", func(k *Kubernetes) { k.CPUsPerTask = 2000 }, "2000 cores per task"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := k8s()
			tc.edit(k)
			err := WriteKubernetes(&bytes.Buffer{}, k)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func slurm(t *testing.T) *Slurm {
	t.Helper()
	s, err := NewSlurm(Job{Sweep: "xinjiang-sweep", Runs: 12, Shards: 4, CPUsPerTask: 1, MemoryMiB: 358},
		"/opt/it's here/nosedive", "/work/examples/xinjiang-sweep.yaml", "/scratch/runs", "/scratch/runs/xinjiang-sweep")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSlurmScript checks the script against its golden file, as bash
// reads it (bash -n), and line by line as sbatch reads it.
func TestSlurmScript(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSlurm(&b, slurm(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.sbatch", b.Bytes())
	if _, err := exec.LookPath("bash"); err == nil {
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = bytes.NewReader(b.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
	} else {
		t.Log("no bash: syntax not checked")
	}
	sbatch := map[string]string{}
	var exec string
	for _, line := range strings.Split(b.String(), "\n") {
		if opt, ok := strings.CutPrefix(line, "#SBATCH "); ok {
			k, v, _ := strings.Cut(opt, "=")
			sbatch[k] = v
		}
		if strings.HasPrefix(line, "exec ") {
			exec = line
		}
	}
	want := map[string]string{"--job-name": "nosedive-xinjiang-sweep", "--array": "0-3", "--cpus-per-task": "1", "--mem": "358M",
		"--output": "/scratch/runs/xinjiang-sweep/logs/slurm-%A_%a.out"}
	if diff := cmp.Diff(sbatch, want); diff != "" {
		t.Errorf("#SBATCH lines (-got +want):\n%s", diff)
	}
	wantExec := `exec '/opt/it'\''s here/nosedive' sweep '/work/examples/xinjiang-sweep.yaml' --out '/scratch/runs' --shard auto/4 --jobs "${SLURM_CPUS_PER_TASK:-1}" --quiet`
	if exec != wantExec {
		t.Errorf("exec line:\n got %s\nwant %s", exec, wantExec)
	}
}

// TestSlurmQuotesEveryPath runs the exec line's words through bash with a
// stand-in binary, so that a path with quotes, spaces and $ survives.
func TestSlurmQuotesEveryPath(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, `it's a "bin" $HOME`)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "a sweep; rm -rf x.yaml")
	s, err := NewSlurm(Job{Sweep: "s", Runs: 1, Shards: 2, CPUsPerTask: 3, MemoryMiB: 300}, bin, file, filepath.Join(dir, "out"), filepath.Join(dir, "out", "s"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteSlurm(&b, s); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", b.String()).Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	want := []string{"sweep", file, "--out", filepath.Join(dir, "out"), "--shard", "auto/2", "--jobs", "3", "--quiet"}
	if diff := cmp.Diff(strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), want); diff != "" {
		t.Errorf("arguments the binary got (-got +want):\n%s", diff)
	}
}

func TestSlurmRejects(t *testing.T) {
	j := Job{Sweep: "s", Runs: 1, Shards: 1, CPUsPerTask: 1, MemoryMiB: 300}
	for _, tc := range []struct{ out, want string }{
		{"/scratch/my runs", "holds a space or '%'"},
		{"/scratch/100%", "holds a space or '%'"},
	} {
		_, err := NewSlurm(j, "/bin/nosedive", "/s.yaml", tc.out, tc.out+"/s")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--out %q: got %v, want %q", tc.out, err, tc.want)
		}
	}
}

func TestTaskMemoryMiB(t *testing.T) {
	// 1.5 x 100 MiB x 2 runs + 256 MiB.
	if got := TaskMemoryMiB(100<<20, 2); got != 556 {
		t.Errorf("got %d MiB, want 556", got)
	}
}
