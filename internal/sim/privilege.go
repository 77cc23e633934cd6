package sim

// Privileges: decided like sanctions at the end of a day (pass 2), in force
// the next day, where pass 1 reads them: boosted rates, waived charges,
// lifted blocks and periodic rules that come round sooner. A scenario
// without privileges leaves every table here empty and takes none of these
// paths, so its results are unchanged.

import (
	"math/bits"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/rule"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// privileged is the engine's privilege state and tables.
type privileged struct {
	nPriv int
	// priv[i] is the set of privileges agent i holds today. One array
	// serves: pass 1 reads only the agent's own, and pass 2, which writes
	// it, reads no one's.
	priv     []uint32
	privDays []int32 // n x nPriv: days spent under each privilege
	// othersDays[i] counts the days agent i was privileged only through
	// someone else: a partner's household privilege, or a condition that
	// reads the partner or acquaintances.
	othersDays []int32
	// boostBy[b] lists the privileges that raise behaviour b's rate and by
	// how much; boostMax[b] is the most an agent's rate can be raised
	// (the product of every multiplier above 1), 1 when none.
	boostBy  [][]privBoost
	boostMax []float64
	waive    []uint32 // per rule: privileges that give back its charges
	waiveCol []int    // per privilege: its contribution column, -1 none
	lift     []uint32 // per privilege: sanctions whose blocks it lifts
	anyLift  bool
	sooner   [][]privSooner // per rule: shorter periods for the privileged
	// nBooked is the number of contribution columns before recovery: the
	// rules, then the privileges that waive charges.
	nBooked       int
	privPartner   []bool // per privilege: its condition reads the partner
	privOthers    uint32 // privileges whose condition reads a partner or acquaintances
	privHousehold []bool // per privilege: it also goes to the partner
	anyHousehold  bool
}

type privBoost struct {
	bit   uint32
	times float64
}

type privSooner struct {
	bit   uint32
	every int
}

// compilePrivileges fills the privilege tables (after compileTables).
func (e *Engine) compilePrivileges() {
	sc := e.sc
	e.nPriv = len(sc.Privileges)
	e.nBooked = e.nRule
	if e.nPriv == 0 {
		return
	}
	e.priv = make([]uint32, e.n)
	e.privDays = make([]int32, e.n*e.nPriv)
	e.othersDays = make([]int32, e.n)
	behIdx, ruleIdx, sancIdx := map[string]int{}, map[string]int{}, map[string]int{}
	for i, b := range sc.Behaviours {
		behIdx[b.Name] = i
	}
	for i, r := range sc.Scoring.Rules {
		ruleIdx[r.Name] = i
	}
	for i, x := range sc.Sanctions {
		sancIdx[x.Name] = i
	}
	e.boostBy = make([][]privBoost, len(sc.Behaviours))
	e.boostMax = make([]float64, len(sc.Behaviours))
	for b := range e.boostMax {
		e.boostMax[b] = 1
	}
	e.waive = make([]uint32, e.nRule)
	e.sooner = make([][]privSooner, e.nRule)
	for p, x := range sc.Privileges {
		bit := uint32(1) << uint(p)
		for _, bo := range x.Boosts {
			b := behIdx[bo.Behaviour]
			e.boostBy[b] = append(e.boostBy[b], privBoost{bit, bo.Times})
			if bo.Times > 1 {
				e.boostMax[b] *= bo.Times
			}
		}
		col := -1
		if len(x.Waives) > 0 {
			col = e.nBooked
			e.nBooked++
		}
		e.waiveCol = append(e.waiveCol, col)
		for _, r := range x.Waives {
			e.waive[ruleIdx[r]] |= bit
		}
		var lift uint32
		for _, s := range x.Lifts {
			lift |= 1 << uint(sancIdx[s])
		}
		e.lift = append(e.lift, lift)
		e.anyLift = e.anyLift || lift != 0
		for _, so := range x.Sooner {
			r := ruleIdx[so.Rule]
			e.sooner[r] = append(e.sooner[r], privSooner{bit, so.Every})
		}
		refs := e.prog.PrivilegeWhen[p].Refs
		e.privPartner = append(e.privPartner, refs.Partner)
		if refs.Partner || refs.Acq {
			e.privOthers |= bit
		}
		e.privHousehold = append(e.privHousehold, x.Target == "household")
		e.anyHousehold = e.anyHousehold || x.Target == "household"
	}
}

// householdReads is the state household privileges read of another agent:
// a partner's condition is evaluated on the partner, so everything it
// reads of its own agent is read of someone else.
func (e *Engine) householdReads(sc *scenario.Scenario) rule.Fields {
	for _, x := range sc.Privileges {
		if x.Target == "household" {
			return ^rule.Fields(0)
		}
	}
	return 0
}

// waiverNames lists the privileges that have a contribution column.
func (e *Engine) waiverNames() []string {
	var out []string
	for p, x := range e.sc.Privileges {
		if e.waiveCol[p] >= 0 {
			out = append(out, x.Name)
		}
	}
	return out
}

// boostedRate is agent i's rate for behaviour b: base times the boosts of
// the privileges i holds, capped at 1.
func (e *Engine) boostedRate(b int, i int32, base float64) float64 {
	held := e.priv[i]
	if held == 0 {
		return base
	}
	m := 1.0
	for _, bo := range e.boostBy[b] {
		if held&bo.bit != 0 {
			m *= bo.times
		}
	}
	return scenario.BoostedRate(base, m)
}

// lifted is the set of sanctions whose blocks agent i's privileges lift.
func (e *Engine) lifted(i int32) uint32 {
	var out uint32
	for held := e.priv[i]; held != 0; held &= held - 1 {
		out |= e.lift[bits.TrailingZeros32(held)]
	}
	return out
}

// waiver returns the contribution column of the privilege that gives back
// agent i's charge x from rule r, or -1 when nothing is given back.
func (e *Engine) waiver(r int, i int32, x int64) int {
	if x >= 0 || e.waive == nil {
		return -1
	}
	w := e.priv[i] & e.waive[r]
	if w == 0 {
		return -1
	}
	return e.waiveCol[bits.TrailingZeros32(w)] // the first listed
}

// soonerToday is the set of privileges for whose holders periodic rule r
// comes round on day d.
func (e *Engine) soonerToday(r, d int) uint32 {
	if e.sooner == nil {
		return 0
	}
	var out uint32
	for _, so := range e.sooner[r] {
		if d%so.every == 0 {
			out |= so.bit
		}
	}
	return out
}

// decidePrivileges sets agent i's privileges for tomorrow from the
// end-of-day view v (as sanctions are decided), counts them into the
// day's cell and adds a day to each. Agents in a region where the regime
// is off hold none.
func (e *Engine) decidePrivileges(v *rule.View, s *scratch, i int32, active bool) {
	var held, own uint32 // own: earned by one's own state alone
	if active {
		p := e.partnerNext[i]
		for x := range e.nPriv {
			w := e.prog.PrivilegeWhen[x]
			if !(e.privPartner[x] && p < 0) && w.Fn(v, i) {
				held |= 1 << uint(x)
				own |= 1 << uint(x) &^ e.privOthers
				continue
			}
			// a household privilege also goes to the partner of whoever
			// earns it
			// (whose partner is i, so a condition on the partner can be read)
			if e.privHousehold[x] && p >= 0 && w.Fn(v, p) {
				held |= 1 << uint(x)
			}
		}
	}
	e.priv[i] = held
	if held == 0 {
		return
	}
	if own == 0 {
		e.othersDays[i]++
	}
	cell := &s.cells[e.cellOf(int(i))]
	row := e.privDays[int(i)*e.nPriv : (int(i)+1)*e.nPriv]
	for h := held; h != 0; h &= h - 1 {
		x := bits.TrailingZeros32(h)
		cell.Privilege[x]++
		row[x]++
	}
}

// giveBack books the waiver of charge x (fixed point, negative) that rule
// r made agent i: -x to column col, in the contributions and the ledger.
func (e *Engine) giveBack(i int32, col int, x int64, ledger *[]daily.LedgerEntry) {
	e.addContrib(i, e.nContrib, col, -x, ledger)
}

// PrivilegeBytesPerAgent is what a scenario's privileges cost per agent,
// for the memory guard: the set held today, days under each privilege,
// days privileged through others (one int32 each) and a contribution
// column per privilege that waives charges; nothing without privileges.
func PrivilegeBytesPerAgent(privileges []scenario.Privilege) uint64 {
	if len(privileges) == 0 {
		return 0
	}
	n := uint64(4 + 4*len(privileges) + 4)
	for _, p := range privileges {
		if len(p.Waives) > 0 {
			n += 4
		}
	}
	return n
}
