package store

// Extra scores (scenario scores:) in the run tables: the daily table's
// mean per extra score and cell (score_NAME_mean), the agents table's value
// and starting value per extra score (score_NAME, baseline_NAME; the
// contributions are delta_ columns like the main score's), and the
// ledger's score column naming the score each change moved. Runs without
// extra scores have none of these columns.

import (
	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/sim"
)

// MainScore is what the ledger's score column says for the main score.
const MainScore = "score"

// ScoreOfContribution names the score a contribution column moves: an
// extra score's name (for the rules with score: and its clamp), or
// MainScore.
func ScoreOfContribution(m *Manifest, contribution string) string {
	for _, r := range m.Rules {
		if r.Name == contribution && r.Score != "" {
			return r.Score
		}
	}
	for _, s := range m.Names.Scores {
		if contribution == "clamp_"+s {
			return s
		}
	}
	return MainScore
}

// dailyScoreColumns are the daily table's columns for the extra scores.
func dailyScoreColumns(nm Names, cell func(r int) *daily.Cell, empty func(r int) bool) []column {
	var cols []column
	for k, n := range nm.Scores {
		cols = append(cols, column{name: columnName("score_", n) + "_mean", typ: tDouble, null: empty, f64: func(r int) float64 {
			c := cell(r)
			if c.Agents == 0 {
				return 0
			}
			return points(c.Scores[k]) / float64(c.Agents)
		}})
	}
	return cols
}

// agentScoreColumns are the agents table's columns for the extra scores.
func agentScoreColumns(nm Names, f *sim.Final) []column {
	var cols []column
	for k, n := range nm.Scores {
		cols = append(cols,
			column{name: columnName("baseline_", n), typ: tDouble, f64: func(r int) float64 { return points(int64(f.ScoreBaseline[k][r])) }},
			column{name: columnName("score_", n), typ: tDouble, f64: func(r int) float64 { return points(int64(f.Scores[k][r])) }})
	}
	return cols
}

// ledgerScoreColumn is the ledger's score column, for runs with extra
// scores.
func ledgerScoreColumn(m *Manifest, entries []daily.LedgerEntry) []column {
	if len(m.Names.Scores) == 0 {
		return nil
	}
	of := make([][]byte, len(m.Names.Contributions))
	for k, c := range m.Names.Contributions {
		of[k] = []byte(ScoreOfContribution(m, c))
	}
	return []column{{name: "score", typ: tString, s: func(r int) []byte { return of[entries[r].Rule] }}}
}
