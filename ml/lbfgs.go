package ml

import (
	"errors"
	"math"
)

// errNoProgress is returned by minimizeLBFGS when the line search fails.
var errNoProgress = errors.New("line search made no progress")

// minimizeLBFGS minimizes a smooth function with limited-memory BFGS
// (memory 10) and a backtracking Armijo line search, starting from x (which
// it updates in place). fg evaluates the function and writes the gradient.
// It stops when norm(gradient) (nil: the largest gradient component) is
// below gtol, and returns that norm. (gonum's optimize package would pull in a dependency that this
// module does not carry, so this small implementation is used instead.)
func minimizeLBFGS(x []float64, fg func(x, grad []float64) float64, gtol float64, maxIter int, norm func(g []float64) float64) (float64, error) {
	if norm == nil {
		norm = infNorm
	}
	const m = 10
	n := len(x)
	g := make([]float64, n)
	f := fg(x, g)
	s := make([][]float64, 0, m)
	yv := make([][]float64, 0, m)
	rho := make([]float64, 0, m)
	alpha := make([]float64, m)
	d := make([]float64, n)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	for iter := 0; iter < maxIter; iter++ {
		gnorm := infNorm(g)
		if sn := norm(g); sn < gtol {
			return sn, nil
		}
		// Two-loop recursion: d = -H g.
		copy(d, g)
		for i := len(s) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(s[i], d)
			axpy(-alpha[i], yv[i], d)
		}
		gamma := 1.0
		if k := len(s) - 1; k >= 0 {
			gamma = dot(s[k], yv[k]) / dot(yv[k], yv[k])
		} else {
			gamma = 1 / math.Max(1, gnorm)
		}
		for i := range d {
			d[i] *= gamma
		}
		for i := range s {
			beta := rho[i] * dot(yv[i], d)
			axpy(alpha[i]-beta, s[i], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		slope := dot(g, d)
		if slope >= 0 { // not a descent direction: restart with steepest descent
			s, yv, rho = s[:0], yv[:0], rho[:0]
			for i := range d {
				d[i] = -g[i] / math.Max(1, gnorm)
			}
			slope = dot(g, d)
		}
		step := 1.0
		var fNew float64
		ok := false
		for range 60 {
			for i := range x {
				xNew[i] = x[i] + step*d[i]
			}
			fNew = fg(xNew, gNew)
			if fNew <= f+1e-4*step*slope {
				ok = true
				break
			}
			step *= 0.5
		}
		if !ok {
			return norm(g), errNoProgress
		}
		var sk, yk []float64
		if len(s) == m {
			sk, yk = s[0], yv[0]
			s, yv, rho = s[1:], yv[1:], rho[1:]
		} else {
			sk, yk = make([]float64, n), make([]float64, n)
		}
		for i := range x {
			sk[i] = xNew[i] - x[i]
			yk[i] = gNew[i] - g[i]
		}
		copy(x, xNew)
		copy(g, gNew)
		f = fNew
		if sy := dot(sk, yk); sy > 1e-300 {
			s = append(s, sk)
			yv = append(yv, yk)
			rho = append(rho, 1/sy)
		}
	}
	return norm(g), errors.New("iteration limit reached")
}

func infNorm(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}
