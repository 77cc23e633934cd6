// Package rule compiles the scenario language's expressions (expr-lang
// syntax) into typed Go closures over the simulation's column arrays.
//
// Goals: every name is resolved and type-checked once, at validation time,
// with a position for every error; evaluation costs a few nanoseconds per
// agent (no interpreter, no interface boxing, no allocation). Non-goals: the
// full expr-lang language (collections, strings at run time, user functions):
// rules talk about agents, their partner and their acquaintances only.
package rule

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/netgraph"
)

// Scale is the fixed-point scale of scores, daily.ScoreScale: a score is
// stored as an int32 number of 1/Scale points.
const Scale = daily.ScoreScale

// View is the read-only state a compiled expression sees: one slice per
// attribute, indexed by agent. The simulation points it at its start-of-day
// (or end-of-day) buffers; the compiler never copies them.
type View struct {
	Day       int32
	Score     []int32  // fixed point, 1/Scale points
	Tier      []uint8  // index into Schema.Tiers (0 = best)
	Group     []uint8  // index into Schema.Groups
	Region    []uint8  // index into Schema.Regions
	Age       []uint8  // index into Schema.Ages
	Traits    []uint32 // bit t = Schema.Traits[t]
	Flags     []uint32 // bit f = Schema.Flags[f]
	Sanctions []uint32 // bit s = Schema.Sanctions[s]
	Partner   []int32  // -1 = none
	Kids      []uint8  // school-age children
	Detained  []bool
	// Scores are the extra named scores (Schema.Scores), one fixed-point
	// column each, read like Score.
	Scores [][]int32
	Graph  *netgraph.Graph // acquaintances
	// Pop holds the day's population aggregates (see Aggregates), laid
	// out by Aggregate.Slot; the engine rewrites it at the start of the
	// days that read it.
	Pop []float64
	// Rand is the key of the per-agent random numbers draw() reads, one
	// per (day, call site, agent).
	Rand uint64
	// StaticNum and StaticBool are the columns of the hoisted static
	// sub-expressions (Hoisted, Columns), computed once per population.
	StaticNum  [][]float64
	StaticBool [][]bool
}

// Schema lists the names expressions may use, in index order.
type Schema struct {
	Tiers, Groups, Regions, Ages, Traits, Flags, Sanctions []string
	// Scores names the extra per-agent scores beside score (the
	// scenario's scores: section), read by name: View.Scores[k].
	Scores []string
	// Tables are the functions expressions may call by name.
	Tables []*Table
	// Pop collects the population aggregates (pop.*) the expressions
	// compiled with this schema read; nil where they cannot be used (the
	// starting scores).
	Pop *Aggregates
	// NoState is set for expressions evaluated before day 0 (starting
	// scores): they may read who an agent is, not its score or status.
	NoState bool
	// Hoist collects the static sub-expressions of the expressions
	// compiled with this schema (hoist.go); nil compiles every expression
	// in place (the starting scores, evaluated once anyway).
	Hoist *Hoisted
	// draws numbers the draw() call sites, so that each has its own
	// random numbers.
	draws int
}
