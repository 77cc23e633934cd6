package audit

import (
	"context"
	"strings"
)

// TwinFunc returns the directory of a counterfactual twin of the audited
// run, making it when needed: name is "no-regime" or "ablate-RULE"
// (internal/runner's Twin, bound to the run's directory).
type TwinFunc func(ctx context.Context, name string) (string, error)

// AddTwins adds to rep what twins of the run measure: chilling against the
// regime-free twin when noRegime is set, and for each rule of ablate the
// headline metrics with and without it and their difference (with minus
// without), in the order given.
func AddTwins(ctx context.Context, rep *Report, r *Run, noRegime bool, ablate []string, twin TwinFunc) error {
	if noRegime {
		dir, err := twin(ctx, "no-regime")
		if err != nil {
			return err
		}
		if rep.Chilling, err = ComputeChilling(r, dir); err != nil {
			return err
		}
	}
	if len(ablate) == 0 {
		return nil
	}
	with, err := HeadlineMetrics(r)
	if err != nil {
		return err
	}
	for _, rule := range ablate {
		dir, err := twin(ctx, "ablate-"+rule)
		if err != nil {
			return err
		}
		tr, err := Load(dir)
		if err != nil {
			return err
		}
		without, err := HeadlineMetrics(tr)
		if err != nil {
			return err
		}
		ab := Ablation{Rule: rule, Metrics: with, Without: without, Effect: map[string]float64{}}
		for k, v := range with {
			ab.Effect[k] = v - without[k]
		}
		rep.Ablations = append(rep.Ablations, ab)
	}
	return nil
}

// AblatedRule is the rule a twin name "ablate-RULE" removes, and whether
// the name is of that form.
func AblatedRule(twin string) (string, bool) { return strings.CutPrefix(twin, "ablate-") }
