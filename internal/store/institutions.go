package store

// institutions.parquet: one row per institution, category and decision day
// (docs/store-format.md).

import (
	"io"

	"github.com/nosedive-lab/nosedive/internal/daily"
	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// InstitutionsFile is the institutions' decisions, written when the
// scenario has institutions.
const InstitutionsFile = "institutions.parquet"

// InstitutionInfo describes an institution in run.json.
type InstitutionInfo struct {
	Name   string `json:"name"`
	Policy string `json:"policy"`
	By     string `json:"by"`
	// Context is the social context of its decisions and outcomes (the
	// context of the rules that score them, for audits).
	Context string  `json:"context"`
	Gain    float64 `json:"gain"`
	Loss    float64 `json:"loss"`
	// Threshold and Rate are the fixed policies' parameters.
	Threshold *float64 `json:"threshold,omitempty"`
	Rate      *float64 `json:"rate,omitempty"`
	// Categories are the names of the by column's values, in index order.
	Categories  []string `json:"categories"`
	Source      string   `json:"source,omitempty"`
	Description string   `json:"description,omitempty"`
}

// describeInstitutions lists a scenario's institutions for run.json (nil
// without any, so run.json is unchanged for scenarios without them).
func describeInstitutions(sc *scenario.Scenario) []InstitutionInfo {
	var out []InstitutionInfo
	for k, x := range sc.Institutions {
		out = append(out, InstitutionInfo{Name: x.Name, Policy: x.Policy, By: x.By, Context: x.Context, Gain: x.Gain, Loss: x.Loss,
			Threshold: x.Threshold, Rate: x.Rate, Categories: sc.Categories(k), Source: x.Source, Description: x.Description})
	}
	return out
}

var institutionsSchema = tableSchema{
	fixed: map[string]Kind{"day": KindInt, "institution": KindString, "by": KindString, "category": KindString,
		"policy": KindString, "threshold": KindFloat, "boundary": KindFloat, "applicants": KindInt, "approved": KindInt,
		"successes": KindInt, "failures": KindInt, "selection_rate": KindFloat, "tpr": KindFloat,
		"expected_successes": KindFloat, "expected_failures": KindFloat, "expected_utility": KindFloat, "utility": KindFloat},
}

func init() { runSchemas[InstitutionsFile] = institutionsSchema }

func writeInstitutions(fh io.Writer, m *Manifest, days []*daily.Day) error {
	type row struct {
		day int
		d   *daily.Decision
	}
	var rows []row
	for _, d := range days {
		for k := range d.Decisions {
			rows = append(rows, row{d.Day, &d.Decisions[k]})
		}
	}
	insts := m.Institutions
	names, bys, pols := make([][]byte, len(insts)), make([][]byte, len(insts)), make([][]byte, len(insts))
	cats := make([][][]byte, len(insts))
	for k, x := range insts {
		names[k], bys[k], pols[k], cats[k] = []byte(x.Name), []byte(x.By), []byte(x.Policy), bytesOf(x.Categories)
	}
	dec := func(r int) *daily.Decision { return rows[r].d }
	cols := []column{
		{name: "day", typ: tInt32, i32: func(r int) int32 { return int32(rows[r].day) }},
		{name: "institution", typ: tString, s: func(r int) []byte { return names[dec(r).Institution] }},
		{name: "by", typ: tString, s: func(r int) []byte { return bys[dec(r).Institution] }},
		{name: "category", typ: tString, s: func(r int) []byte { return cats[dec(r).Institution][dec(r).Category] }},
		{name: "policy", typ: tString, s: func(r int) []byte { return pols[dec(r).Institution] }},
		{name: "threshold", typ: tDouble, f64: func(r int) float64 { return dec(r).Threshold }},
		{name: "boundary", typ: tDouble, f64: func(r int) float64 { return dec(r).Boundary }},
		{name: "applicants", typ: tInt64, i64: func(r int) int64 { return dec(r).Applicants }},
		{name: "approved", typ: tInt64, i64: func(r int) int64 { return dec(r).Approved }},
		{name: "successes", typ: tInt64, i64: func(r int) int64 { return dec(r).Successes }},
		{name: "failures", typ: tInt64, i64: func(r int) int64 { return dec(r).Approved - dec(r).Successes }},
		{name: "selection_rate", typ: tDouble, f64: func(r int) float64 { return dec(r).SelectionRate }},
		{name: "tpr", typ: tDouble, f64: func(r int) float64 { return dec(r).TPR }},
		{name: "expected_successes", typ: tDouble, f64: func(r int) float64 { return dec(r).ExpectedSuccesses }},
		{name: "expected_failures", typ: tDouble, f64: func(r int) float64 { return dec(r).ExpectedFailures }},
		{name: "expected_utility", typ: tDouble, f64: func(r int) float64 { return dec(r).ExpectedUtility }},
		{name: "utility", typ: tDouble, f64: func(r int) float64 { return dec(r).Utility }},
	}
	return writeTable(fh, "institutions", cols, len(rows), Metadata(m))
}
