// The ring form's reading side: decoding a vertex's neighbours and degree
// from its ring byte, the ring bytes before it, and its listed extras.

package netgraph

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

func (g *Graph) ringDegree(v int) int {
	return bits.OnesCount8(g.ring[v]) + g.backwardCount(v) + int(g.extraStart(v+1)-g.extraStart(v))
}

// antiDiagonal selects, in the eight ring bytes before v read as one
// little-endian word, the bits that tie each of them to v: byte 8-j (vertex
// v-j) holds that tie in its bit j-1, which is bit 63-7j of the word.
const antiDiagonal = 0x0102040810204080

// backward returns the ring bits that tie v to v-j: bit j-1 is set when v is
// tied to (v-j) mod n.
func (g *Graph) backward(v int) uint8 {
	var b uint8
	for j := 1; j <= ringSpan; j++ {
		u := v - j
		if u < 0 {
			u += g.n
		}
		b |= g.ring[u] >> (j - 1) & 1 << (j - 1)
	}
	return b
}

// backwardCount is the number of v's ties to v-1, ..., v-ringSpan.
func (g *Graph) backwardCount(v int) int {
	if v >= ringSpan {
		return bits.OnesCount64(binary.LittleEndian.Uint64(g.ring[v-ringSpan:v]) & antiDiagonal)
	}
	return bits.OnesCount8(g.backward(v))
}

func (g *Graph) extraStart(v int) int64 { return g.xBase[v>>xBlock] + int64(g.xOff[v]) }

// ringTables lists, for each ring byte, the id offsets it stands for in
// ascending order: back[b] for the ties to v-j (bit j-1), fwd[r] for the
// ties to v+j (bit j-1); count is the number of bits set.
var ringTables = func() (t struct {
	back, fwd [256][ringSpan]int8
	count     [256]uint8
}) {
	for b := range 256 {
		k, m := 0, 0
		for j := ringSpan; j >= 1; j-- {
			if b>>(j-1)&1 != 0 {
				t.back[b][k] = int8(-j)
				k++
			}
		}
		for j := 1; j <= ringSpan; j++ {
			if b>>(j-1)&1 != 0 {
				t.fwd[b][m] = int8(j)
				m++
			}
		}
		t.count[b] = uint8(k)
	}
	return t
}()

func (g *Graph) ringNeighbours(v int, out []int32) []int32 {
	n := g.n
	extra := g.extra[g.extraStart(v):g.extraStart(v+1)]
	if v < ringSpan || v+ringSpan >= n {
		// ring bytes wrap around the ends: list, then sort
		for b := g.backward(v); b != 0; b &= b - 1 {
			u := v - 1 - bits.TrailingZeros8(b)
			if u < 0 {
				u += n
			}
			out = append(out, int32(u))
		}
		for r := g.ring[v]; r != 0; r &= r - 1 {
			t := v + 1 + bits.TrailingZeros8(r)
			if t >= n {
				t -= n
			}
			out = append(out, int32(t))
		}
		out = append(out, extra...)
		slices.Sort(out)
		return out
	}
	// Ties to v-8..v-1 and v+1..v+8 come out in ascending order from
	// tables, with no branch on the bits. The extras (usually zero to two)
	// lie outside v-8..v+8: those below v go first, the rest last.
	need := 2*ringSpan + len(extra) // tables write 8 entries at a time, from at most 8
	if cap(out) < need {
		out = make([]int32, 0, need)
	}
	out = out[:need]
	lo := 0
	for _, x := range extra {
		lo += int(uint32(x-int32(v)) >> 31) // x < v
	}
	k := 0
	for ; k < lo; k++ { // (a loop: copy calls memmove, slow for a few words)
		out[k] = extra[k]
	}
	// b: bit j-1 set when v-j is tied to v, i.e. bit j-1 of byte 8-j of the
	// word of the eight bytes before v: the anti-diagonal of an 8x8 bit
	// matrix, gathered into the top byte by one multiplication.
	w := binary.LittleEndian.Uint64(g.ring[v-ringSpan : v])
	b := uint8((w & antiDiagonal) * 0x0101010101010101 >> 56)
	r := g.ring[v]
	bt, ft := &ringTables.back[b], &ringTables.fwd[r]
	o := out[k : k+ringSpan]
	for t := range ringSpan {
		o[t] = int32(v + int(bt[t]))
	}
	k += int(ringTables.count[b])
	o = out[k : k+ringSpan]
	for t := range ringSpan {
		o[t] = int32(v + int(ft[t]))
	}
	k += int(ringTables.count[r])
	for _, x := range extra[lo:] {
		out[k] = x
		k++
	}
	return out[:k]
}
