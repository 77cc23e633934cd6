package store

// indexEqual8Contiguous counts the leading groups of 8 values that are not
// one value repeated 8 times: parquet-go's pure-Go rule for where a
// bit-packed block of RLE-encoded values ends (see rle_amd64.go).
func indexEqual8Contiguous(words [][8]int32) int {
	n := 0
	for n < len(words) && words[n] != [8]int32{words[n][0], words[n][0], words[n][0], words[n][0], words[n][0], words[n][0], words[n][0], words[n][0]} {
		n++
	}
	return n
}
