package audit

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"gonum.org/v1/gonum/mat"
)

// Estimator says how sampled Shapley values are estimated.
type Estimator int

const (
	// Permutation averages marginal contributions over antithetic
	// permutation pairs (a random order of the rules and its reverse).
	Permutation Estimator = iota
	// Kernel is KernelSHAP: the constrained weighted least-squares fit of
	// an additive game to sampled coalitions (Lundberg & Lee 2017), the
	// coalitions paired with their complements (Covert & Lee 2021).
	Kernel
)

// Estimators are the names --estimator accepts, in Estimator order.
var Estimators = []string{"permutation", "kernel"}

func (e Estimator) String() string {
	if int(e) < len(Estimators) {
		return Estimators[e]
	}
	return fmt.Sprintf("Estimator(%d)", int(e))
}

// ParseEstimator returns the Estimator of a name in Estimators.
func ParseEstimator(s string) (Estimator, error) {
	if i := slices.Index(Estimators, s); i >= 0 {
		return Estimator(i), nil
	}
	return 0, fmt.Errorf("unknown estimator %q; estimators: %s", s, strings.Join(Estimators, ", "))
}

// KernelMinPairs is the fewest sampled coalition pairs KernelSHAP runs
// with: its intervals come from the spread of the pairs, and with fewer
// they cover the truth too rarely (89% at 5 pairs, 94-95% at 9 on games
// of 10 rules; docs/metrics.md).
const KernelMinPairs = 9

// DefaultKernelTwins is KernelSHAP's default budget of twin runs: about
// what the 64 permutation pairs it replaced ran for 10 rules (557 twins
// on average), with errors about half theirs (docs/metrics.md).
const DefaultKernelTwins = 512

// DefaultEstimator estimates sampled values: KernelSHAP, which at equal
// numbers of twins erred by about two thirds of what permutation pairs
// did on xinjiang-pilot (0.55-0.74) and whose intervals covered the exact values
// 94-96% of the time where the permutation pairs' covered 70-95%
// (docs/metrics.md).
const DefaultEstimator = Kernel

// EstimatorReason says why an estimator estimates sampled values, for the
// printed choice: the default's measured advantage, or the flag.
func EstimatorReason(e Estimator, isDefault bool) string {
	if !isDefault {
		return "--estimator " + e.String()
	}
	if e == Kernel {
		return "KernelSHAP by default: at equal twins on xinjiang-pilot its errors were 0.55-0.74 of permutation pairs' and its 95% intervals held (docs/metrics.md)"
	}
	return ""
}

// KernelMinTwins is the smallest twin budget KernelSHAP accepts for n
// rules: all rules, no rules, the n leave-one-out twins, the n
// single-rule twins and KernelMinPairs coalition pairs.
func KernelMinTwins(n int) int {
	return min(2*n+2+2*KernelMinPairs, 1<<uint(n))
}

// kernelDesign is the set of coalitions KernelSHAP regresses on: the
// coalition sizes enumerated in full (strata k and n-k, smallest k
// first) and pairs sampled from the remaining sizes, each a coalition and
// its complement.
type kernelDesign struct {
	n int
	// sizeWeight[k] is the Shapley kernel's mass on coalitions of size k
	// (1 <= k <= n-1), proportional to 1/(k(n-k)) and adding up to 1.
	sizeWeight []float64
	// strata are the sizes k <= n/2 enumerated with their complements
	// n-k; sampledMass is the kernel mass of the other sizes.
	strata      []int
	sampledMass float64
	// pairs are the sampled coalitions (bit i: rule i on); each is
	// evaluated with its complement.
	pairs []uint64
}

// shapleyKernel returns the kernel's mass per coalition size.
func shapleyKernel(n int) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for k := 1; k < n; k++ {
		w[k] = 1 / float64(k*(n-k))
		sum += w[k]
	}
	for k := 1; k < n; k++ {
		w[k] /= sum
	}
	return w
}

// binomial is C(n, k) as a float64 (exact below 2^53).
func binomial(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return math.Round(c)
}

