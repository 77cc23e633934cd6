package cluster

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Kubernetes is a sweep as a Kubernetes Indexed Job: index i runs shard i
// (Kubernetes sets JOB_COMPLETION_INDEX in each pod). All pods mount one
// PersistentVolumeClaim that holds the sweep file and the store root.
type Kubernetes struct {
	Job
	Image     string // container image with nosedive on its PATH
	Claim     string // PersistentVolumeClaim shared by all indexes (ReadWriteMany)
	Mount     string // where the claim is mounted in each pod, e.g. /data
	SweepFile string // the sweep file's name on the volume, under Mount
}

// Names of the parts of the Job, fixed so that users can refer to them.
const (
	ContainerName = "sweep"
	VolumeName    = "data"
	// RetriesPerShard times the number of shards is the Job's backoff
	// limit: pod failures the whole Job tolerates before it fails.
	RetriesPerShard = 3
)

// JobName is the Job's name: "nosedive-<sweep>" as a DNS-1123 label
// (lower case; '_' and '.' become '-'), cut to 52 characters so that the
// pods' names (name-index-suffix) stay within Kubernetes' limits.
func JobName(sweep string) string {
	name := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace("nosedive-" + sweep))
	if len(name) > 52 {
		name = name[:52]
	}
	return strings.TrimRight(name, "-")
}

// StoreRoot is the store root on the volume: the sweep directory is
// StoreRoot/<sweep>.
func (k *Kubernetes) StoreRoot() string { return path.Join(k.Mount, "runs") }

func (k *Kubernetes) check() error {
	if err := k.Job.Check(); err != nil {
		return err
	}
	var bad []string
	if k.Image == "" {
		bad = append(bad, "no image")
	}
	if !path.IsAbs(k.Mount) {
		bad = append(bad, fmt.Sprintf("mount path %q is not absolute", k.Mount))
	}
	if errs := validation.IsDNS1123Subdomain(k.Claim); len(errs) > 0 {
		bad = append(bad, fmt.Sprintf("volume claim %q: %s", k.Claim, strings.Join(errs, "; ")))
	}
	if errs := validation.IsDNS1123Label(JobName(k.Sweep)); len(errs) > 0 {
		bad = append(bad, fmt.Sprintf("job name %q: %s", JobName(k.Sweep), strings.Join(errs, "; ")))
	}
	if k.SweepFile == "" || strings.Contains(k.SweepFile, "/") {
		bad = append(bad, fmt.Sprintf("sweep file %q is not a file name", k.SweepFile))
	}
	if len(bad) > 0 {
		return fmt.Errorf("kubernetes job for sweep %s: %s", k.Sweep, strings.Join(bad, "; "))
	}
	return nil
}

// Manifest builds the Indexed Job.
func (k *Kubernetes) Manifest() (*batchv1.Job, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	shards := int32(k.Shards)
	indexed := batchv1.IndexedCompletion
	backoff := int32(RetriesPerShard * k.Shards)
	mem := resource.MustParse(strconv.FormatUint(k.MemoryMiB, 10) + "Mi")
	cpu := resource.MustParse(strconv.Itoa(k.CPUsPerTask))
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: JobName(k.Sweep)},
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &shards,
			Parallelism:    &shards,
			BackoffLimit:   &backoff,
			Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers: []corev1.Container{{
						Name:    ContainerName,
						Image:   k.Image,
						Command: []string{"nosedive"},
						Args: []string{"sweep", path.Join(k.Mount, k.SweepFile), "--out", k.StoreRoot(),
							"--shard", "auto/" + strconv.Itoa(k.Shards), "--jobs", strconv.Itoa(k.CPUsPerTask), "--quiet"},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: VolumeName, MountPath: k.Mount}},
					}},
					Volumes: []corev1.Volume{{
						Name: VolumeName,
						VolumeSource: corev1.VolumeSource{
							PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.Claim},
						},
					}},
				},
			},
		},
	}, nil
}

// WriteKubernetes writes the Job as a YAML manifest for kubectl apply,
// after comments that say how to use it.
func WriteKubernetes(w io.Writer, k *Kubernetes) error {
	job, err := k.Manifest()
	if err != nil {
		return err
	}
	body, err := yaml.Marshal(job)
	if err != nil {
		return fmt.Errorf("kubernetes job for sweep %s: %w", k.Sweep, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `# nosedive sweep %[1]s: %[2]d runs in %[3]d shards, as a Kubernetes Indexed Job.
# Put %[4]s (and any scenario file it names) on the volume claim %[5]s,
# then: kubectl apply -f THIS_FILE. Each index i runs shard i (from
# JOB_COMPLETION_INDEX); a retried index skips the runs it finished.
# Results: %[6]s/%[1]s/results/ on the volume.
`, k.Sweep, k.Runs, k.Shards, k.SweepFile, k.Claim, k.StoreRoot())
	b.Write(body)
	_, err = w.Write(b.Bytes())
	return err
}
