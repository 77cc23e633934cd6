package runner

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nosedive-lab/nosedive/internal/scenario"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// BenchResult is one measured run of the engine without output writing.
type BenchResult struct {
	Scenario        string  `json:"scenario"`
	Agents          int     `json:"agents"`
	Days            int     `json:"days"`
	Workers         int     `json:"workers"`
	SetupSeconds    float64 `json:"setup_s"`               // population and network
	SimulateSeconds float64 `json:"simulate_s"`            // the day loop
	AgentDaysPerSec float64 `json:"agent_days_per_s"`      // agents x days / (setup + simulate)
	StepAgentDays   float64 `json:"step_agent_days_per_s"` // agents x days / simulate
	PeakRSS         uint64  `json:"peak_rss_bytes"`
	BytesPerAgent   float64 `json:"peak_bytes_per_agent"`
	// The acquaintance graph: "ring" (compact) or "plain" (CSR, kept when
	// an expression reads acq.*), and its bytes per agent.
	GraphForm          string  `json:"graph_form"`
	GraphBytesPerAgent float64 `json:"graph_bytes_per_agent"`
	// CPU time of the day loop per agent-day (all workers together): on a
	// shared machine it varies far less than wall-clock throughput.
	CPUNanosPerAgentDay float64 `json:"cpu_ns_per_agent_day"`
	Cores               int     `json:"cores"`
	GoVersion           string  `json:"go_version"`
	CPU                 string  `json:"cpu"`
}

// Bench runs a scenario in memory and measures it. Peak memory is the
// process's high-water mark, so run one bench per process for clean numbers.
func Bench(ctx context.Context, sc *scenario.Scenario, agents, days, workers int, seed uint64) (*BenchResult, error) {
	prog, err := sc.Compile()
	if err != nil {
		return nil, err
	}
	limit := memoryLimit(0)
	if need := EstimateMemory(sc, agents); limit.Bytes > 0 && need > limit.Bytes {
		return nil, &MemoryError{Need: need, Have: limit.Bytes, Agents: agents, Limit: limit.Source}
	}
	softMemoryLimit(limit)
	t0 := time.Now()
	pop, err := generate(ctx, sc, prog, agents, seed)
	if err != nil {
		return nil, err
	}
	releaseSetupMemory()
	eng, err := newEngine(ctx, sc, prog, pop, days, seed, sim.Options{Workers: workers})
	if err != nil {
		return nil, err
	}
	t1, c1 := time.Now(), cpuTime()
	for d := 0; d < days; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, _, err := eng.Step(); err != nil {
			return nil, err
		}
	}
	t2, c2 := time.Now(), cpuTime()
	r := &BenchResult{Scenario: sc.Name, Agents: agents, Days: days, Workers: eng.Workers(),
		SetupSeconds: t1.Sub(t0).Seconds(), SimulateSeconds: t2.Sub(t1).Seconds(),
		Cores: runtime.NumCPU(), GoVersion: runtime.Version(), CPU: cpuModel(),
		GraphForm: "plain", GraphBytesPerAgent: float64(pop.Graph.Bytes()) / float64(agents)}
	if pop.Graph.Compacted() {
		r.GraphForm = "ring"
	}
	ad := float64(agents) * float64(days)
	r.AgentDaysPerSec = ad / t2.Sub(t0).Seconds()
	r.StepAgentDays = ad / r.SimulateSeconds
	r.CPUNanosPerAgentDay = float64(c2-c1) / ad
	r.PeakRSS = peakRSS()
	r.BytesPerAgent = float64(r.PeakRSS) / float64(agents)
	runtime.KeepAlive(eng)
	return r, nil
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reads VmHWM from /proc/self/status (0 where unavailable).
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.IndexByte(line, ':'); i > 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return runtime.GOARCH
}
