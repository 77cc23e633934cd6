package netgraph

import (
	"testing"
)

func TestFromEdgesDropsLoopsAndDuplicates(t *testing.T) {
	g := FromEdges(4, []int32{0, 1, 0, 2, 3}, []int32{1, 0, 0, 3, 2})
	checkSimple(t, g)
	if g.Edges() != 2 {
		t.Errorf("%d edges, want 2", g.Edges())
	}
}
