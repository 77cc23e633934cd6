package sweep

import (
	"os"
	"path/filepath"

	"github.com/nosedive-lab/nosedive/internal/store"
)

// PointRuns returns the run directories, under the sweep directory dir,
// of design point p's replicates that are done (their run.json exists),
// and the replicates that are not.
func (m *Manifest) PointRuns(dir string, p int) (done []string, notDone []Run) {
	for _, r := range m.Runs {
		if r.Point != p {
			continue
		}
		d := filepath.Join(dir, RunsDir, r.ID)
		if _, err := os.Stat(filepath.Join(d, store.ManifestFile)); err != nil {
			notDone = append(notDone, r)
			continue
		}
		done = append(done, d)
	}
	return done, notDone
}
