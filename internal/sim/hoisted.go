package sim

// The hoisted columns: the values of a program's static sub-expressions
// (rule.Hoisted) for every agent, computed once from the population.

import (
	"github.com/nosedive-lab/nosedive/internal/par"
	"github.com/nosedive-lab/nosedive/internal/population"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// Static holds the hoisted columns of one program over one population.
// They are a pure function of the two (static sub-expressions read only
// the population's columns, which nothing writes), so they are not part of
// a snapshot: an engine rebuilt for Restore computes them again. Engines of
// the same program and population can share one Static (runner.Twins
// does, through Options.Static): it is only read.
type Static struct {
	prog *scenario.Program
	pop  *population.Population
	cols rule.Columns
}

// NewStatic computes the hoisted columns of prog over pop, on all cores.
func NewStatic(prog *scenario.Program, pop *population.Population) *Static {
	s := &Static{prog: prog, pop: pop, cols: prog.Hoisted.NewColumns(pop.N)}
	if prog.Hoisted == nil || len(prog.Hoisted.List) == 0 {
		return s
	}
	v := &rule.View{Group: pop.Group, Region: pop.Region, Age: pop.Age, Traits: pop.Traits, Kids: pop.Kids}
	par.For(pop.N, ChunkSize, func(lo, hi int) { prog.Hoisted.Fill(s.cols, v, lo, hi) })
	return s
}

// BytesPerAgent is what the hoisted columns of prog cost per agent.
func HoistedBytesPerAgent(prog *scenario.Program) int { return prog.Hoisted.BytesPerAgent() }

// static returns the engine's hoisted columns: the ones its options share,
// which must be of its program and population, or its own.
func (e *Engine) static() *Static {
	if s := e.opt.Static; s != nil {
		if s.prog != e.prog || s.pop != e.pop {
			panic("sim: Options.Static was computed for another program or population")
		}
		return s
	}
	return NewStatic(e.prog, e.pop)
}
