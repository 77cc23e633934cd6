package daily

// TracedState is a traced agent's state at the end of a day (Day as in
// LedgerEntry: 1 is the end of the first day, 0 the start of the run). A
// run records one on day 0 for every traced agent and then one on each day
// on which any of these fields changed; the score is not repeated here, as
// every change of a traced agent's score is a ledger entry.
type TracedState struct {
	Day       int32
	Agent     int32
	Partner   int32  // -1 none
	Flags     uint32 // bit f: the run's flag f
	Sanctions uint32 // bit s: the run's sanction s
	Tier      uint8
	Detained  bool
}

// TracedEvent is one attempted event of a traced agent on day Day (the day
// it ended): its behaviour, and whether a sanction blocked it or
// surveillance detected it (never both).
type TracedEvent struct {
	Day       int32
	Agent     int32
	Behaviour uint16
	Blocked   bool
	Detected  bool
}
