package sweep

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSobolPublishedPoints compares the first points with the published
// unscrambled Sobol sequence (Joe and Kuo's sobol.cc output, also
// scipy.stats.qmc.Sobol(d, scramble=False)).
func TestSobolPublishedPoints(t *testing.T) {
	q := NewSobolSeq(3)
	var got [][]float64
	for range 8 {
		got = append(got, q.Next())
	}
	want := [][]float64{
		{0, 0, 0}, {0.5, 0.5, 0.5}, {0.75, 0.25, 0.25}, {0.25, 0.75, 0.75},
		{0.375, 0.375, 0.625}, {0.875, 0.875, 0.125}, {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("first 8 points (-got +want):\n%s", diff)
	}
}

// TestSobolNets checks the defining property in every dimension: the first
// 2^m points put exactly one point in each interval [j/2^m, (j+1)/2^m),
// and every pair of dimensions is a (t, m, 2)-net with small t: the first
// 2^m points fill each of the 2^a x 2^(m-a) boxes equally for a = m/2.
func TestSobolNets(t *testing.T) {
	const m = 10
	q := NewSobolSeq(SobolMaxDim)
	pts := make([][]float64, 1<<m)
	for i := range pts {
		pts[i] = q.Next()
	}
	for d := range SobolMaxDim {
		seen := make([]bool, 1<<m)
		for _, p := range pts {
			seen[int(p[d]*(1<<m))] = true
		}
		for j, s := range seen {
			if !s {
				t.Fatalf("dimension %d: no point in [%d/1024, %d/1024)", d+1, j, j+1)
			}
		}
	}
	// Pairs: boxes of 2^4 x 2^4 with 2^10 points hold 4 each when the pair
	// is a (t, 10, 2)-net with t <= 2.
	for a := range 8 {
		for b := a + 1; b < 8; b++ {
			var count [16][16]int
			for _, p := range pts {
				count[int(p[a]*16)][int(p[b]*16)]++
			}
			for x := range 16 {
				for y := range 16 {
					if count[x][y] != 4 {
						t.Fatalf("dimensions %d, %d: box (%d, %d) holds %d points, want 4", a+1, b+1, x, y, count[x][y])
					}
				}
			}
		}
	}
}

// TestDirectionNumbers pins the first direction numbers against the
// published new-joe-kuo-6.21201 table (columns d, s, a, m_i).
func TestDirectionNumbers(t *testing.T) {
	published := []string{
		"2 1 0 1", "3 2 1 1 3", "4 3 1 1 3 1", "5 3 2 1 1 1", "6 4 1 1 1 3 3", "7 4 4 1 3 5 13",
		"8 5 2 1 1 5 5 17", "9 5 4 1 1 5 5 5", "10 5 7 1 1 7 11 19", "11 5 11 1 1 5 1 1",
		"12 5 13 1 1 1 3 11", "13 5 14 1 3 5 5 31", "14 6 1 1 3 3 9 7 49", "15 6 13 1 1 1 15 21 21",
		"16 6 16 1 3 1 13 27 49", "17 6 19 1 1 1 15 7 5", "18 6 22 1 3 1 15 13 25", "19 6 25 1 1 5 5 19 61",
		"20 7 1 1 3 7 11 23 15 103", "21 7 4 1 3 7 13 13 15 69",
	}
	var got []string
	for d, jk := range joeKuo {
		s := fmtUints(uint32(d+2), jk.s, jk.a)
		got = append(got, s+" "+fmtUints(jk.m...))
	}
	if diff := cmp.Diff(got, published); diff != "" {
		t.Errorf("direction numbers (-got +published):\n%s", diff)
	}
}

func fmtUints(xs ...uint32) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatUint(uint64(x), 10)
	}
	return strings.Join(s, " ")
}
