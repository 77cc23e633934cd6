package sweep

// SobolMaxDim is the number of dimensions of the Sobol sequence:
// dimension 1 (van der Corput) plus the joeKuo table.
const SobolMaxDim = 1 + len(joeKuo)

// joeKuo lists S. Joe and F. Y. Kuo's direction numbers for dimensions 2
// to 21 ("new-joe-kuo-6.21201", 2008): degree s, polynomial coefficients a,
// initial direction numbers m_1..m_s. sobol_test.go checks the sequence
// against published points and the (0, m, 1)-net property.
var joeKuo = [...]struct {
	s, a uint32
	m    []uint32
}{
	{1, 0, []uint32{1}},
	{2, 1, []uint32{1, 3}},
	{3, 1, []uint32{1, 3, 1}},
	{3, 2, []uint32{1, 1, 1}},
	{4, 1, []uint32{1, 1, 3, 3}},
	{4, 4, []uint32{1, 3, 5, 13}},
	{5, 2, []uint32{1, 1, 5, 5, 17}},
	{5, 4, []uint32{1, 1, 5, 5, 5}},
	{5, 7, []uint32{1, 1, 7, 11, 19}},
	{5, 11, []uint32{1, 1, 5, 1, 1}},
	{5, 13, []uint32{1, 1, 1, 3, 11}},
	{5, 14, []uint32{1, 3, 5, 5, 31}},
	{6, 1, []uint32{1, 3, 3, 9, 7, 49}},
	{6, 13, []uint32{1, 1, 1, 15, 21, 21}},
	{6, 16, []uint32{1, 3, 1, 13, 27, 49}},
	{6, 19, []uint32{1, 1, 1, 15, 7, 5}},
	{6, 22, []uint32{1, 3, 1, 15, 13, 25}},
	{6, 25, []uint32{1, 1, 5, 5, 19, 61}},
	{7, 1, []uint32{1, 3, 7, 11, 23, 15, 103}},
	{7, 4, []uint32{1, 3, 7, 13, 13, 15, 69}},
}

const sobolBits = 32

// SobolSeq generates the (unscrambled) Sobol sequence in Gray-code order,
// as Joe and Kuo's reference implementation and scipy.stats.qmc.Sobol with
// scramble=False do: point 0 is the origin.
type SobolSeq struct {
	v [][sobolBits]uint32 // direction numbers per dimension, scaled by 2^32
	x []uint32
	i uint32
}

// NewSobolSeq returns a generator for dim dimensions (1..SobolMaxDim); it
// panics beyond that (a programmer error: sweep files are validated first).
func NewSobolSeq(dim int) *SobolSeq {
	if dim < 1 || dim > SobolMaxDim {
		panic("sweep: Sobol dimension out of range")
	}
	q := &SobolSeq{v: make([][sobolBits]uint32, dim), x: make([]uint32, dim)}
	for b := range sobolBits {
		q.v[0][b] = 1 << (sobolBits - 1 - b)
	}
	for d := 1; d < dim; d++ {
		jk := joeKuo[d-1]
		s := int(jk.s)
		for b := 0; b < s && b < sobolBits; b++ {
			q.v[d][b] = jk.m[b] << (sobolBits - 1 - b)
		}
		for b := s; b < sobolBits; b++ {
			v := q.v[d][b-s] ^ (q.v[d][b-s] >> uint(s))
			for k := 1; k < s; k++ {
				v ^= ((jk.a >> uint(s-1-k)) & 1) * q.v[d][b-k]
			}
			q.v[d][b] = v
		}
	}
	return q
}

// Next returns the next point (a fresh slice).
func (q *SobolSeq) Next() []float64 {
	out := make([]float64, len(q.x))
	for d, x := range q.x {
		out[d] = float64(x) / (1 << sobolBits)
	}
	// Gray code: flip the direction number of the lowest zero bit of i.
	c := 0
	for n := q.i; n&1 == 1; n >>= 1 {
		c++
	}
	for d := range q.x {
		q.x[d] ^= q.v[d][c]
	}
	q.i++
	return out
}
