// The flat tables the day loop reads, compiled from the scenario once per
// engine (compileTables and its steps).

package sim

import (
	"math"
	"slices"

	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// compileTables turns the scenario into the flat tables the day loop
// reads: one step per table.
func (e *Engine) compileTables() {
	sc := e.sc
	e.lo, e.hi = toFixed(sc.Scoring.Range[0]), toFixed(sc.Scoring.Range[1])
	behIdx := map[string]int{}
	for i, b := range sc.Behaviours {
		behIdx[b.Name] = i
	}
	e.compileDetection()
	e.compileBehaviours()
	e.compileBlocks(behIdx)
	e.compileSanctions()
	e.compileRecovery()
	e.compileRuleFlags()
	e.compileEventRules(behIdx)
	e.compileTiers()
}

// compileDetection fills e.detect: each behaviour's probability of
// detection per region, from its channel's cameras or fixed rates.
func (e *Engine) compileDetection() {
	sc := e.sc
	chIdx := map[string]int{}
	for i, c := range sc.Surveillance.Channels {
		chIdx[c.Name] = i
	}
	for _, b := range sc.Behaviours {
		ch := sc.Surveillance.Channels[chIdx[b.Channel]]
		row := make([]float64, len(sc.Population.Regions))
		for r, reg := range sc.Population.Regions {
			switch {
			case ch.Detect != nil:
				row[r] = *ch.Detect
			default:
				row[r] = 1 - math.Exp(-ch.PerCamera*reg.CamerasPer1000)
			}
			for _, w := range ch.Where {
				if w.Region == reg.Name {
					row[r] = w.Detect
				}
			}
		}
		e.detect = append(e.detect, row)
	}
}

// compileBehaviours fills e.beh, the hot-loop view of each behaviour, and
// notes whether any behaviour is chilled by its peers.
func (e *Engine) compileBehaviours() {
	for i, b := range e.sc.Behaviours {
		bh := behaviour{rate: e.prog.Rate[i].Value, eligible: e.prog.Eligible[i].Fn, peers: b.Chill.Peers,
			self: b.Chill.Self, memory: b.Chill.Memory, penalised: b.Penalised}
		if !e.prog.Rate[i].Const {
			bh.rateFn = e.prog.Rate[i].Fn
		}
		e.beh = append(e.beh, bh)
		if b.Chill.Peers > 0 {
			e.anyPeerChill = true
		}
	}
}

// compileBlocks fills the sanctions that block each behaviour, those that
// keep children out of school, and the first detaining sanction.
func (e *Engine) compileBlocks(behIdx map[string]int) {
	sc := e.sc
	e.blockMask = make([]uint32, len(sc.Behaviours))
	e.detainSanc = -1
	for s, x := range sc.Sanctions {
		for _, b := range x.Blocks {
			e.blockMask[behIdx[b]] |= 1 << uint(s)
		}
		if x.DenyAccount {
			for b, beh := range sc.Behaviours {
				if beh.Context == "online" {
					e.blockMask[b] |= 1 << uint(s)
				}
			}
		}
		if x.School {
			e.schoolMask |= 1 << uint(s)
		}
		if x.Detain != nil && e.detainSanc < 0 {
			e.detainSanc = s
		}
	}
}

// compileSanctions fills what each sanction's condition reads (a partner),
// whom it targets (children), and which sanctions are decided in batch.
func (e *Engine) compileSanctions() {
	for x, sn := range e.sc.Sanctions {
		e.sancPartner = append(e.sancPartner, e.prog.SanctionWhen[x].Refs.Partner)
		e.sancChildren = append(e.sancChildren, sn.Target == "children")
		if w := e.prog.SanctionWhen[x]; w.Fn != nil && w.Batch != nil && !w.Refs.Acq && !w.Refs.Detained {
			e.batchSanc |= 1 << uint(x)
		}
	}
}

// compileRecovery fills the daily recovery's target, step bounds and the
// flags that stop it.
func (e *Engine) compileRecovery() {
	sc := e.sc
	rec := sc.Scoring.Recovery
	if rec == nil {
		return
	}
	e.recTarget, e.recRate = int64(toFixed(rec.Target)), int64(toFixed(rec.Rate))
	if rec.Direction != "down" { // raises low scores
		e.recMax = e.recRate
	}
	if rec.Direction != "up" { // lowers high ones
		e.recMin = -e.recRate
	}
	for f, name := range sc.FlagNames() {
		if slices.Contains(rec.UnlessFlags, name) {
			e.recoveryUnless |= 1 << uint(f)
		}
	}
}

// compileRuleFlags fills the flags each rule sets.
func (e *Engine) compileRuleFlags() {
	sc := e.sc
	e.ruleFlags = make([]uint32, len(sc.Scoring.Rules))
	for r, ru := range sc.Scoring.Rules {
		for _, f := range ru.SetFlags {
			e.ruleFlags[r] |= 1 << uint(slices.Index(sc.FlagNames(), f))
		}
	}
}

// compileEventRules sorts the rules by what triggers them: a behaviour's
// event, a new partnership, or the calendar (periodic rules).
func (e *Engine) compileEventRules(behIdx map[string]int) {
	sc := e.sc
	e.eventRules = make([][]int, len(sc.Behaviours))
	for r, ru := range sc.Scoring.Rules {
		if _, _, inst := scenario.InstitutionEvent(ru.On); inst {
			continue // an institution's event (institution.go)
		}
		switch {
		case ru.On == scenario.PartneredEvent:
			e.onPartnered = append(e.onPartnered, r)
		case ru.On != "":
			b := behIdx[ru.On]
			e.eventRules[b] = append(e.eventRules[b], r)
		default:
			e.periodicRules = append(e.periodicRules, r)
		}
	}
}

// compileTiers fills the tier thresholds and each cell's best and worst
// tier allowed by the caps.
func (e *Engine) compileTiers() {
	sc := e.sc
	levels := sc.Tiers.Levels
	for _, l := range levels[:len(levels)-1] {
		e.tierMin = append(e.tierMin, toFixed(*l.Min))
	}
	tierIdx := map[string]uint8{}
	for i, l := range levels {
		tierIdx[l.Name] = uint8(i)
	}
	schema := sc.Schema()
	e.capBest = make([]uint8, e.nCells)
	e.capWorst = make([]uint8, e.nCells)
	for r, rn := range schema.Regions {
		for g, gn := range schema.Groups {
			c := r*e.nGroups + g
			e.capBest[c], e.capWorst[c] = 0, uint8(len(levels)-1)
			for _, tc := range sc.Tiers.Caps {
				if (tc.Region == "" || tc.Region == rn) && (tc.Group == "" || tc.Group == gn) {
					if tc.Best != "" {
						e.capBest[c] = max(e.capBest[c], tierIdx[tc.Best])
					}
					if tc.Worst != "" {
						e.capWorst[c] = min(e.capWorst[c], tierIdx[tc.Worst])
					}
				}
			}
		}
	}
}

// behaviour is the hot-loop view of a scenario behaviour.
type behaviour struct {
	rate      float64
	rateFn    rule.NumFn // nil when the rate is constant
	eligible  rule.BoolFn
	peers     float64
	self      float64
	memory    int
	penalised bool
}
