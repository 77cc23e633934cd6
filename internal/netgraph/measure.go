// Measurements of a graph for reports and checks: clustering, share of ties
// within a label, degree histogram.

package netgraph

// ShareWithin returns the share of ties whose two ends have the same label,
// over the ties of up to sample vertices chosen evenly through the id range
// as Clustering chooses them (all when sample <= 0 or >= N); 0 when those
// vertices have no ties.
func (g *Graph) ShareWithin(label func(v int32) int, sample int) float64 {
	step := 1
	if sample > 0 && g.n > sample {
		step = g.n / sample
	}
	var buf []int32
	same, all := int64(0), int64(0)
	for v := 0; v < g.n; v += step {
		nb := g.Neighbours(int32(v), buf)
		buf = nb[:0]
		lv := label(int32(v))
		for _, u := range nb {
			if label(u) == lv {
				same++
			}
		}
		all += int64(len(nb))
	}
	if all == 0 {
		return 0
	}
	return float64(same) / float64(all)
}

// DegreeHistogram returns the number of vertices of each degree 0..max,
// with every degree of at least limit counted in the last entry (limit > 0).
func (g *Graph) DegreeHistogram(limit int) []int64 {
	top := min(g.MaxDegree(), limit)
	h := make([]int64, top+1)
	for v := range int32(g.n) {
		h[min(g.Degree(v), top)]++
	}
	return h
}

// Clustering returns the mean local clustering coefficient over up to
// sample vertices chosen evenly through the id range (all when sample >= N).
// Vertices of degree < 2 count as 0, as in networkx's average_clustering.
func (g *Graph) Clustering(sample int) float64 {
	n := g.N()
	if n == 0 {
		return 0
	}
	step := 1
	if sample > 0 && n > sample {
		step = n / sample
	}
	total, count := 0.0, 0
	var buf, buf2 []int32
	for v := 0; v < n; v += step {
		nb := g.Neighbours(int32(v), buf)
		buf = nb[:0]
		count++
		if len(nb) < 2 {
			continue
		}
		links := 0
		for _, a := range nb {
			nb2 := g.Neighbours(a, buf2)
			buf2 = nb2[:0]
			links += intersect(nb, nb2)
		}
		// Each link between neighbours is counted twice.
		total += float64(links) / float64(len(nb)*(len(nb)-1))
	}
	return total / float64(count)
}

func intersect(a, b []int32) int {
	i, j, c := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			c++
			i++
			j++
		}
	}
	return c
}
