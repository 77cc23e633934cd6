package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// A run of a scenario with an institution offers its institutions.parquet
// in the dashboard's file list and for download.
func TestInstitutionsDownload(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "scenario", "testdata", "good", "institutions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load("institutions.yaml", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "store")
	res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: 200, Days: 3, Seed: 1, Workers: 1, Ledger: "none", OutDir: store})
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(res.Dir)
	s := newServer(t, Config{Store: store})
	audited(t, s, id) // through the lab: the audit reads institutions.parquet
	var d struct{ Files []FileInfo }
	r := call(t, s, "GET", "/api/runs/"+id, "")
	if err := json.Unmarshal([]byte(r.body), &d); err != nil || r.code != 200 {
		t.Fatalf("dashboard: %d %s", r.code, r.body)
	}
	if !slices.ContainsFunc(d.Files, func(f FileInfo) bool { return f.Name == "institutions.parquet" && f.Size > 0 }) {
		t.Errorf("dashboard files %+v: no institutions.parquet", d.Files)
	}
	if r = call(t, s, "GET", "/api/runs/"+id+"/files/institutions.parquet", ""); r.code != 200 || !strings.HasPrefix(r.body, "PAR1") {
		t.Errorf("institutions.parquet: %d", r.code)
	}
}
