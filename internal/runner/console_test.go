package runner

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

func TestWriteStart(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Spec{Scenario: sc, Agents: 1000, Days: 10, Seed: 3, Workers: 2, Ledger: "none"},
			"nosedive: running benchmark: 1000 agents x 10 days, seed 3, 2 workers\n"},
		{Spec{Scenario: sc, Agents: 1000, Days: 10, Seed: 3, Ledger: "all"},
			fmt.Sprintf("nosedive: running benchmark: 1000 agents x 10 days, seed 3, %d workers\n", runtime.GOMAXPROCS(0))},
	} {
		var b bytes.Buffer
		WriteStart(&b, c.spec)
		if b.String() != c.want {
			t.Errorf("got %q, want %q", b.String(), c.want)
		}
	}
	// A full ledger of ten million people for ten years is tens of GiB.
	var b bytes.Buffer
	WriteStart(&b, Spec{Scenario: sc, Agents: 10_000_000, Days: 3650, Seed: 1, Workers: 1, Ledger: "all"})
	if first, _, _ := strings.Cut(b.String(), "\n"); !strings.HasPrefix(first, "nosedive: warning: --ledger all will record about ") ||
		!strings.HasSuffix(first, " GiB on disk); consider sample:0.01") {
		t.Errorf("no ledger warning: %q", b.String())
	}
}

func TestWriteVersion(t *testing.T) {
	var b bytes.Buffer
	if err := WriteVersion(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	want := fmt.Sprintf("nosedive %s (%s, %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if len(lines) != 4 || lines[0] != want || !strings.HasPrefix(lines[1], "commit:   ") ||
		(lines[2] != "modified: true" && lines[2] != "modified: false") {
		t.Errorf("WriteVersion:\n%s", b.String())
	}
}

// Twins says which twin it runs and leaves it in the run's twins/.
func TestTwins(t *testing.T) {
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Execute(context.Background(), Spec{Scenario: sc, Agents: 300, Days: 3, Seed: 1, Ledger: "none", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	twin := TwinFunc(res.Dir, 1, &b)
	for _, name := range []string{NoRegime, "ablate-alcohol"} {
		dir, err := twin(context.Background(), name)
		if err != nil || dir != filepath.Join(res.Dir, TwinsDir, name) {
			t.Errorf("%s: %q, %v", name, dir, err)
		}
	}
	// Each twin says which it is, then its days go on the shared meter.
	var said []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "nosedive: running") {
			said = append(said, l)
		}
	}
	want := []string{"nosedive: running the no-regime twin of " + filepath.Base(res.Dir), "nosedive: running the twin without rule alcohol"}
	if strings.Join(said, "\n") != strings.Join(want, "\n") || !strings.Contains(b.String(), "days") {
		t.Errorf("TwinFunc said %q, want %q and the day meter", b.String(), want)
	}
}
