package sim

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the simulation core free of storage, report and web
// code (docs/architecture.md).
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/store", "/internal/runner", "/internal/report", "/internal/web", "/internal/audit"} {
			if strings.HasSuffix(dep, banned) {
				t.Errorf("internal/sim imports %s", dep)
			}
		}
	}
}
