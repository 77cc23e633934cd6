//go:build amd64 && !purego

package store

import (
	_ "unsafe" // go:linkname

	_ "github.com/parquet-go/parquet-go/encoding/rle" // the variable below
)

// parquet-go v0.32.0's RLE encoder (used for the dictionary indexes of
// every string column) asks, on amd64 with AVX2, an assembly routine how
// many 8-value groups of indexes are not one repeated value; that routine
// broadcasts with VPSHUFD, which broadcasts within each 128-bit half, so
// it takes [a a a a b b b b] for a run and ends the bit-packed block early.
// The file stays valid but its bytes differ from the pure-Go encoder's
// (arm64, or amd64 without AVX2), so the same run gave different Parquet
// files on different machines. This replaces the routine, once parquet-go
// is initialised, with the pure-Go loop of its other platforms. The test
// TestDictionaryIndexesPortable fails if an upgrade moves or fixes it.
//
//go:linkname rleIndexEqual8Contiguous github.com/parquet-go/parquet-go/encoding/rle.encodeInt32IndexEqual8Contiguous
var rleIndexEqual8Contiguous func(words [][8]int32) int

func init() { rleIndexEqual8Contiguous = indexEqual8Contiguous }
