// Package fused is the fma test's positive control: the compiler fuses
// this multiply-add on arm64 (and amd64 v3), so the scan must report it.
package fused

// MulAdd returns a*b + c, fused where the architecture can.
func MulAdd(a, b, c float64) float64 { return a*b + c }
