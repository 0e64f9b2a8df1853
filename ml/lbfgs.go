package ml

import (
	"errors"
	"math"
)

// errNoProgress is returned by minimizeLBFGS when the line search fails.
var errNoProgress = errors.New("line search made no progress")

// errIterLimit is returned by minimizeLBFGS when it stops at MaxIter.
var errIterLimit = errors.New("iteration limit reached")

// lbfgsOptions are the stopping rules of minimizeLBFGS, those of scipy's
// L-BFGS-B as scikit-learn 1.2's LogisticRegression calls it
// (scipy.optimize.minimize(method="L-BFGS-B", options={"gtol": tol,
// "maxiter": max_iter}), so ftol, maxls and m are scipy's defaults).
type lbfgsOptions struct {
	// GTol: stop when norm(gradient) <= GTol (scipy's pgtol).
	GTol float64
	// FTol: stop when an iteration reduces f by at most
	// FTol·max(|f_old|, |f_new|, 1), with f measured as FScale·f
	// (scipy's ftol = factr·eps; 0 disables the test).
	FTol, FScale float64
	// MaxIter bounds the iterations (scipy's maxiter); MaxLS the function
	// evaluations of one line search (scipy's maxls).
	MaxIter, MaxLS int
	// Norm measures the gradient (nil: its largest absolute component).
	Norm func(g []float64) float64
}

// scipyFTol is scipy.optimize.minimize's default ftol for L-BFGS-B
// (factr = 1e7 times the machine epsilon).
const scipyFTol = 1e7 * 2.220446049250313e-16

// minimizeLBFGS minimizes a smooth function with limited-memory BFGS
// (memory 10) and a backtracking Armijo line search, starting from x (which
// it updates in place). fg evaluates the function and writes the gradient.
// It stops by o's rules and returns the final gradient norm and the number
// of iterations; the error says why it stopped short of convergence
// (errIterLimit, errNoProgress). (gonum's optimize package would pull in a
// dependency that this module does not carry, so this small implementation
// is used instead.)
func minimizeLBFGS(x []float64, fg func(x, grad []float64) float64, o lbfgsOptions) (float64, int, error) {
	norm := o.Norm
	if norm == nil {
		norm = infNorm
	}
	maxLS := o.MaxLS
	if maxLS <= 0 {
		maxLS = 20
	}
	fscale := o.FScale
	if fscale == 0 {
		fscale = 1
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
	gn := norm(g)
	if gn <= o.GTol {
		return gn, 0, nil
	}
	for iter := 0; iter < o.MaxIter; iter++ {
		gnorm := infNorm(g)
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
		for range maxLS {
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
			if len(s) > 0 {
				// As L-BFGS-B: drop the memory and retry along the gradient.
				s, yv, rho = s[:0], yv[:0], rho[:0]
				iter--
				continue
			}
			return gn, iter, errNoProgress
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
		fOld := f
		f = fNew
		if sy := dot(sk, yk); sy > 1e-300 {
			s = append(s, sk)
			yv = append(yv, yk)
			rho = append(rho, 1/sy)
		}
		gn = norm(g)
		if iter+1 >= o.MaxIter {
			break // scipy checks maxiter before the convergence tests
		}
		if gn <= o.GTol {
			return gn, iter + 1, nil
		}
		if a, b := fscale*fOld, fscale*f; a-b <= o.FTol*max(math.Abs(a), math.Abs(b), 1) {
			return gn, iter + 1, nil
		}
	}
	return gn, o.MaxIter, errIterLimit
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
