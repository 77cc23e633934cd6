package audit

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nosedive-lab/nosedive/internal/rng"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/store"
	"github.com/nosedive-lab/nosedive/internal/tdist"
)

// Evaluator returns the figures of a twin run in which the named rules are
// switched off (same scenario, seed and random numbers). Attribute calls
// it from several goroutines at once when AttributeOptions.Parallel > 1.
type Evaluator func(ctx context.Context, disabled []string) (map[string]float64, error)

// Method says how Shapley values are computed.
type Method int

const (
	Auto    Method = iota // exact while it is affordable (ExactBudget), else Sampled
	Exact                 // every subset of the rules: 2^n twins
	Sampled               // antithetic permutation pairs
)

// ExactBudget is the most agent-days (twin runs x agents x days) that
// Auto spends on exact Shapley values: 1e10, the 1,024 twins of
// xinjiang-pilot's 10 rules at 20,000 agents x 365 days (7.5e9) but not
// at 100,000 (3.7e10). It is a count, not a time, so that the choice does
// not depend on the machine.
const ExactBudget = 1e10

// ExactMaxRules is the most rules exact values can be forced for (2^20
// twin runs).
const ExactMaxRules = 20

// DefaultPairs is the number of antithetic permutation pairs sampled.
const DefaultPairs = 64

// AttributeOptions tune Attribute.
type AttributeOptions struct {
	// Metrics are the figures attributed: keys of the Evaluator's maps.
	Metrics []string
	Method  Method
	// Pairs of permutations sampled (a permutation and its reverse);
	// default DefaultPairs.
	Pairs int
	// Estimator of sampled values; Twins is KernelSHAP's budget of twin
	// runs (default DefaultKernelTwins).
	Estimator Estimator
	Twins     int
	// EstimatorReason, when set, says why the estimator was chosen; it
	// ends the printed choice of sampled values.
	EstimatorReason string
	Seed            uint64
	// TwinCost is one twin run's agent-days (agents x days), for the
	// choice between exact and sampled values; Budget is the most
	// agent-days exact values may cost (default ExactBudget).
	TwinCost, Budget float64
	// Parallel is how many twins are evaluated at once (default 1).
	Parallel int
	// Plan, when set, receives the choice and its reason once the first
	// two twins (all rules, no rules) have run and timed a twin.
	Plan func(reason string, twins int)
	// Progress, when set, receives the number of twins done.
	Progress func(done int, detail string)
	// Now is the clock that times the first twins (default time.Now).
	Now func() time.Time
}

// Attribute ranks rules by their contribution to each metric:
// leave-one-out (the full regime minus the regime without the rule) and
// Shapley values over rules, which add up to the effect of all rules
// together (efficiency, checked). Shapley values are exact (every subset)
// while 2^n twins cost at most the budget, or when that is no more twins
// than sampling would run; otherwise they are estimated from antithetic
// permutation pairs, each with a 95% interval. The twins needed are known
// before any runs and are evaluated Parallel at a time; results do not
// depend on Parallel.
func Attribute(ctx context.Context, rules []string, eval Evaluator, o AttributeOptions) (*Attribution, error) {
	n := len(rules)
	if err := checkAttributable(n, o.Method); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	all := uint64(1)<<uint(n) - 1
	tw := &twinBatches{ctx: ctx, rules: rules, eval: eval, parallel: max(o.Parallel, 1), progress: o.Progress,
		values: map[uint64]map[string]float64{}}
	est, err := planSampled(n, o)
	if err != nil {
		return nil, err
	}
	t0 := o.Now()
	if err := tw.run([]uint64{all, 0}); err != nil {
		return nil, err
	}
	// Wall time per twin at the parallelism of this first batch (two
	// twins together when Parallel >= 2), for the printed estimate only.
	perTwin := o.Now().Sub(t0) / 2
	exactCost := math.Ldexp(o.TwinCost, n)
	exact := o.Method == Exact || o.Method == Auto && n <= ExactMaxRules && (exactCost <= o.Budget || 1<<uint(n) <= len(est.masks))
	at := &Attribution{Rules: rules, Metrics: o.Metrics, Total: map[string]float64{}, LeaveOneOut: map[string]map[string]float64{},
		Shapley: map[string]map[string]float64{}}
	var masks []uint64
	if exact {
		masks = at.chooseExact(n, o, exactCost, est)
	} else {
		masks = at.chooseSampled(n, o, exactCost, perTwin, est)
	}
	if o.Plan != nil {
		o.Plan(at.Choice, len(masks))
	}
	if err := tw.run(masks); err != nil {
		return nil, err
	}
	v := func(m uint64) map[string]float64 { return tw.values[m] }
	at.leaveOneOut(rules, o.Metrics, all, v)
	if exact {
		exactShapley(at, rules, o.Metrics, v)
	} else if err := est.estimate(at, rules, o.Metrics, v); err != nil {
		return nil, err
	}
	if err := at.checkEfficiency(rules, o.Metrics); err != nil {
		return nil, err
	}
	at.Runs = len(tw.values)
	return at, nil
}

