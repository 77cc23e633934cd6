package audit

// Extra scores (scenario scores:): each one's mean by row, and its gap to
// the reference group's mean, next to the main score's. The rest of the
// audit (tiers, sanctions, losses) is about the main score; sanctions and
// privileges that read an extra score are audited there like any other.

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// ScoreMean is one extra score's mean over a row's people.
type ScoreMean struct {
	Name string `json:"name"`
	Mean Num    `json:"mean"` // null without people
	// Gap is Mean minus the reference group's mean (group rows only; null
	// elsewhere or without people).
	Gap Num `json:"gap_to_reference"`
}

// scoreMeans is the mean of each extra score over the agents in(i) holds.
func (r *Run) scoreMeans(in func(i int) bool) []ScoreMean {
	var out []ScoreMean
	for _, name := range r.Manifest.Names.Scores {
		col := r.floats(colSafe("score_" + name))
		var sum float64
		var n int64
		for i, x := range col {
			if in(i) {
				sum += x
				n++
			}
		}
		mean := math.NaN()
		if n > 0 {
			mean = sum / float64(n)
		}
		out = append(out, ScoreMean{Name: name, Mean: Num(mean), Gap: Num(math.NaN())})
	}
	return out
}

// scoreGaps sets each row's extra-score gaps against the reference row's.
func scoreGaps(rows []Row, ref Row) {
	for j := range rows {
		for k := range rows[j].Scores {
			rows[j].Scores[k].Gap = rows[j].Scores[k].Mean - ref.Scores[k].Mean
		}
	}
}

// writeScoresText prints the extra scores' means by group beside the main
// score's, with the gaps to the reference group.
func writeScoresText(w io.Writer, rows []Row, ref string) {
	if len(rows) == 0 || len(rows[0].Scores) == 0 {
		return
	}
	refMean := math.NaN()
	for _, r := range rows {
		if r.Attribute == rows[0].Attribute && r.Value == ref {
			refMean = r.MeanScore
		}
	}
	fmt.Fprintf(w, "\nEvery score by %s (mean, and gap to %s):\n", rows[0].Attribute, ref)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "value\tn\tscore\tgap\t"
	for _, s := range rows[0].Scores {
		hdr += s.Name + "\tgap\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, r := range rows {
		if r.Attribute != rows[0].Attribute {
			continue
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t", r.Value, r.N, points(r.MeanScore), signed(r.MeanScore-refMean))
		for _, s := range r.Scores {
			line += points(float64(s.Mean)) + "\t" + signed(float64(s.Gap)) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

func points(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.1f", x)
}

func signed(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%+.1f", x)
}
