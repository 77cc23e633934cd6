package audit

// Who is rewarded: the privileges of a run, audited with the same care as
// its sanctions (docs/metrics.md, "Privileges"). Every figure here exists
// only for runs whose scenario has privileges; without any, rows carry no
// privilege block and audit.json is what it always was.

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// Privileged is one row's privilege figures.
type Privileged struct {
	// Ever: people privileged on at least one day.
	Ever Figure `json:"ever_privileged"`
	// Privileges: per privilege, people who held it on at least one day.
	Privileges []Named `json:"privileges"`
	// Days: per privilege, the share of person-days spent holding it.
	Days []Named `json:"privilege_days"`
	// ThroughOthers: of the ever-privileged, those privileged on some day
	// only through someone else (a partner's household privilege, or a
	// condition on a partner or acquaintances).
	ThroughOthers Figure `json:"privileged_through_others"`
	// PointsWaived: charges given back to the row's people, in points.
	PointsWaived float64 `json:"points_waived"`
	// Gap is ever privileged minus ever sanctioned (NaN without people).
	Gap Num `json:"privileged_minus_sanctioned"`
	// SanctionedVsPrivileged is the share ever sanctioned against the share
	// ever privileged, a ratio undefined (and why) as disparities are.
	SanctionedVsPrivileged Disparity `json:"sanctioned_vs_privileged"`
}

// privFacts are the per-agent privilege quantities.
type privFacts struct {
	days   [][]int64 // [privilege][agent]: days held
	ever   []bool
	others []bool    // privileged on some day only through someone else
	waived []float64 // points given back
}

func (r *Run) privFacts() *privFacts {
	m := r.Manifest
	if len(m.Names.Privileges) == 0 {
		return nil
	}
	n := m.Agents
	p := &privFacts{ever: make([]bool, n), others: make([]bool, n), waived: make([]float64, n)}
	for _, name := range m.Names.Privileges {
		col := r.ints("privilege_days_" + colSafe(name))
		p.days = append(p.days, col)
		for i, d := range col {
			if d > 0 {
				p.ever[i] = true
			}
		}
		if slices.Contains(m.Names.Contributions, name) { // it waives charges
			for i, x := range r.floats("delta_" + colSafe(name)) {
				p.waived[i] += x
			}
		}
	}
	for i, d := range r.ints("privileged_through_others_days") {
		p.others[i] = d > 0
	}
	return p
}

// privileged aggregates the privilege figures of the agents for which
// in(i) holds; row has its sanction figures already.
func (r *Run) privileged(f *agentFacts, in func(int) bool, row *Row) *Privileged {
	p := f.priv
	if p == nil {
		return nil
	}
	m := r.Manifest
	out := &Privileged{}
	held := make([]int64, len(p.days))
	days := make([]int64, len(p.days))
	var ever, others int64
	for i := 0; i < m.Agents; i++ {
		if !in(i) {
			continue
		}
		for k, col := range p.days {
			if col[i] > 0 {
				held[k]++
				days[k] += col[i]
			}
		}
		if p.ever[i] {
			ever++
			if p.others[i] {
				others++
			}
		}
		out.PointsWaived += p.waived[i]
	}
	out.Ever = rate(ever, row.N)
	for k, name := range m.Names.Privileges {
		out.Privileges = append(out.Privileges, Named{Name: name, Figure: rate(held[k], row.N)})
		out.Days = append(out.Days, Named{Name: name, Figure: rate(days[k], row.N*int64(m.Days))})
	}
	out.ThroughOthers = rate(others, ever)
	out.Gap = Num(math.NaN())
	if row.N > 0 {
		out.Gap = out.Ever.Value - row.Ever.Value
	}
	out.SanctionedVsPrivileged = compareRates("sanctioned_vs_privileged", row.Ever, out.Ever, true)
	return out
}

// privilegeDisparities compares a row's privileges with the reference
// row's: here a lower rate is the worse one.
func privilegeDisparities(row, ref Row) []Disparity {
	a, b := row.Privileged, ref.Privileged
	if a == nil || b == nil {
		return nil
	}
	out := []Disparity{compareRates("ever_privileged", a.Ever, b.Ever, false)}
	for _, x := range a.Privileges {
		out = append(out, compareRates("privilege_"+x.Name, x.Figure, find(b.Privileges, x.Name), false))
	}
	return out
}

