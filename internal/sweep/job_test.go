package sweep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/cluster"
	"sigs.k8s.io/yaml"
)

// TestWriteJob: a Slurm job array of the asked shards with its log
// directory made, a Kubernetes Job that parses back with the sweep's
// memory per task, and names a scheduler refuses as bad input.
func TestWriteJob(t *testing.T) {
	s := load(t, head+"replicates: 2\nparameters:\n  - {path: tiers.caps.0.best, values: [average, trustworthy]}\n")
	dir := filepath.Join(t.TempDir(), "out", s.Name)
	o := JobOptions{Kind: "slurm", Shards: 4, CPUsPerTask: 2, SweepFile: "/data/t.yaml", Out: filepath.Dir(dir), Dir: dir,
		Binary: "/opt/nosedive", Image: "nosedive:1", Claim: "data", Mount: "/data"}
	var b bytes.Buffer
	if err := WriteJob(&b, s, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#SBATCH --array=0-3\n") || !strings.Contains(b.String(), "/opt/nosedive") {
		t.Errorf("slurm script:\n%s", b.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !st.IsDir() {
		t.Errorf("log directory: %v", err)
	}
	b.Reset()
	o.Kind = "k8s"
	if err := WriteJob(&b, s, o); err != nil {
		t.Fatal(err)
	}
	var job struct {
		Spec struct {
			Completions int `json:"completions"`
			Template    struct {
				Spec struct {
					Containers []struct {
						Image     string `json:"image"`
						Resources struct {
							Requests map[string]string `json:"requests"`
						} `json:"resources"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b.Bytes(), &job); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	perRun, err := RunMemory(s)
	if err != nil || perRun == 0 {
		t.Fatal(perRun, err)
	}
	c := job.Spec.Template.Spec.Containers
	if job.Spec.Completions != 4 || len(c) != 1 || c[0].Image != "nosedive:1" || c[0].Resources.Requests["memory"] != strconv.FormatUint(cluster.TaskMemoryMiB(perRun, 2), 10)+"Mi" {
		t.Errorf("k8s job %+v\n%s", job, b.String())
	}
	o.Claim = "Bad_Claim"
	var ie *InputError
	if err := WriteJob(&b, s, o); !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "--emit k8s: ") {
		t.Errorf("bad claim: %v", err)
	}
	for _, bad := range []JobOptions{{Kind: "pbs", Shards: 4, CPUsPerTask: 2}, {Kind: "slurm", Shards: 0, CPUsPerTask: 2},
		{Kind: "k8s", Shards: cluster.MaxShards + 1, CPUsPerTask: 2}, {Kind: "slurm", Shards: 4, CPUsPerTask: cluster.MaxCPUsPerTask + 1}} {
		b.Reset()
		if err := WriteJob(&b, s, bad); !errors.As(err, &ie) || b.Len() != 0 {
			t.Errorf("%+v: %v, want an InputError and nothing written", bad, err)
		}
	}
}
