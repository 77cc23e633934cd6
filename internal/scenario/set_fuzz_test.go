package scenario

import (
	"errors"
	"testing"
)

// FuzzSet feeds arbitrary --set overrides to the loader on a valid
// scenario: it must never panic, and a rejected override must come back as
// positioned diagnostics (Errors), like any other bad input.
func FuzzSet(f *testing.F) {
	src, err := BuiltinSource("benchmark")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"run.agents=5000", "scoring.rules.alcohol.amount=-10", "tiers.caps.0.best=trustworthy",
		"population.regions.all.share=1", "scoring.rules.0.when=score > 3", "a=", "=b", "x.y.z=[1,2]", "scoring.range=3",
		"behaviours.buy_alcohol.rate=1/0", "run.seed=-1", "network.model=ring"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, set string) {
		_, err := Load("benchmark.yaml", src, []string{set})
		if err == nil {
			return
		}
		var se Errors
		if !errors.As(err, &se) || len(se) == 0 {
			t.Fatalf("--set %q: error %T %v is not positioned diagnostics", set, err, err)
		}
	})
}
