package audit

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTwin measures what one twin of an attribution costs: as a
// stand-alone run (its own population, the run directory written, read
// back and audited: what `nosedive attribute` did before twins shared
// their setup) and as a twin of runner.Twins (run in memory on the shared
// setup, audited from memory). Both run on one worker, as attribution runs
// them; the metric is agent-days per CPU-second (user + system time of the
// process, so other load on the machine does not count). Run the pairs
// interleaved (-count repeats each sub-benchmark in a row, so loop
// outside):
//
//	go test -c -o /tmp/audit.test ./internal/audit
//	for i in 1 2 3; do (cd internal/audit && /tmp/audit.test -test.run '^$' -test.bench 'Twin/agents=20000' -test.benchtime 2x); done
func BenchmarkTwin(b *testing.B) {
	sc, err := scenario.Resolve("xinjiang-pilot", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, agents := range []int{20_000, 100_000} {
		days := sc.Run.Days
		out := b.TempDir()
		res, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: agents, Days: 1, Seed: 1, Ledger: "none", OutDir: out})
		if err != nil {
			b.Fatal(err)
		}
		m := *res.Manifest
		m.Days = days
		off := []string{"mosque"}
		report := func(b *testing.B, cpu time.Duration) {
			b.ReportMetric(float64(agents)*float64(days)*float64(b.N)/cpu.Seconds(), "agent-days/cpu-s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/twin")
		}
		b.Run(fmt.Sprintf("agents=%d/standalone", agents), func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				r, err := runner.Execute(context.Background(), runner.Spec{Scenario: sc, Agents: agents, Days: days, Seed: 1, Ledger: "none",
					OutDir: out, ID: "twin", Disabled: off, Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				run, err := Load(r.Dir)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := FiguresOf(run, DefaultAttributed); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(r.Dir) // as attribution did
			}
			report(b, cpuTime()-c0)
		})
		b.Run(fmt.Sprintf("agents=%d/twin", agents), func(b *testing.B) {
			tw, err := runner.NewTwins(context.Background(), &m, 0) // shared: built once per attribution
			if err != nil {
				b.Fatal(err)
			}
			eval := TwinFigures(tw, DefaultAttributed, 1)
			c0 := cpuTime()
			for b.Loop() {
				if _, err := eval(context.Background(), off); err != nil {
					b.Fatal(err)
				}
			}
			report(b, cpuTime()-c0)
		})
	}
}