// checkAttributable refuses a number of rules Attribute cannot attribute
// with the method asked for.
func checkAttributable(n int, method Method) error {
	if n == 0 || n > 62 {
		return fmt.Errorf("attribute: %d rules (1 to 62 can be attributed)", n)
	}
	if method == Exact && n > ExactMaxRules {
		return fmt.Errorf("attribute: exact Shapley values over %d rules would take 2^%d twin runs; at most %d rules", n, n, ExactMaxRules)
	}
	return nil
}

// withDefaults returns o with unset pairs, budget and clock defaulted.
func (o AttributeOptions) withDefaults() AttributeOptions {
	if o.Pairs <= 0 {
		o.Pairs = DefaultPairs
	}
	if o.Budget <= 0 {
		o.Budget = ExactBudget
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// twinBatches runs batches of twins (rule masks, bit i set = rule i on)
// and keeps every twin's figures, so that no twin runs twice.
type twinBatches struct {
	ctx      context.Context
	rules    []string
	eval     Evaluator
	parallel int
	progress func(done int, detail string) // AttributeOptions.Progress
	values   map[uint64]map[string]float64
	done     int
}

// run evaluates the twins of masks not yet run, parallel at a time, and
// keeps the figures of those that succeeded.
func (tw *twinBatches) run(masks []uint64) error {
	var todo []uint64
	seen := map[uint64]bool{}
	for _, m := range masks {
		if _, ok := tw.values[m]; !ok && !seen[m] {
			todo = append(todo, m)
			seen[m] = true
		}
	}
	// Twins with more rules on cost more: in a fixed shuffled order
	// the progress meter's estimate of the time left is not biased by
	// running the cheap ones first. Results do not depend on the order.
	slices.SortStableFunc(todo, func(a, b uint64) int { return cmp.Compare(rng.Mix(a), rng.Mix(b)) })
	got, err := evalAll(tw.ctx, tw.rules, tw.eval, todo, tw.parallel, func(m uint64) {
		tw.done++
		if tw.progress != nil {
			tw.progress(tw.done, "last without "+offList(tw.rules, m))
		}
	})
	for k, m := range todo {
		if got[k] != nil {
			tw.values[m] = got[k]
		}
	}
	return err
}

// chooseExact records the choice of exact values and its reason, and
// returns their twins: every subset of the n rules.
func (at *Attribution) chooseExact(n int, o AttributeOptions, exactCost float64, est sampledEstimate) []uint64 {
	all := uint64(1)<<uint(n) - 1
	at.Method = "exact Shapley over all subsets of rules"
	at.Estimator = "exact"
	masks := make([]uint64, 0, 1<<uint(n))
	for s := uint64(0); s <= all; s++ {
		masks = append(masks, s)
	}
	at.Choice = fmt.Sprintf("exact: %d twins of %d rules", len(masks), n)
	switch {
	case o.Method == Exact:
		at.Choice += " (--exact)"
	case exactCost > o.Budget:
		at.Choice += fmt.Sprintf(", no more than %s would take", est.what)
	}
	return masks
}

// chooseSampled records the choice of sampled values and its reason (the
// cost of exact ones, and how long they would take here), and returns the
// estimator's twins.
func (at *Attribution) chooseSampled(n int, o AttributeOptions, exactCost float64, perTwin time.Duration, est sampledEstimate) []uint64 {
	at.Method = est.method
	at.Estimator = o.Estimator.String()
	if o.Estimator == Kernel {
		at.CoalitionPairs = est.pairs
	} else {
		at.Pairs = est.pairs
	}
	masks := est.masks
	if o.Method == Sampled {
		at.Choice = fmt.Sprintf("sampled (--sampled): %s (%d twins)", est.what, len(masks))
	} else {
		at.Choice = fmt.Sprintf("sampled: 2^%d twins would cost %.3g agent-days (budget %.3g)", n, exactCost, o.Budget)
		if perTwin > 0 {
			at.Choice += fmt.Sprintf(", ~%s here", roundDuration(time.Duration(float64(perTwin)*math.Ldexp(1, n))))
		}
		at.Choice += fmt.Sprintf("; %s instead (%d twins)", est.what, len(masks))
	}
	if o.EstimatorReason != "" {
		at.Choice += "; " + o.EstimatorReason
	}
	return masks
}

// leaveOneOut fills in the total effect of all rules and each rule's
// leave-one-out effect, and makes each rule's Shapley map.
func (at *Attribution) leaveOneOut(rules, metrics []string, all uint64, v func(uint64) map[string]float64) {
	full, none := v(all), v(0)
	for _, k := range metrics {
		at.Total[k] = full[k] - none[k]
	}
	for i, r := range rules {
		without := v(all &^ (1 << uint(i)))
		at.LeaveOneOut[r] = map[string]float64{}
		at.Shapley[r] = map[string]float64{}
		for _, k := range metrics {
			at.LeaveOneOut[r][k] = full[k] - without[k]
		}
	}
}

// checkEfficiency sums each metric's Shapley values into Sum and fails
// when they do not add up to the total effect.
func (at *Attribution) checkEfficiency(rules, metrics []string) error {
	at.Sum = map[string]float64{}
	for _, k := range metrics {
		s := 0.0
		for _, r := range rules {
			s += at.Shapley[r][k]
		}
		at.Sum[k] = s
		if d := math.Abs(s - at.Total[k]); d > 1e-9*max(1, math.Abs(at.Total[k])) {
			return fmt.Errorf("attribute: the Shapley values of %s add up to %v, not to the total effect %v (a bug)", k, s, at.Total[k])
		}
	}
	return nil
}

// sampledMasks are the twins sampled Shapley values need, in increasing
// order: all rules, no rules, the leave-one-out twins and every prefix of
// every permutation.
func sampledMasks(n int, perms [][]int) []uint64 {
	all := uint64(1)<<uint(n) - 1
	set := map[uint64]bool{all: true, 0: true}
	for i := range n {
		set[all&^(1<<uint(i))] = true
	}
	for _, p := range perms {
		mask := uint64(0)
		for _, i := range p {
			mask |= 1 << uint(i)
			set[mask] = true
		}
	}
	masks := make([]uint64, 0, len(set))
	for m := range set {
		masks = append(masks, m)
	}
	slices.Sort(masks)
	return masks
}

func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// offList names the rules a mask leaves off.
func offList(rules []string, mask uint64) string {
	off := offRules(rules, mask)
	if len(off) == 0 {
		return "nothing"
	}
	if len(off) == len(rules) {
		return "every rule"
	}
	return strings.Join(off, ",")
}

func offRules(rules []string, mask uint64) []string {
	var off []string
	for k, r := range rules {
		if mask&(1<<uint(k)) == 0 {
			off = append(off, r)
		}
	}
	return off
}

// evalAll evaluates the twins of the masks, parallel at a time, and
// returns their figures in the masks' order. The first error stops the
// work (twins already running finish).
func evalAll(ctx context.Context, rules []string, eval Evaluator, masks []uint64, parallel int, done func(uint64)) ([]map[string]float64, error) {
	out := make([]map[string]float64, len(masks))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range min(parallel, len(masks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				stop := first != nil
				mu.Unlock()
				if stop || k >= len(masks) {
					return
				}
				m, err := eval(ctx, offRules(rules, masks[k]))
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				if err == nil {
					out[k] = m
					done(masks[k])
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, first
}

// exactShapley sums weighted marginal contributions over every subset, in
// the order the first implementation did (so values are unchanged to the
// last bit).
func exactShapley(at *Attribution, rules, metrics []string, v func(uint64) map[string]float64) {
	n := len(rules)
	all := uint64(1)<<uint(n) - 1
	fact := make([]float64, n+1)
	fact[0] = 1
	for k := 1; k <= n; k++ {
		fact[k] = fact[k-1] * float64(k)
	}
	for s := uint64(0); s <= all; s++ {
		ms := v(s)
		size := bits.OnesCount64(s)
		for i, r := range rules {
			if s&(1<<uint(i)) != 0 {
				continue
			}
			mi := v(s | 1<<uint(i))
			w := fact[size] * fact[n-size-1] / fact[n]
			for _, k := range metrics {
				at.Shapley[r][k] += float64(w * (mi[k] - ms[k]))
			}
		}
	}
}

// permutationPairs draws pairs random permutations of n players and
// returns each followed by its reverse (antithetic sampling: a player
// early in one is late in the other, so for games whose marginal
// contributions grow or shrink with the coalition the two errors largely
// cancel).
func permutationPairs(n, pairs int, seed uint64) [][]int {
	key := rng.Key(seed, "attribute/permutations")
	out := make([][]int, 0, 2*pairs)
	for p := range pairs {
		order := make([]int, n)
		for k := range order {
			order[k] = k
		}
		s := rng.NewStream(rng.Sub(key, uint64(p)))
		for k := n - 1; k > 0; k-- {
			j := int(s.Below(uint64(k + 1)))
			order[k], order[j] = order[j], order[k]
		}
		rev := slices.Clone(order)
		slices.Reverse(rev)
		out = append(out, order, rev)
	}
	return out
}

// sampledShapley estimates Shapley values from permutations. With
// antithetic, perms come in pairs (permutationPairs) and the unit of the
// estimate is a pair's mean marginal contribution; otherwise each
// permutation is one unit. Each value gets its standard error and a 95%
// Student-t interval over the units.
func sampledShapley(at *Attribution, rules, metrics []string, perms [][]int, antithetic bool, v func(uint64) map[string]float64) {
	n := len(rules)
	per := 1
	if antithetic {
		per = 2
	}
	units := len(perms) / per
	// y[u][i][k]: unit u's mean marginal contribution of rule i to metric k.
	y := make([][]float64, units)
	nm := len(metrics)
	for u := range y {
		y[u] = make([]float64, n*nm)
		for _, p := range perms[u*per : (u+1)*per] {
			mask := uint64(0)
			prev := v(0)
			for _, i := range p {
				mask |= 1 << uint(i)
				cur := v(mask)
				for k, name := range metrics {
					y[u][i*nm+k] += (cur[name] - prev[name]) / float64(per)
				}
				prev = cur
			}
		}
	}
	setEstimates(at, rules, metrics, units, func(u, i, k int) float64 { return y[u][i*nm+k] }, false,
		func(_, _ int, mean float64) float64 { return mean }, nil)
}

// setEstimates sets every rule's Shapley value, standard error and 95%
// t-interval (m-1 degrees of freedom) for each metric from m units'
// values unit(u, i, k) (rule i, metric k): the units' mean's standard
// error when they are independent (permutation pairs), the jackknife's
// when each is the estimate without one unit (KernelSHAP's pairs). The
// value the interval is centred on is estimate(i, k, mean of the units).
// A value or standard error within tol[k] of 0 (the estimator's rounding,
// when it has some; nil for none) is 0.
func setEstimates(at *Attribution, rules, metrics []string, m int, unit func(u, i, k int) float64, jackknife bool, estimate func(i, k int, mean float64) float64, tol []float64) {
	at.StdErr = map[string]map[string]float64{}
	at.Interval = map[string]map[string][2]float64{}
	t := 0.0
	if m > 1 {
		t = tdist.Quantile975(m - 1)
	}
	for i, r := range rules {
		at.StdErr[r] = map[string]float64{}
		at.Interval[r] = map[string][2]float64{}
		for k, name := range metrics {
			sum := 0.0
			for u := range m {
				sum += unit(u, i, k)
			}
			mean := sum / float64(m)
			ss := 0.0
			for u := range m {
				d := unit(u, i, k) - mean
				ss += float64(d * d)
			}
			se := 0.0
			switch {
			case jackknife:
				se = math.Sqrt(float64(ss*float64(m-1)) / float64(m))
			case m > 1:
				se = math.Sqrt(ss / float64(m-1) / float64(m))
			}
			est := estimate(i, k, mean)
			if tol != nil {
				if math.Abs(est) <= tol[k] {
					est = 0
				}
				if se <= tol[k] {
					se = 0
				}
			}
			at.Shapley[r][name] = est
			at.StdErr[r][name] = se
			at.Interval[r][name] = [2]float64{est - float64(t*se), est + float64(t*se)}
		}
	}
}

// DefaultAttributed are the figures `nosedive attribute` attributes when
// no --metric is given.
var DefaultAttributed = []string{MetricGap, MetricEver, MetricFalse, MetricChildren}

// AttributableFigures lists the figure names attribution accepts for a
// run: the headline figures of sweeps (HeadlineNames) and the run-wide
// forms of claim figures (docs/scenario-language.md, `figure:`), with the
// run's tier and sanction names filled in.
func AttributableFigures(m *store.Manifest) []string {
	names := slices.Clone(HeadlineNames)
	names = append(names, "sanctioned_without_penalised_act", "sanctioned_without_own_loss", "cross_context_detriment", "disproportionate")
	for _, t := range m.Names.Tiers {
		names = append(names, "tier:"+t)
	}
	for _, s := range m.Names.Sanctions {
		names = append(names, "sanction:"+s)
	}
	return names
}

// UnknownFigureError says a figure name is not one attribution knows.
type UnknownFigureError struct {
	Name  string
	Known []string
}

func (e *UnknownFigureError) Error() string {
	return fmt.Sprintf("unknown figure %q%s; figures: %s", e.Name, rule.Suggest(e.Name, e.Known), strings.Join(e.Known, ", "))
}

// CheckFigures returns an *UnknownFigureError for the first name that is
// not in AttributableFigures(m).
func CheckFigures(m *store.Manifest, names []string) error {
	known := AttributableFigures(m)
	for _, n := range names {
		if !slices.Contains(known, n) {
			return &UnknownFigureError{Name: n, Known: known}
		}
	}
	return nil
}

// FigureOf is one attributable figure of an audit, for the whole run.
func FigureOf(rep *Report, name string) float64 {
	if slices.Contains(HeadlineNames, name) {
		return HeadlineFigure(rep, name)
	}
	o := rep.Overall
	kind, arg := scenario.ParseFigure(name)
	switch kind {
	case "sanctioned_without_penalised_act":
		return float64(o.FalseDiscoveryRate.Value)
	case "sanctioned_without_own_loss":
		return float64(o.WithoutOwnLoss.Value)
	case "cross_context_detriment":
		return float64(rep.Art5.CrossContext.Value)
	case "disproportionate":
		return float64(rep.Art5.Proportionality.Disproportionate.Value)
	case "tier":
		return float64(find(o.Tiers, arg).Value)
	case "sanction":
		return float64(find(o.Sanctions, arg).Value)
	}
	panic("audit: unknown figure " + name)
}

// TwinRun makes an auditable Run of a twin held in memory: its agents and
// daily tables are the ones its run directory would hold, and its
// population is the shared one.
func TwinRun(tr *runner.TwinRun) *Run {
	return &Run{Manifest: tr.Manifest, Scenario: tr.Scenario, pop: tr.Pop,
		Agents: store.AgentsTable(tr.Manifest, tr.Final), Daily: store.DailyTable(tr.Manifest, tr.Days)}
}

// TwinFigures returns an Evaluator over the shared setup of twins: each
// call runs one twin in memory with the given workers and returns the
// named figures of its audit.
func TwinFigures(tw *runner.Twins, metrics []string, workers int) Evaluator {
	return func(ctx context.Context, off []string) (map[string]float64, error) {
		tr, err := tw.Run(ctx, runner.TwinOptions{Disabled: off, Workers: workers})
		if err != nil {
			return nil, err
		}
		return FiguresOf(TwinRun(tr), metrics)
	}
}

// FiguresOf audits a run and returns the named figures.
func FiguresOf(r *Run, metrics []string) (map[string]float64, error) {
	rep, err := Compute(r, Options{By: []string{"group"}})
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(metrics))
	for _, k := range metrics {
		out[k] = FigureOf(rep, k)
	}
	return out, nil
}

// WriteAttributionText writes a rule attribution as `nosedive attribute`
// prints it: how the values were computed, then per metric the rules by
// the size of their Shapley value, with intervals (sampled) and
// leave-one-out effects, and the efficiency check.
func WriteAttributionText(out io.Writer, at *Attribution) error {
	w := &stickyWriter{w: out}
	fmt.Fprintf(w, "Rule attribution (%s; %d twin runs of %d agents)\n", at.Method, at.Runs, at.Agents)
	if at.Choice != "" {
		fmt.Fprintf(w, "%s\n", at.Choice)
	}
	metrics := at.Metrics
	if len(metrics) == 0 {
		metrics = DefaultAttributed
	}
	for _, k := range metrics {
		fmt.Fprintf(w, "\n%s: total effect of all rules %+.4g", k, at.Total[k])
		if at.Sum != nil {
			fmt.Fprintf(w, "; Shapley values add up to %+.4g (efficiency holds)", at.Sum[k])
		}
		fmt.Fprintln(w)
		rules := append([]string(nil), at.Rules...)
		sort.SliceStable(rules, func(i, j int) bool { return math.Abs(at.Shapley[rules[i]][k]) > math.Abs(at.Shapley[rules[j]][k]) })
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  rule\tShapley\t95% interval\tleave-one-out\t")
		for _, r := range rules {
			iv := "exact"
			if at.Interval != nil {
				x := at.Interval[r][k]
				iv = fmt.Sprintf("[%+.4g, %+.4g]", x[0], x[1])
			} else if at.StdErr != nil {
				iv = fmt.Sprintf("± %.3g s.e.", at.StdErr[r][k])
			}
			fmt.Fprintf(tw, "  %s\t%+.4g\t%s\t%+.4g\t\n", r, at.Shapley[r][k], iv, at.LeaveOneOut[r][k])
		}
		w.flush(tw)
		if z := at.ZeroWidth(k); len(z) > 0 {
			fmt.Fprintf(w, "  %s\n", ZeroWidthNote(z))
		}
	}
	return w.err
}

// ZeroWidth lists the rules whose sampled 95% interval for metric has no
// width: every sampled pair gave them the same value. Exact values have
// no intervals and are not listed, nor is a metric no rule moves.
func (at *Attribution) ZeroWidth(metric string) []string {
	if !at.Moves(metric) {
		return nil // nothing moved in any twin: the table says so already
	}
	var out []string
	for _, r := range at.Rules {
		if iv, ok := at.Interval[r][metric]; ok && iv[0] == iv[1] {
			out = append(out, r)
		}
	}
	return out
}

// Moves says whether metric changes with the rules at all: a total
// effect, a Shapley value or a leave-one-out difference that is not 0.
func (at *Attribution) Moves(metric string) bool {
	if at.Total[metric] != 0 {
		return true
	}
	for _, r := range at.Rules {
		if at.Shapley[r][metric] != 0 || at.LeaveOneOut[r][metric] != 0 {
			return true
		}
	}
	return false
}

// ZeroWidthNote says what an interval of no width means, for the rules
// ZeroWidth lists: the spread of the sample, not certainty.
func ZeroWidthNote(rules []string) string {
	return fmt.Sprintf("zero-width intervals (%s): every sampled pair gave the same value; that is the spread of the sample, not certainty (a larger sample, --twins or --pairs, tests it)", strings.Join(rules, ", "))
}
