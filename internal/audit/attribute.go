package audit

import (
	"context"
	"math"
	"math/bits"
	"sort"

	"github.com/nosedive-lab/nosedive/internal/rng"
)

// Evaluator returns the headline metrics of a twin run in which the named
// rules are switched off (same scenario, seed and random numbers).
type Evaluator func(ctx context.Context, disabled []string) (map[string]float64, error)

// ExactMaxRules is the largest number of rules for which Shapley values are
// computed exactly (2^n twin runs); above it permutations are sampled.
const ExactMaxRules = 12

// Attribute ranks rules by their contribution to each headline metric:
// leave-one-out (the full regime minus the regime without the rule) and
// Shapley values over rules (which add up exactly to the effect of all
// rules together). With more than exactMax rules, Shapley values are
// estimated from perms random permutations, with standard errors.
func Attribute(ctx context.Context, rules []string, eval Evaluator, exactMax, perms int, seed uint64) (*Attribution, error) {
	n := len(rules)
	cache := map[uint64]map[string]float64{}
	runs := 0
	v := func(mask uint64) (map[string]float64, error) { // mask = enabled rules
		if m, ok := cache[mask]; ok {
			return m, nil
		}
		var off []string
		for k, r := range rules {
			if mask&(1<<uint(k)) == 0 {
				off = append(off, r)
			}
		}
		m, err := eval(ctx, off)
		if err != nil {
			return nil, err
		}
		runs++
		cache[mask] = m
		return m, nil
	}
	all := uint64(1)<<uint(n) - 1
	full, err := v(all)
	if err != nil {
		return nil, err
	}
	none, err := v(0)
	if err != nil {
		return nil, err
	}
	metrics := make([]string, 0, len(full))
	for k := range full {
		metrics = append(metrics, k)
	}
	sort.Strings(metrics)
	at := &Attribution{Rules: rules, Total: map[string]float64{}, LeaveOneOut: map[string]map[string]float64{},
		Shapley: map[string]map[string]float64{}}
	for _, k := range metrics {
		at.Total[k] = full[k] - none[k]
	}
	for i, r := range rules {
		without, err := v(all &^ (1 << uint(i)))
		if err != nil {
			return nil, err
		}
		at.LeaveOneOut[r] = map[string]float64{}
		at.Shapley[r] = map[string]float64{}
		for _, k := range metrics {
			at.LeaveOneOut[r][k] = full[k] - without[k]
		}
	}
	if n <= exactMax {
		at.Method = "exact Shapley over all subsets of rules"
		fact := make([]float64, n+1)
		fact[0] = 1
		for k := 1; k <= n; k++ {
			fact[k] = fact[k-1] * float64(k)
		}
		for s := uint64(0); s <= all; s++ {
			ms, err := v(s)
			if err != nil {
				return nil, err
			}
			size := bits.OnesCount64(s)
			for i, r := range rules {
				if s&(1<<uint(i)) != 0 {
					continue
				}
				mi, err := v(s | 1<<uint(i))
				if err != nil {
					return nil, err
				}
				w := fact[size] * fact[n-size-1] / fact[n]
				for _, k := range metrics {
					at.Shapley[r][k] += float64(w * (mi[k] - ms[k]))
				}
			}
		}
	} else {
		at.Method = "Shapley estimated from random permutations of the rules"
		at.StdErr = map[string]map[string]float64{}
		sums := map[string]map[string][2]float64{}
		for _, r := range rules {
			sums[r] = map[string][2]float64{}
			at.StdErr[r] = map[string]float64{}
		}
		key := rng.Key(seed, "attribute/permutations")
		for p := 0; p < perms; p++ {
			order := make([]int, n)
			for k := range order {
				order[k] = k
			}
			s := rng.NewStream(rng.Sub(key, uint64(p)))
			for k := n - 1; k > 0; k-- {
				j := int(s.Below(uint64(k + 1)))
				order[k], order[j] = order[j], order[k]
			}
			mask := uint64(0)
			prev := none
			for _, i := range order {
				mask |= 1 << uint(i)
				cur, err := v(mask)
				if err != nil {
					return nil, err
				}
				for _, k := range metrics {
					d := cur[k] - prev[k]
					x := sums[rules[i]][k]
					sums[rules[i]][k] = [2]float64{x[0] + d, x[1] + float64(d*d)}
				}
				prev = cur
			}
		}
		for _, r := range rules {
			for _, k := range metrics {
				s := sums[r][k]
				mean := s[0] / float64(perms)
				at.Shapley[r][k] = mean
				if perms > 1 {
					vr := (s[1] - float64(float64(perms)*mean*mean)) / float64(perms-1)
					at.StdErr[r][k] = math.Sqrt(max(vr, 0) / float64(perms))
				}
			}
		}
	}
	at.Runs = runs
	return at, nil
}