// kernelPlan lays out KernelSHAP within a budget of twins (counting all
// rules, no rules and the leave-one-out twins that attribution always
// runs). Sizes 1 and n-1 are always enumerated: the leave-one-out twins
// are there anyway, the n single-rule twins make the regression full rank
// however few pairs are sampled, and between them they carry 2/H of the
// kernel's mass (H = sum of 1/k(n-k) times n, 39% for 10 rules). Each
// further stratum {k, n-k} is enumerated when the pairs left would be
// expected to draw each of its coalitions at least once (the rule of
// Lundberg & Lee's KernelExplainer): then sampling would mostly repeat
// itself. The rest of the budget is pairs drawn independently (with
// replacement, so that their spread estimates the variance) from the
// kernel on the sizes not enumerated, deterministic from the seed, until
// the budget is full; a pair drawn twice counts twice and costs no extra
// twin. With the budget of 2^n twins every stratum is enumerated and the
// estimate is exact.
func kernelPlan(n, twins int, seed uint64) (kernelDesign, error) {
	return kernelPlanMin(n, twins, seed, KernelMinPairs)
}

// kernelPlanMin is kernelPlan with another least number of pairs (the
// measurements of docs/metrics.md try fewer).
func kernelPlanMin(n, twins int, seed uint64, minPairs int) (kernelDesign, error) {
	d := kernelDesign{n: n, sizeWeight: shapleyKernel(n)}
	if twins < min(2*n+2+2*minPairs, 1<<uint(n)) {
		return d, fmt.Errorf("attribute: KernelSHAP over %d rules needs at least %d twins (all rules, none, %d leave-one-out, %d single rules and %d coalition pairs), not %d",
			n, KernelMinTwins(n), n, n, KernelMinPairs, twins)
	}
	left := twins - 2 - n // all rules, none and the leave-one-out twins
	if n == 2 {
		left += n // the leave-one-out twins are the single rules
	}
	mass := 1.0
	for k := 1; 2*k <= n; k++ {
		pairsIn := binomial(n, k) // coalitions of size k, each paired with its complement
		cost := 2 * pairsIn
		stratumMass := d.sizeWeight[k] + d.sizeWeight[n-k]
		if 2*k == n {
			pairsIn /= 2
			cost /= 2
			stratumMass = d.sizeWeight[k]
		}
		last := 2*k >= n-1
		if k == 1 {
			cost -= float64(n) // the leave-one-out twins are counted already
		} else if !(float64(left/2)*stratumMass/mass >= pairsIn && (last && cost <= float64(left) || cost+float64(2*minPairs) <= float64(left))) {
			break
		}
		left -= int(cost)
		mass -= stratumMass
		d.strata = append(d.strata, k)
	}
	if d.complete() {
		return d, nil
	}
	d.sampledMass = mass
	m := left / 2
	// The sizes still sampled, and the cumulative kernel mass over them.
	lo := d.strata[len(d.strata)-1] + 1
	hi := n - lo
	cum := make([]float64, 0, hi-lo+1)
	c := 0.0
	for k := lo; k <= hi; k++ {
		c += d.sizeWeight[k]
		cum = append(cum, c)
	}
	key := rng.Key(seed, "attribute/kernel")
	order := make([]int, n)
	all := uint64(1)<<uint(n) - 1
	seen := map[uint64]bool{}
	// Draw until m distinct pairs are drawn: a pair drawn again counts
	// in the estimate as every draw does but costs no twin, so the budget
	// is spent in full (stopping on the draws alone, never on the values;
	// the coverage of docs/metrics.md is measured with this rule). The
	// cap is for sampled sizes with fewer pairs than m, which the
	// enumeration rule above takes in full instead.
	for u := 0; len(seen) < m && u < 20*m; u++ {
		s := rng.NewStream(rng.Sub(key, uint64(u)))
		x := s.Float() * c
		k := lo
		for k < hi && cum[k-lo] <= x {
			k++
		}
		// A uniform coalition of size k: the first k of a partial
		// Fisher-Yates shuffle.
		for i := range order {
			order[i] = i
		}
		mask := uint64(0)
		for i := range k {
			j := i + int(s.Below(uint64(n-i)))
			order[i], order[j] = order[j], order[i]
			mask |= 1 << uint(order[i])
		}
		d.pairs = append(d.pairs, mask)
		seen[min(mask, all&^mask)] = true
	}
	return d, nil
}

