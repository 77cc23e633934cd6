// Package rng provides counter-based random numbers: every draw is a pure
// function of (seed, purpose, day, agent, ...). Nothing is carried from one
// draw to the next, so results cannot depend on how work is split over
// threads, a resumed run needs no saved generator state, and twin runs that
// share a seed share every draw of a given purpose (common random numbers).
//
// The mixer is SplitMix64's finaliser (Steele, Lea, Flood 2014), applied to a
// combination of the key words; it passes BigCrush as a counter-based
// generator when the counter advances by a Weyl constant, which is how the
// key words are combined here.
package rng

import (
	"math"
	"math/bits"
)

const golden = 0x9e3779b97f4a7c15

// Mix is SplitMix64's finaliser: a bijective scramble of 64 bits.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Key derives the key of a stream from a seed and a purpose name.
func Key(seed uint64, purpose string) uint64 {
	h := uint64(1469598103934665603) // FNV-1a over the purpose
	for i := 0; i < len(purpose); i++ {
		h ^= uint64(purpose[i])
		h *= 1099511628211
	}
	return Mix(Mix(seed+golden) ^ h)
}

// Sub derives a sub-key (for example one per day).
func Sub(key, x uint64) uint64 {
	return Mix(key ^ Mix(x*golden+0x632be59bd9b4e019))
}

// Uint64 returns the draw of a stream at counter i.
func Uint64(key uint64, i uint64) uint64 {
	return Mix(key + (i+1)*golden)
}

// Float returns a uniform draw in [0, 1) with 53 random bits.
func Float(key uint64, i uint64) float64 {
	return float64(Uint64(key, i)>>11) * (1.0 / (1 << 53))
}

// Below returns a uniform integer in [0, n) (Lemire's multiply-shift; the
// bias is below 2^-32 for n < 2^32, far below anything a run can detect).
func Below(key uint64, i uint64, n uint64) uint64 {
	hi, _ := bits.Mul64(Uint64(key, i), n)
	return hi
}

// Poisson draws a Poisson(mean) count from the stream at counters i, i+1, ...
// (Knuth's product method; meant for small means such as children per
// household). It uses at most 64 draws.
func Poisson(key uint64, i uint64, mean float64) int {
	if mean <= 0 {
		return 0
	}
	l := math.Exp(-mean)
	p := 1.0
	for k := 0; k < 64; k++ {
		p *= Float(key, i*64+uint64(k))
		if p <= l {
			return k
		}
	}
	return 64
}

// Stream is a sequential generator over a counter-based key, for code that
// needs many draws in a fixed order (graph generation, shuffles).
type Stream struct {
	key uint64
	n   uint64
}

// NewStream starts a stream.
func NewStream(key uint64) *Stream { return &Stream{key: key} }

// Uint64 returns the next draw.
func (s *Stream) Uint64() uint64 { s.n++; return Uint64(s.key, s.n) }

// Float returns the next uniform draw in [0, 1).
func (s *Stream) Float() float64 { s.n++; return Float(s.key, s.n) }

// Below returns the next uniform integer in [0, n).
func (s *Stream) Below(n uint64) uint64 { s.n++; return Below(s.key, s.n, n) }
