package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/spf13/cobra"
)

type runOptions struct {
	agents, days, workers int
	seed                  uint64
	out                   string
	sets                  []string
	ledger                string
	quiet                 bool
	maxMemory             string
	checkpointEvery       int
	name                  string
	strict                bool
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario (built-in name or YAML file) and write a run directory",
		Long: `Run a scenario on a synthetic population, day by day, and write
DIR/<run-id>/ with run.json, daily.parquet, agents.parquet and, unless
--ledger none, ledger.parquet (see docs/store-format.md). A summary is
printed at the end. The run directory appears only when complete.`,
		Example: `  nosedive run xinjiang-pilot
  nosedive run benchmark --agents 1000000 --days 365 --workers 2
  nosedive run my-regime.yaml --seed 7 --out /tmp/runs
  nosedive run xinjiang-pilot --set tiers.caps.0.best=trustworthy   # lift the group cap
  nosedive run court-blacklist --ledger all --agents 10000`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), o, args[0], cmd.Flags().Changed, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.agents, "agents", 0, "number of synthetic citizens (default: the scenario's run.agents)")
	f.IntVar(&o.days, "days", 0, "days to simulate (default: the scenario's run.days)")
	f.Uint64Var(&o.seed, "seed", 0, "random seed (default: the scenario's run.seed)")
	f.IntVar(&o.workers, "workers", 0, "worker threads (default: all cores); results do not depend on it")
	f.StringVar(&o.out, "out", "runs", "directory that receives the run directory")
	f.StringArrayVar(&o.sets, "set", nil, "override a scenario value by dotted path, e.g. --set scoring.rules.alcohol.amount=-10 (repeatable)")
	f.StringVar(&o.ledger, "ledger", "", "score-change ledger: none, sample:FRACTION or all (default: the scenario's run.ledger)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.maxMemory, "max-memory", "", "refuse runs estimated above this size, e.g. 8GiB")
	f.StringVar(&o.name, "name", "", "label the run, e.g. --name 'cap lifted' (shown by runs, report and the lab; part of the run id)")
	f.BoolVar(&o.strict, "strict", false, "refuse a scenario with warnings (see nosedive validate): exit 2")
	f.IntVar(&o.checkpointEvery, "checkpoint-every", 0, "write a resumable checkpoint every K days (0: none); see `nosedive resume`")
	return cmd
}

func runRun(ctx context.Context, o runOptions, name string, changed func(string) bool, stdout, stderr io.Writer) error {
	sc, err := resolve(ctx, name, o.sets)
	if err != nil {
		return err
	}
	if err := checkRunName(o.name); err != nil {
		return err
	}
	if err := scenarioWarnings(stderr, sc, o.strict); err != nil {
		return err
	}
	spec := runner.Spec{Scenario: sc, Sets: o.sets, Name: o.name, Agents: sc.Run.Agents, Days: sc.Run.Days, Seed: sc.Run.Seed,
		Workers: o.workers, Ledger: sc.Run.Ledger, OutDir: o.out}
	if changed("agents") {
		if o.agents < 2 || o.agents > scenario.MaxAgents {
			return badInput("--agents must be between 2 and %d, got %d", scenario.MaxAgents, o.agents)
		}
		if d := sc.Network.Degree; sc.Network.Model != "none" && o.agents <= d {
			return badInput("--agents %d is too few for network.degree %d", o.agents, d)
		}
		spec.Agents = o.agents
	}
	if changed("days") {
		if o.days < 1 || o.days > scenario.MaxDays {
			return badInput("--days must be between 1 and %d, got %d", scenario.MaxDays, o.days)
		}
		spec.Days = o.days
	}
	if changed("seed") {
		spec.Seed = o.seed
	}
	if o.workers < 0 || o.workers > 1024 {
		return badInput("--workers must be between 0 (all cores) and 1024, got %d", o.workers)
	}
	if changed("ledger") {
		if _, err := scenario.ParseLedger(o.ledger); err != nil {
			return badInput("--ledger: %v", err)
		}
		spec.Ledger = o.ledger
	}
	if o.maxMemory != "" {
		b, err := parseBytes(o.maxMemory)
		if err != nil {
			return badInput("--max-memory: %v", err)
		}
		spec.MaxMemory = b
	}
	if o.checkpointEvery < 0 || o.checkpointEvery > scenario.MaxDays {
		return badInput("--checkpoint-every must be a number of days >= 0")
	}
	spec.CheckpointEvery = o.checkpointEvery
	spec.Warn = func(msg string) { fmt.Fprintln(stderr, "nosedive: warning:", msg) }
	if !o.quiet {
		var finish func()
		spec.Progress, finish = dayProgress(stderr, spec.Days)
		defer finish()
	}
	if n, b := runner.LedgerEstimate(sc, spec.Agents, spec.Days, spec.Ledger); b > 1<<30 {
		fmt.Fprintf(stderr, "nosedive: warning: --ledger %s will record about %d score changes (%.1f GiB in memory, several GiB on disk); consider sample:0.01\n",
			spec.Ledger, n, float64(b)/(1<<30))
	}
	fmt.Fprintf(stderr, "nosedive: running %s: %d agents x %d days, seed %d, %d workers\n",
		sc.Name, spec.Agents, spec.Days, spec.Seed, workersOf(o.workers))
	res, err := runner.Execute(ctx, spec)
	if err != nil {
		return err
	}
	return printSummary(stdout, sc, res)
}

