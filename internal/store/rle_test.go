package store

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestDictionaryIndexesPortable checks that string columns' dictionary
// indexes encode to the same bytes on every machine (rle_amd64.go). The
// want bytes follow the RLE/bit-packing hybrid of the Parquet spec by hand:
// bit width 1; one bit-packed block (header (2<<1)|1 = 0x05) of two groups
// of 8, least significant bit first: 0,1,0,1,0,1,0,1 is 0xAA and
// 0,0,0,0,1,1,1,1 is 0xF0. parquet-go's AVX2 routine took the second group
// for a repeated value and wrote two blocks, 01 03 AA 03 F0.
func TestDictionaryIndexesPortable(t *testing.T) {
	src := []int32{0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1}
	got, err := parquet.RLEDictionary.EncodeInt32(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x01, 0x05, 0xAA, 0xF0}; !bytes.Equal(got, want) {
		t.Errorf("RLE dictionary indexes: got % x, want % x", got, want)
	}
}

func TestIndexEqual8Contiguous(t *testing.T) {
	w := [][8]int32{{0, 1, 0, 1, 0, 1, 0, 1}, {0, 0, 0, 0, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}}
	if got := indexEqual8Contiguous(w); got != 2 {
		t.Errorf("got %d, want 2", got)
	}
	if got := indexEqual8Contiguous(w[2:]); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
}
