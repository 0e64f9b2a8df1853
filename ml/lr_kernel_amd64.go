//go:build !purego

package ml

import "golang.org/x/sys/cpu"

// lrKernelAVX reports whether lrScores16 and lrGrad16 run as AVX assembly.
var lrKernelAVX = cpu.X86.HasAVX

//go:noescape
func lrScores16(x []float64, d int, wp []float64, zp []float64, rows int)

//go:noescape
func lrGrad16(x []float64, d int, rp []float64, g []float64, rows int)
