package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/parquet-go/parquet-go"
)

// TestResumeRefusesOtherVersion: a sweep records the nosedive that made it,
// its fragments say which run and nosedive they come from, and resuming
// it with another nosedive is refused naming both versions.
func TestResumeRefusesOtherVersion(t *testing.T) {
	s := load(t, head+"replicates: 1\nparameters:\n  - {path: tiers.caps.0.best, values: [average]}\n")
	dir := filepath.Join(t.TempDir(), s.Name)
	if _, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Nosedive != runner.Build() || m.Nosedive.Version == "" {
		t.Errorf("sweep.json nosedive %+v, want %+v", m.Nosedive, runner.Build())
	}
	for _, frag := range []string{dailyFragment(m.Runs[0].ID), auditFragment(m.Runs[0].ID)} {
		kv := keyValues(t, filepath.Join(dir, ResultsDir, frag))
		if kv["nosedive.run_id"] != m.Runs[0].ID || kv["nosedive.sweep"] != s.Name || kv["nosedive.version"] != runner.Version ||
			kv["nosedive.seed"] == "" || len(kv["nosedive.scenario_sha256"]) != 64 {
			t.Errorf("%s: key-value metadata %v", frag, kv)
		}
	}

	was := runner.Version
	defer func() { runner.Version = was }()
	runner.Version = "v9.9.9"
	_, err = Execute(context.Background(), s, Options{Dir: dir, Jobs: 1, Resume: true})
	var ce *ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "made by nosedive "+was) ||
		!strings.Contains(err.Error(), "this is nosedive v9.9.9") {
		t.Fatalf("resume with another version: %v, want a ConflictError naming %s and v9.9.9", err, was)
	}
	// A shard is a resume too.
	if _, err := Execute(context.Background(), s, Options{Dir: dir, Jobs: 1, Shard: 0, Shards: 2}); !errors.As(err, &ce) {
		t.Errorf("shard with another version: %v", err)
	}
}

func keyValues(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, e := range pf.Metadata().KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	return kv
}
