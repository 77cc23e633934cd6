package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/runner"
)

// TestAddTwins: the twins are asked for by name, the regime-free one
// first; a rule that changes no score (capOnly's r_act, amount 0) has a
// twin identical to the run, so every effect of ablating it is 0 and its
// metrics without the rule are those with it; a twin that cannot be made
// stops the audit with its error.
func TestAddTwins(t *testing.T) {
	r := makeRun(t, capOnly, 2000, 20)
	rep, err := Compute(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	twin := func(ctx context.Context, name string) (string, error) {
		asked = append(asked, name)
		return runner.Twin(ctx, r.Dir, name, 1)
	}
	if err := AddTwins(context.Background(), rep, r, true, []string{"r_act"}, twin); err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, " ") != "no-regime ablate-r_act" || len(rep.Chilling) == 0 || len(rep.Ablations) != 1 {
		t.Fatalf("asked %v, chilling %d, ablations %d", asked, len(rep.Chilling), len(rep.Ablations))
	}
	ab := rep.Ablations[0]
	if ab.Rule != "r_act" || len(ab.Effect) == 0 || len(ab.Effect) != len(ab.Metrics) {
		t.Fatalf("ablation %+v", ab)
	}
	for k, v := range ab.Effect {
		if v != 0 || ab.Without[k] != ab.Metrics[k] {
			t.Errorf("%s: with %v, without %v, effect %v; want no effect", k, ab.Metrics[k], ab.Without[k], v)
		}
	}
	if rule, ok := AblatedRule("ablate-r_act"); !ok || rule != "r_act" {
		t.Errorf("AblatedRule: %q %v", rule, ok)
	}
	boom := errors.New("no twin")
	err = AddTwins(context.Background(), rep, r, false, []string{"r_act"}, func(context.Context, string) (string, error) { return "", boom })
	if !errors.Is(err, boom) {
		t.Errorf("a failed twin: %v", err)
	}
}
