package daily

import (
	"reflect"
	"testing"
)

// Clone copies every counter: changing the copy leaves the original alone.
func TestDayClone(t *testing.T) {
	d := &Day{Day: 3, Cells: []Cell{
		{Region: 1, Group: 0, Agents: 10, Tier: []int64{1, 2}, Sanction: []int64{3}, Flag: []int64{}, Attempted: []int64{4, 5}, Detected: []int64{6, 7}, Blocked: []int64{8, 9}, ScoreQ: [len(Quantiles)]float64{1, 2, 3, 4, 5}},
		{Region: 1, Group: 1, Agents: 20, Tier: []int64{10, 20}, Sanction: []int64{30}, Attempted: []int64{40, 50}, Detected: []int64{60, 70}, Blocked: []int64{80, 90}},
	}}
	c := d.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, d)
	}
	c.Cells[0].Tier[0], c.Cells[1].Blocked[1], c.Cells[0].Agents = 99, 99, 99
	if d.Cells[0].Tier[0] != 1 || d.Cells[1].Blocked[1] != 90 || d.Cells[0].Agents != 10 {
		t.Fatal("changing the clone changed the original")
	}
	// appending to one cell's counters must not reach the next cell's
	c.Cells[0].Blocked = append(c.Cells[0].Blocked, 1)
	if c.Cells[1].Tier[0] != 10 {
		t.Fatal("cells of the clone share capacity")
	}
}
