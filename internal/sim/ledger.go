package sim

// Booking score changes: the contribution columns and the ledger.

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
)

// addContrib books x to agent i's contribution column col, and to the
// ledger.
func (e *Engine) addContrib(i int32, nc, col int, x int64, ledger *[]daily.LedgerEntry) {
	e.contrib[int(i)*nc+col] += int32(x)
	e.bookLedger(i, col, x, ledger)
}

// bookLedger writes a ledger entry for a non-zero change x of a sampled
// agent.
func (e *Engine) bookLedger(i int32, col int, x int64, ledger *[]daily.LedgerEntry) {
	if e.ledgerSet != nil && e.ledgerSet[i] && x != 0 {
		*ledger = append(*ledger, daily.LedgerEntry{Day: int32(e.day + 1), Agent: i, Rule: int16(col), Delta: int32(x)})
	}
}