// privilegeFindings are the plain-language findings about who is
// rewarded: the widest gap between groups in the share ever privileged,
// and the people privileged only through someone else.
func privilegeFindings(rep *Report, rows []Row) []Finding {
	var out []Finding
	var withPriv []Row
	for _, r := range rows {
		if r.Privileged != nil && r.Privileged.Ever.Denominator > 0 {
			withPriv = append(withPriv, r)
		}
	}
	if len(withPriv) > 1 {
		sort.SliceStable(withPriv, func(i, j int) bool { return withPriv[i].Privileged.Ever.Value > withPriv[j].Privileged.Ever.Value })
		hi, lo := withPriv[0], withPriv[len(withPriv)-1]
		h, l := hi.Privileged.Ever, lo.Privileged.Ever
		if h.Value > l.Value {
			fd := finding("ever_privileged_gap", fmt.Sprintf("%s of %s %s were privileged at some point, against %s of %s %s (sanctioned at some point: %s against %s).",
				pct(h.Value), hi.Attribute, hi.Value, pct(l.Value), lo.Attribute, lo.Value, pct(hi.Ever.Value), pct(lo.Ever.Value)),
				float64(h.Value-l.Value), h.Numerator, h.Denominator)
			se := math.Sqrt(float64(h.Value)*(1-float64(h.Value))/float64(h.Denominator) + float64(l.Value)*(1-float64(l.Value))/float64(l.Denominator))
			fd.Weight = fd.Value - 2*se
			out = append(out, fd)
		}
	}
	if o := rep.Overall.Privileged; o != nil && o.ThroughOthers.Numerator > 0 {
		x := o.ThroughOthers
		out = append(out, finding("privileged_through_others", fmt.Sprintf("%s of the %d people privileged at some point owed it, on some day, to someone else's score or status (a partner, acquaintances), not their own.",
			pct(x.Value), o.Ever.Numerator), float64(x.Value), x.Numerator, x.Denominator))
	}
	return out
}

// writePrivilegesText is the text audit's "Who is rewarded" table, for
// runs with privileges (rows as the harm table lists them).
func writePrivilegesText(w io.Writer, rows []Row) {
	if len(rows) == 0 || rows[0].Privileged == nil {
		return
	}
	fmt.Fprintln(w, "\nWho is rewarded (privileges; ratio: share ever privileged against the reference group's, lower is worse):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "attribute\tvalue\tever privileged\tratio\t"
	for _, p := range rows[0].Privileged.Privileges {
		hdr += p.Name + "\t"
	}
	fmt.Fprintln(tw, hdr+"through others\tpoints waived\tever sanctioned\tprivileged - sanctioned\tsanctioned per privileged\t")
	ratio := func(d Disparity) string {
		switch {
		case !math.IsNaN(float64(d.Ratio)):
			s := fmt.Sprintf("%.2f", float64(d.Ratio))
			if d.OutsideBand {
				s += "!"
			}
			return s
		case d.OutsideBand:
			return "unbounded!"
		}
		return "-"
	}
	for _, r := range rows {
		p := r.Privileged
		if p == nil {
			continue
		}
		rt := "-"
		for _, d := range r.Disparities {
			if d.Metric == "ever_privileged" {
				rt = ratio(d)
			}
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t", r.Attribute, r.Value, textPct(p.Ever), rt)
		for _, x := range p.Privileges {
			line += textPct(x.Figure) + "\t"
		}
		gap := "-"
		if !math.IsNaN(float64(p.Gap)) {
			gap = fmt.Sprintf("%+.1f points", 100*float64(p.Gap))
		}
		svp := ratio(p.SanctionedVsPrivileged)
		svp = strings.TrimSuffix(svp, "!") // a ratio of two shares, not a four-fifths screen
		fmt.Fprintln(tw, line+fmt.Sprintf("%s\t%.0f\t%s\t%s\t%s\t", textPct(p.ThroughOthers), p.PointsWaived, textPct(r.Ever), gap, svp))
	}
	tw.Flush()
}
