package runner

import (
	"fmt"
	"io"
	"runtime"

	"github.com/nosedive-lab/nosedive/internal/buildinfo"
)

// WriteStart writes what `nosedive run` says before it starts spec: a
// warning when the ledger will be large (over 1 GiB in memory), then the
// run's size, seed and workers (all cores when spec.Workers is 0).
func WriteStart(w io.Writer, spec Spec) {
	if n, b := LedgerEstimate(spec.Scenario, spec.Agents, spec.Days, spec.Ledger); b > 1<<30 {
		fmt.Fprintf(w, "nosedive: warning: --ledger %s will record about %d score changes (%.1f GiB in memory, several GiB on disk); consider sample:0.01\n",
			spec.Ledger, n, float64(b)/(1<<30))
	}
	workers := spec.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(w, "nosedive: running %s: %d agents x %d days, seed %d, %d workers\n",
		spec.Scenario.Name, spec.Agents, spec.Days, spec.Seed, workers)
}

// WriteVersion writes what `nosedive version` prints: the version, Go
// and platform, the commit the binary was built from (and whether it
// came from git, for a go run build) and whether that tree was modified.
func WriteVersion(w io.Writer) error {
	b, bi := Build(), buildinfo.Read()
	commit := b.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information)"
	case bi.Source == "git":
		commit += " (from git: a go run build)"
	}
	_, err := fmt.Fprintf(w, "nosedive %s (%s, %s/%s)\ncommit:   %s\nmodified: %v\n",
		b.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, commit, b.Modified)
	return err
}
