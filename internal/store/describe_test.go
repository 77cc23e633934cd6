package store

import (
	"testing"

	"github.com/nosedive-lab/nosedive/internal/scenario"
)

// TestDescribePartnered: an on: partnered rule is listed with kind
// partnered and, whatever it reads, via including partner (the audits
// count it as the partner's); event and periodic rules keep theirs.
func TestDescribePartnered(t *testing.T) {
	src := `name: d
population:
  regions: [{name: all, share: 1, groups: {a: 1}}]
relationships: {form_rate: 0.01}
surveillance:
  channels: [{name: payments, detect: 1}]
behaviours:
  - {name: buy, channel: payments, context: commerce, rate: 0.1}
scoring:
  range: [0, 100]
  initial: [{score: 50}]
  rules:
    - {name: fine, on: buy, amount: -1}
    - {name: wedding, on: partnered, amount: 5}
    - {name: dating_down, on: partnered, when: partner.score < score, amount: -1}
    - {name: crowd, on: partnered, amount: acq.mean(score) / 100}
    - {name: drift, every: 1, amount: -1}
tiers:
  levels: [{name: good, min: 50}, {name: bad}]
sanctions:
  - {name: ban, when: tier == "bad", context: commerce, blocks: [buy]}
`
	sc, err := scenario.Load("d.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := sc.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	m.Describe(sc, prog)
	want := [][3]string{
		{"fine", "event", "self"},
		{"wedding", "partnered", "partner"},
		{"dating_down", "partnered", "partner"},
		{"crowd", "partnered", "partner+acquaintances"},
		{"drift", "periodic", "self"},
	}
	for k, w := range want {
		if r := m.Rules[k]; r.Name != w[0] || r.Kind != w[1] || r.Via != w[2] {
			t.Errorf("rule %d: %s %s %s, want %v", k, r.Name, r.Kind, r.Via, w)
		}
	}
}
