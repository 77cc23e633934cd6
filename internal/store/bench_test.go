package store

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// benchRun is the benchmark scenario's state after a few days on n agents,
// with its manifest and daily aggregates.
func benchRun(b *testing.B, n, days int) (*Manifest, *sim.Final, []*daily.Day) {
	b.Helper()
	sc, err := scenario.Resolve("benchmark", nil)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		b.Fatal(err)
	}
	e := sim.New(sc, prog, population.Generate(sc, n, 1), days, 1, sim.Options{})
	var out []*daily.Day
	for range days {
		d, _, err := e.Step()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, d.Clone()) // Step rewrites d tomorrow
	}
	m := &Manifest{Names: NamesOf(sc, e.ContribNames())}
	return m, e.Final(), out
}

// BenchmarkWriteAgents writes agents.parquet for 1,000,000 agents.
func BenchmarkWriteAgents(b *testing.B) {
	const n = 1_000_000
	m, f, _ := benchRun(b, n, 3)
	path := filepath.Join(b.TempDir(), AgentsFile)
	b.ResetTimer()
	for b.Loop() {
		fh, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := writeAgents(fh, m, f); err != nil {
			b.Fatal(err)
		}
		fh.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWriteDaily writes a year of daily aggregates.
func BenchmarkWriteDaily(b *testing.B) {
	m, _, days := benchRun(b, 10_000, 365)
	b.ResetTimer()
	for b.Loop() {
		if err := writeDaily(nopFile(b), m, days); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(days))*float64(b.N)/b.Elapsed().Seconds(), "days/s")
}

func nopFile(b *testing.B) *os.File {
	fh, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fh.Close() })
	return fh
}

var _ = io.Discard