// complete says whether every coalition size is enumerated (exact).
func (d kernelDesign) complete() bool {
	return d.n == 1 || len(d.strata) > 0 && 2*d.strata[len(d.strata)-1] >= d.n-1
}

// enumerated calls f for every coalition of the enumerated strata with
// its regression weight (the kernel's mass per coalition of its size).
func (d kernelDesign) enumerated(f func(mask uint64, weight float64)) {
	n := d.n
	for _, k := range d.strata {
		sizes := []int{k, n - k}
		if 2*k == n {
			sizes = sizes[:1]
		}
		for _, size := range sizes {
			w := d.sizeWeight[size] / binomial(n, size)
			// Gosper's hack: every n-bit mask with size bits set, in
			// increasing order.
			for m := uint64(1)<<uint(size) - 1; m < 1<<uint(n); {
				f(m, w)
				c := m & -m
				r := m + c
				m = (((r ^ m) >> 2) / c) | r
			}
		}
	}
}

// masks are the twins the design needs, in increasing order, with all
// rules, no rules and the leave-one-out twins.
func (d kernelDesign) masks() []uint64 {
	all := uint64(1)<<uint(d.n) - 1
	set := map[uint64]bool{all: true, 0: true}
	for i := range d.n {
		set[all&^(1<<uint(i))] = true
	}
	d.enumerated(func(m uint64, _ float64) { set[m] = true })
	for _, m := range d.pairs {
		set[m], set[all&^m] = true, true
	}
	out := make([]uint64, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// kernelShapley estimates Shapley values by KernelSHAP on the design's
// coalitions: the weighted least-squares fit of v(S) − v(∅) by Σ_{i∈S} φ_i
// with the Shapley kernel's weights, subject to Σ_i φ_i = v(N) − v(∅)
// exactly (Lundberg & Lee 2017). With A = Σ w_S z_S z_Sᵀ and
// b = Σ w_S z_S (v(S) − v(∅)) over the enumerated coalitions plus the
// sampled pairs' share (sampledMass/m per pair, each pair's terms the
// mean of the coalition's and its complement's: Covert & Lee's paired
// sampling), the solution is
//
//	φ = A⁻¹(b − λ1),  λ = (1ᵀA⁻¹b − v(N) + v(∅)) / 1ᵀA⁻¹1.
//
// The standard errors are the jackknife's over the sampled pairs: φ̂_(u)
// is the estimate with pair u left out (the others' share of the sampled
// mass sampledMass/(m−1) each), and s.e.² = (m−1)/m Σ_u (φ̂_(u) − φ̄)²;
// the intervals are φ̂ ± t_{0.975, m−1} s.e. The delta method's sandwich
// (Covert & Lee's variance of the estimator, from the spread of the
// pairs' terms at φ̂) is far too small with few pairs, whose residuals
// the fit has already absorbed (95% intervals covered 36% at 5 pairs on
// 10 rules; docs/metrics.md); leaving a pair out is what measures its
// pull. The enumerated strata add no variance; when every stratum is
// enumerated the values are exact and there are no intervals.
func kernelShapley(at *Attribution, rules, metrics []string, d kernelDesign, v func(uint64) map[string]float64) error {
	n, nm := len(rules), len(metrics)
	all := uint64(1)<<uint(n) - 1
	none, full := v(0), v(all)
	if n == 1 {
		for _, name := range metrics {
			at.Shapley[rules[0]][name] = full[name] - none[name]
		}
		return nil
	}
	total := make([]float64, nm)
	for k, name := range metrics {
		total[k] = full[name] - none[name]
	}
	// scale[k] is the largest |v(S) − v(∅)| the fit sees for metric k.
	scale := make([]float64, nm)
	for k := range nm {
		scale[k] = math.Abs(total[k])
	}
	// add adds weight·z zᵀ to a and weight·z (v(mask) − v(∅)) to b.
	add := func(a *mat.SymDense, b *mat.Dense, mask uint64, weight float64) {
		vm := v(mask)
		for k, name := range metrics {
			scale[k] = max(scale[k], math.Abs(vm[name]-none[name]))
		}
		for i := range n {
			if mask&(1<<uint(i)) == 0 {
				continue
			}
			for j := i; j < n; j++ {
				if mask&(1<<uint(j)) != 0 {
					a.SetSym(i, j, a.At(i, j)+weight)
				}
			}
			for k, name := range metrics {
				b.Set(i, k, b.At(i, k)+float64(weight*(vm[name]-none[name])))
			}
		}
	}
	// The enumerated part, each pair's terms (the mean of a coalition's
	// and its complement's) and their sums.
	aD, bD := mat.NewSymDense(n, nil), mat.NewDense(n, nm, nil)
	d.enumerated(func(mask uint64, w float64) { add(aD, bD, mask, w) })
	m := len(d.pairs)
	aU, bU := make([]*mat.SymDense, m), make([]*mat.Dense, m)
	aS, bS := mat.NewSymDense(n, nil), mat.NewDense(n, nm, nil)
	for u, s := range d.pairs {
		aU[u], bU[u] = mat.NewSymDense(n, nil), mat.NewDense(n, nm, nil)
		add(aU[u], bU[u], s, 0.5)
		add(aU[u], bU[u], all&^s, 0.5)
		aS.AddSym(aS, aU[u])
		bS.Add(bS, bU[u])
	}
	// solve returns the estimate from the enumerated part and the sums
	// of pairs' terms aP, bP over count pairs.
	solve := func(aP *mat.SymDense, bP *mat.Dense, count int) (*mat.Dense, error) {
		a, b := mat.NewSymDense(n, nil), mat.NewDense(n, nm, nil)
		a.CopySym(aD)
		b.Copy(bD)
		if count > 0 {
			w := d.sampledMass / float64(count)
			var sa mat.SymDense
			sa.ScaleSym(w, aP)
			a.AddSym(a, &sa)
			var sb mat.Dense
			sb.Scale(w, bP)
			b.Add(b, &sb)
		}
		return constrainedSolve(a, b, total)
	}
	phi, err := solve(aS, bS, m)
	if err != nil {
		return err
	}
	// The least-squares solve leaves rounding of the order of 1e-16 of the
	// values it fits: a rule with no effect would show 1e-18 where it has
	// 0, and an interval a hair wide where every pair agreed.
	tol := make([]float64, nm)
	for k := range tol {
		tol[k] = 1e-12 * scale[k]
	}
	for i, r := range rules {
		for k, name := range metrics {
			x := phi.At(i, k)
			if math.Abs(x) <= tol[k] {
				x = 0
			}
			at.Shapley[r][name] = x
		}
	}
	if m == 0 {
		return nil
	}
	// The jackknife: the estimate without each pair in turn.
	loo := make([]*mat.Dense, m)
	for u := range m {
		var a mat.SymDense
		a.ScaleSym(-1, aU[u])
		a.AddSym(&a, aS)
		var b mat.Dense
		b.Sub(bS, bU[u])
		if loo[u], err = solve(&a, &b, m-1); err != nil {
			return err
		}
	}
	setEstimates(at, rules, metrics, m, func(u, i, k int) float64 { return loo[u].At(i, k) }, true,
		func(i, k int, _ float64) float64 { return phi.At(i, k) }, tol)
	return nil
}

// constrainedSolve returns, for each column k of b, the φ that minimises
// φᵀaφ − 2bᵀφ subject to Σ_i φ_i = total[k]: φ = a⁻¹(b − λ1) with
// λ = (1ᵀa⁻¹b − total) / 1ᵀa⁻¹1 (a is positive definite).
//
// The factorisation and the solves are written out here, not taken from
// gonum's Cholesky: gonum's kernels are assembly on amd64 (with their own
// summation order) and Go on arm64, where the compiler fuses multiply-adds,
// so its last bits differ between machines, and attribution values are
// stored. Here every product is rounded before it is added (test/fma) and
// sums run in index order, so the values are the same bits everywhere.
// TestConstrainedSolveMatchesGonum holds it to gonum's to 1e-12.
func constrainedSolve(a *mat.SymDense, b *mat.Dense, total []float64) (*mat.Dense, error) {
	n, nm := b.Dims()
	l, ok := cholesky(a)
	if !ok {
		return nil, fmt.Errorf("attribute: the KernelSHAP design is singular (a bug: sizes 1 and n-1 make it full rank)")
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	ainv1 := cholSolve(l, ones)
	sum1 := 0.0
	for _, x := range ainv1 {
		sum1 += x
	}
	phi := mat.NewDense(n, nm, nil)
	col := make([]float64, n)
	for k := range nm {
		for i := range n {
			col[i] = b.At(i, k)
		}
		ainvb := cholSolve(l, col)
		sumb := 0.0
		for _, x := range ainvb {
			sumb += x
		}
		lambda := (sumb - total[k]) / sum1
		got := 0.0
		for i := range n {
			x := ainvb[i] - float64(lambda*ainv1[i])
			phi.Set(i, k, x)
			got += x
		}
		// The constraint to the last bits: the solve's rounding error
		// (of the order of 1e-16 of the values) spread evenly.
		for i := range n {
			phi.Set(i, k, phi.At(i, k)+(total[k]-got)/float64(n))
		}
	}
	return phi, nil
}

// cholesky returns the lower-triangular L with L Lᵀ = a, row by row, or
// false when a is not positive definite.
func cholesky(a *mat.SymDense) ([][]float64, bool) {
	n := a.SymmetricDim()
	l := make([][]float64, n)
	for i := range n {
		l[i] = make([]float64, i+1)
		for j := 0; j <= i; j++ {
			s := a.At(i, j)
			for k := range j {
				s -= float64(l[i][k] * l[j][k])
			}
			if i == j {
				if !(s > 0) {
					return nil, false
				}
				l[i][i] = math.Sqrt(s)
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	return l, true
}

// cholSolve returns x with L Lᵀ x = b: forward, then back substitution.
func cholSolve(l [][]float64, b []float64) []float64 {
	n := len(l)
	y := make([]float64, n)
	for i := range n {
		s := b[i]
		for k := range i {
			s -= float64(l[i][k] * y[k])
		}
		y[i] = s / l[i][i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= float64(l[k][i] * x[k])
		}
		x[i] = s / l[i][i]
	}
	return x
}

// sampledEstimate is a sampled estimator laid out for a run: the twins it
// needs, what it is (for the printed method and choice) and the function
// that computes the values from the twins.
type sampledEstimate struct {
	masks []uint64
	// method names the estimator, what says how much it samples ("64
	// antithetic permutation pairs").
	method, what string
	pairs        int // permutation pairs or coalition pairs sampled
	estimate     func(at *Attribution, rules, metrics []string, v func(uint64) map[string]float64) error
}

// planSampled lays out the sampled estimator the options ask for.
func planSampled(n int, o AttributeOptions) (sampledEstimate, error) {
	if o.Estimator != Kernel {
		perms := permutationPairs(n, o.Pairs, o.Seed)
		return sampledEstimate{masks: sampledMasks(n, perms), method: "Shapley estimated from antithetic permutation pairs",
			what: fmt.Sprintf("%d antithetic permutation pairs", o.Pairs), pairs: o.Pairs,
			estimate: func(at *Attribution, rules, metrics []string, v func(uint64) map[string]float64) error {
				sampledShapley(at, rules, metrics, perms, true, v)
				return nil
			}}, nil
	}
	twins := o.Twins
	if twins <= 0 {
		twins = DefaultKernelTwins
	}
	d, err := kernelPlan(n, twins, o.Seed)
	if err != nil {
		return sampledEstimate{}, err
	}
	sizes := make([]string, 0, 2*len(d.strata))
	for _, k := range d.strata {
		sizes = append(sizes, fmt.Sprint(k))
	}
	for _, k := range slices.Backward(d.strata) {
		if n-k != k {
			sizes = append(sizes, fmt.Sprint(n-k))
		}
	}
	what := fmt.Sprintf("KernelSHAP, coalitions of %s rules in full and %d sampled with their complements", strings.Join(sizes, ", "), len(d.pairs))
	if d.complete() {
		what = "KernelSHAP on every coalition"
	}
	return sampledEstimate{masks: d.masks(), method: "Shapley estimated by KernelSHAP over paired coalitions",
		what: what, pairs: len(d.pairs),
		estimate: func(at *Attribution, rules, metrics []string, v func(uint64) map[string]float64) error {
			return kernelShapley(at, rules, metrics, d, v)
		}}, nil
}
