//go:build !amd64 || purego

package ml

// lrKernelAVX is false: there is no assembly here, and the products run
// as gonum's Dgemm.
const lrKernelAVX = false

func lrScores16(x []float64, d int, wp []float64, zp []float64, rows int) {
	panic("unreachable")
}

func lrGrad16(x []float64, d int, rp []float64, g []float64, rows int) {
	panic("unreachable")
}
