package rule

import (
	"strings"
	"testing"
)

// Extra scores (Schema.Scores) read like score: by name, of the partner,
// of acquaintances, in one agent's call and in a batch.
func TestExtraScores(t *testing.T) {
	s := *schema
	s.Scores = []string{"sesame"}
	v := testView()
	v.Scores = [][]int32{{700_000, 500_250, 900_000}}
	for _, c := range []struct {
		src   string
		agent int32
		want  float64
	}{
		{"sesame", 1, 500.25},
		{"partner.sesame", 0, 500.25},
		{"sesame - score", 0, -300},
		{"acq.mean(sesame)", 1, 800},
		{"acq.min(sesame)", 1, 700},
		{"acq.share(sesame >= 650)", 1, 1},
		{"partner.sesame", 2, 0}, // no partner
	} {
		n, err := CompileNum(c.src, &s)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := n.Fn(v, c.agent); got != c.want {
			t.Errorf("%s for agent %d = %g, want %g", c.src, c.agent, got, c.want)
		}
		out := make([]float64, 1)
		n.Batch(v, []int32{c.agent}, out, &Arena{})
		if out[0] != c.want {
			t.Errorf("%s for agent %d in a batch = %g, want %g", c.src, c.agent, out[0], c.want)
		}
	}
	for src, want := range map[string]Fields{"sesame < 550": 0, "partner.sesame < 550": FieldScores,
		"acq.share(sesame < 550) > 0": FieldScores | FieldDetained} {
		b, err := CompileBool(src, &s)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if b.Refs.Others != want {
			t.Errorf("%s: Others = %b, want %b", src, b.Refs.Others, want)
		}
	}
	if _, err := CompileNum("sesam", &s); err == nil || !strings.Contains(err.Error(), `did you mean "sesame"`) {
		t.Errorf("misspelt extra score: %v, want a suggestion", err)
	}
	s.NoState = true
	if _, err := CompileNum("sesame", &s); err == nil || !strings.Contains(err.Error(), "not known before day 0") {
		t.Errorf("extra score before day 0: %v, want refused", err)
	}
}
