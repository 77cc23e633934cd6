package scenario

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nosedive-lab/nosedive/internal/institution"
)

// The defaults an institution gets, and --set overrides of its policy.
func TestInstitutionDefaultsAndSet(t *testing.T) {
	path := filepath.Join("testdata", "good", "institutions.yaml")
	sc, err := loadFile(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := sc.Institutions[0]
	got := map[string]any{"score": x.Score.Src, "by": x.By, "context": x.Context, "every": x.Every, "first": x.First,
		"applicants": x.Applicants.IsSet(), "success": x.Success.IsSet(), "categories": sc.Categories(0)}
	want := map[string]any{"score": `score + (region == "north" ? 50 : 0)`, "by": "group", "context": "credit", "every": 2, "first": 0,
		"applicants": false, "success": false, "categories": []string{"x", "y"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if ip := prog.Institutions[0]; ip.Spec != (institution.Spec{Policy: institution.MaxUtility, Gain: 1, Loss: 1}) || ip.Applicants.Fn != nil {
		t.Errorf("program %+v", ip.Spec)
	}
	sc, err = loadFile(t, path, []string{"institutions.lender.policy=fixed-rate", "institutions.lender.rate=0.3",
		"institutions.lender.loss=4", "institutions.lender.by=region"})
	if err != nil {
		t.Fatal(err)
	}
	prog, err = sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := prog.Institutions[0].Spec, (institution.Spec{Policy: institution.FixedRate, Gain: 1, Loss: 4, Rate: 0.3}); got != want {
		t.Errorf("with --set: %+v, want %+v", got, want)
	}
	if got := sc.Categories(0); !cmp.Equal(got, []string{"north", "south"}) {
		t.Errorf("by region: categories %v", got)
	}
}
