package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/nosedive-lab/nosedive/internal/progress"
	"github.com/nosedive-lab/nosedive/internal/runner"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// This file holds `nosedive sweep`'s flow around Execute: the plan said
// before the runs, progress while they run, the outcome after, and what
// to do when interrupted.

// Console reports a sweep run from the command line: the plan and
// progress go to Err, the outcome to Out.
type Console struct {
	Out, Err io.Writer
	Quiet    bool // no progress meter (the plan and failures are still said)
	// ResumeHint is the command that continues the sweep, said when it is
	// interrupted.
	ResumeHint string
}

// Execute runs s as Execute does, with opt.Jobs 0 meaning one run per
// core and opt.Workers set to share the cores between the runs. It says
// the plan (points, replicates, runs, size and the memory of one run)
// first, reports each finished run on a progress meter and each failure
// on a line of its own, and ends with the counts and the sweep directory;
// when ctx ends it says how many runs are done and how to continue.
func (c Console) Execute(ctx context.Context, s *Sweep, opt Options) (*Outcome, error) {
	if opt.Jobs == 0 {
		opt.Jobs = runtime.NumCPU()
	}
	opt.Workers = max(1, runtime.NumCPU()/opt.Jobs)
	perRun, err := RunMemory(s)
	if err != nil {
		return nil, err
	}
	where := ""
	if opt.Shards > 1 {
		where = fmt.Sprintf(", shard %d/%d", opt.Shard, opt.Shards)
	}
	fmt.Fprintf(c.Err, "nosedive: sweep %s: %d points x %d replicates = %d runs (%s design%s), %d agents x %d days each, %d at once (about %s of memory each)\n",
		s.Name, len(s.Points), s.Replicates, s.Runs(), s.Design.Type, where, s.Agents, s.Days, opt.Jobs, humanBytes(perRun))
	finish := func() {}
	if !c.Quiet {
		opt.Progress, finish = progressMeter(c.Err)
	}
	out, err := Execute(ctx, s, opt)
	finish()
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		done := 0
		if out != nil {
			done = out.Skipped + out.Done
		}
		fmt.Fprintf(c.Err, "\nnosedive: sweep %s stopped: %d runs done; unfinished runs left nothing behind. Continue with: %s\n",
			s.Name, done, c.ResumeHint)
		return out, err
	case err != nil:
		return out, err
	}
	fmt.Fprintf(c.Out, "sweep %s: %d runs here (%d already done, %d run now, %d failed) in %s\n", s.Name, out.Runs, out.Skipped,
		out.Done, out.Failed, out.Elapsed.Round(time.Millisecond))
	if out.Failed > 0 {
		fmt.Fprintf(c.Out, "failed runs are listed in %s; --resume runs them again\n", filepath.Join(opt.Dir, FailuresFile))
	}
	_, err = fmt.Fprintf(c.Out, "sweep directory: %s\n", opt.Dir)
	return out, err
}

// RunMemory is the memory one run of the sweep needs, estimated on the
// scenario of its first point (runner.EstimateMemory).
func RunMemory(s *Sweep) (uint64, error) {
	sc, err := scenario.Load(s.ScenarioFile, []byte(s.ScenarioText), s.PointSets(0))
	if err != nil {
		return 0, err
	}
	return runner.EstimateMemory(sc, s.Agents), nil
}

// progressMeter reports finished runs on a progress meter (a bar on a
// terminal, plain lines otherwise) and every failure as a line of its own.
// The meter starts with the first report, which says how many runs this
// process has to do; finish clears the bar.
func progressMeter(w io.Writer) (report func(Progress), finish func()) {
	var once sync.Once
	var m *progress.Meter
	report = func(p Progress) {
		once.Do(func() { m = progress.New(w, p.Total, "runs done", progress.Options{Bar: progress.IsTerminal(w)}) })
		if p.Err != nil {
			m.Note(fmt.Sprintf("nosedive: run %s failed: %v", p.Last.ID, p.Err))
		}
		detail := fmt.Sprintf("%d failed", p.Failed)
		if p.Skipped > 0 {
			detail += fmt.Sprintf(" (%d done before)", p.Skipped)
		}
		m.Set(p.Done+p.Failed, detail)
	}
	return report, func() {
		if m != nil {
			m.Finish()
		}
	}
}

func humanBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}