// resolve loads a scenario, giving up when ctx is done: a signal during
// loading stops the command at once (the loader, bounded on its own, is
// left to finish in the background of a process that is exiting).
func resolve(ctx context.Context, name string, sets []string) (*scenario.Scenario, error) {
	type result struct {
		sc  *scenario.Scenario
		err error
	}
	done := make(chan result, 1)
	go func() {
		sc, err := scenario.Resolve(name, sets)
		done <- result{sc, err}
	}()
	select {
	case r := <-done:
		return r.sc, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func workersOf(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// dayProgress reports a run's days through the one progress meter: a bar
// with ETA on a terminal, a plain line at every tenth of the run otherwise.
func dayProgress(w io.Writer, days int) (report func(day, days int), finish func()) {
	m := progress.New(w, days, "days", progress.Options{Bar: progress.IsTerminal(w)})
	return func(d, _ int) { m.Set(d, "") }, m.Finish
}

// maxBytes is the largest size parseBytes accepts (8 EiB: the Go
// runtime's memory limit is an int64).
const maxBytes = 1 << 63

// parseBytes parses a size such as 512MiB, 8GiB or 1.5GB: a finite,
// positive decimal number and a unit, at least 1 byte and below 8 EiB.
// NaN, Inf, negative, zero, overflowing and trailing-garbage values are
// refused.
func parseBytes(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	bad := fmt.Errorf("expected a size such as 512MiB or 8GiB, got %q", s)
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		// Plain decimals only: strconv would also take "NaN", "Inf",
		// hexadecimal floats and underscores.
		if num == "" || strings.Trim(num, "0123456789.eE+-") != "" {
			return 0, bad
		}
		x, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, bad
		}
		b := x * u.mult
		switch {
		case !(b >= 1):
			return 0, fmt.Errorf("%q is below one byte", s)
		case b >= maxBytes:
			return 0, fmt.Errorf("%q is too large (the limit is 8 EiB)", s)
		}
		return uint64(b), nil
	}
	return 0, bad
}

// printSummary prints tier shares and sanction rates per group, events,
// flags and timings.
func printSummary(w io.Writer, sc *scenario.Scenario, res *runner.Result) error {
	m := res.Manifest
	nm := m.Names
	last := res.Last
	fmt.Fprintf(w, "%s: %d agents x %d days, seed %d\n", sc.Name, m.Agents, m.Days, m.Seed)
	printRunLabel(w, m)
	if sc.Description != "" {
		fmt.Fprintf(w, "%s\n", sc.Description)
	}
	fmt.Fprintln(w)
	// Per group, summed over regions.
	type agg struct {
		n, detained, kids int64
		sum               int64
		tier, sanc, flag  []int64
	}
	groups := make([]agg, len(nm.Groups))
	total := agg{tier: make([]int64, len(nm.Tiers)), sanc: make([]int64, len(nm.Sanctions)), flag: make([]int64, len(nm.Flags))}
	for g := range groups {
		groups[g] = agg{tier: make([]int64, len(nm.Tiers)), sanc: make([]int64, len(nm.Sanctions)), flag: make([]int64, len(nm.Flags))}
	}
	add := func(a *agg, c *daily.Cell) {
		a.n += c.Agents
		a.sum += c.ScoreSum
		a.detained += c.Detained
		a.kids += c.ChildrenBlocked
		for k := range c.Tier {
			a.tier[k] += c.Tier[k]
		}
		for k := range c.Sanction {
			a.sanc[k] += c.Sanction[k]
		}
		for k := range c.Flag {
			a.flag[k] += c.Flag[k]
		}
	}
	for c := range last.Cells {
		add(&groups[last.Cells[c].Group], &last.Cells[c])
		add(&total, &last.Cells[c])
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "group\tagents\tmean score\t"
	for _, t := range nm.Tiers {
		header += t + "\t"
	}
	for _, s := range nm.Sanctions {
		header += s + "\t"
	}
	fmt.Fprintln(tw, header)
	row := func(name string, a agg) {
		line := fmt.Sprintf("%s\t%d\t%.1f\t", name, a.n, float64(a.sum)/rule.Scale/float64(max(a.n, 1)))
		for _, x := range a.tier {
			line += pct(x, a.n) + "\t"
		}
		for _, x := range a.sanc {
			line += pct(x, a.n) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	for g, name := range nm.Groups {
		row(name, groups[g])
	}
	row("all", total)
	tw.Flush()
	fmt.Fprintf(w, "\n(tier and sanction columns: share of the group at day %d)\n\n", m.Days)

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "behaviour\tattempted\tdetected\tblocked\t")
	for b, name := range nm.Behaviours {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", name, res.Totals.Attempted[b], res.Totals.Detected[b], res.Totals.Blocked[b])
	}
	tw.Flush()
	fmt.Fprintln(w)
	for k, f := range nm.Flags {
		fmt.Fprintf(w, "flagged %s: %d\n", f, total.flag[k])
	}
	if total.detained > 0 {
		fmt.Fprintf(w, "detained at the end: %d (%s)\n", total.detained, pct(total.detained, total.n))
	}
	if total.kids > 0 {
		fmt.Fprintf(w, "school-age children kept out of top schools: %d\n", total.kids)
	}
	fmt.Fprintf(w, "acquaintance graph: %s, mean degree %.2f, clustering %.3f\n", m.Graph.Model, m.Graph.MeanDegree, m.Graph.Clustering)
	t := m.Timings
	rate := float64(m.Agents) * float64(m.Days) / max(t.Simulate, 1e-9)
	fmt.Fprintf(w, "time: setup %.2fs, simulate %.2fs (%.1fM agent-days/s), write %.2fs\n", t.Setup, t.Simulate, rate/1e6, t.Write)
	fmt.Fprintf(w, "run directory: %s\n", res.Dir)
	return nil
}

func pct(x, n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(x)/float64(n))
}
