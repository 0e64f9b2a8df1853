package ml

import "math"

// colMajor is a column-major matrix view with leading dimension ld, as
// Fortran stores one; at takes 1-based indices, as LINPACK's code does.
type colMajor struct {
	a   []float64
	ld  int
	off int // index of element (1, 1)
}

func (c colMajor) at(i, j int) *float64 { return &c.a[c.off+(i-1)+(j-1)*c.ld] }

// sub returns the view whose (1, 1) is c's (i, j).
func (c colMajor) sub(i, j int) colMajor { return colMajor{c.a, c.ld, c.off + (i - 1) + (j-1)*c.ld} }

// col returns the first n elements of column j.
func (c colMajor) col(j, n int) []float64 {
	s := c.off + (j-1)*c.ld
	return c.a[s : s+n]
}

// dpofa is LINPACK's Cholesky factorization of the n×n positive definite
// matrix in the upper triangle of a: on return a holds R with A = RᵀR. It
// returns 0, or the order of the leading minor that is not positive
// definite.
func dpofa(a colMajor, n int) int {
	for j := 1; j <= n; j++ {
		var s float64
		cj := a.col(j, n)
		for k := 1; k < j; k++ {
			t := cj[k-1] - dot(a.col(k, k-1), cj[:k-1])
			t /= *a.at(k, k)
			cj[k-1] = t
			s += t * t
		}
		s = cj[j-1] - s
		if s <= 0 {
			return j
		}
		cj[j-1] = math.Sqrt(s)
	}
	return 0
}

// dtrslUpperT solves Tᵀx = b in place for the n×n upper triangular T
// (LINPACK's dtrsl, job 11); it returns the index of a zero diagonal
// element, or 0.
func dtrslUpperT(t colMajor, n int, b []float64) int {
	if i := zeroDiag(t, n); i != 0 {
		return i
	}
	b[0] /= *t.at(1, 1)
	for j := 2; j <= n; j++ {
		b[j-1] -= dot(t.col(j, j-1), b[:j-1])
		b[j-1] /= *t.at(j, j)
	}
	return 0
}

// dtrslUpper solves Tx = b in place for the n×n upper triangular T
// (LINPACK's dtrsl, job 01); it returns as dtrslUpperT.
func dtrslUpper(t colMajor, n int, b []float64) int {
	if i := zeroDiag(t, n); i != 0 {
		return i
	}
	b[n-1] /= *t.at(n, n)
	for j := n - 1; j >= 1; j-- {
		axpy(-b[j], t.col(j+1, j), b[:j])
		b[j-1] /= *t.at(j, j)
	}
	return 0
}

func zeroDiag(t colMajor, n int) int {
	for i := 1; i <= n; i++ {
		if *t.at(i, i) == 0 {
			return i
		}
	}
	return 0
}

// dot is the sum of a[i]·b[i], added in order.
func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// axpy adds a·x to y.
func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}
