package ml

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// LogisticRegression is logistic regression with an L2 penalty, as
// scikit-learn 1.2's LogisticRegression() defaults (lbfgs, C=1.0,
// multi_class="auto"): multinomial for more than two classes, a single
// binary model (one-vs-rest) for two. It minimizes
//
//	Σ_i cross-entropy(softmax(W x_i + b), y_i) + ½/C·||W||²
//
// (the intercept b is not penalized) with L-BFGS over standardized
// features, under scikit-learn's stopping rules (scipy's L-BFGS-B as
// scikit-learn 1.2.1 calls it): stop when the largest gradient component of
// that summed objective, in the original units, is at most Tol (gtol), when
// an iteration reduces the objective by at most 2.2e-9 (scipy's default
// ftol = 1e7·eps) of its size, or after MaxIter iterations. Where
// scikit-learn converges both stop near the same optimum and give the same
// predictions; where it does not (digits), ours is further along the way,
// as the standardized problem is better conditioned.
type LogisticRegression struct {
	C       float64 `json:"c"`
	Tol     float64 `json:"tol"`
	MaxIter int     `json:"max_iter"`

	// Fitted parameters. With two classes, row 0 is zero and row 1 holds
	// the binary model (scikit-learn's single coef_ row).
	Classes   []int       `json:"classes"`
	Coef      [][]float64 `json:"coef"`      // len(Classes) × features
	Intercept []float64   `json:"intercept"` // len(Classes)
	// GradNorm is the final max-abs gradient of the objective (summed over
	// samples, original units); NIter the L-BFGS iterations.
	GradNorm float64 `json:"grad_norm"`
	NIter    int     `json:"n_iter,omitempty"`
}

// NewLogisticRegression returns an unfitted model with scikit-learn's C=1,
// tol=1e-4 and max_iter=100.
func NewLogisticRegression() *LogisticRegression {
	return &LogisticRegression{C: 1, Tol: 1e-4, MaxIter: 100}
}

// Fit estimates the coefficients.
func (m *LogisticRegression) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	if !(m.C > 0) {
		return badInput("LR: C must be positive, got %v", m.C)
	}
	K := len(classes)
	m.Classes = classes
	m.Coef = make([][]float64, K)
	m.Intercept = make([]float64, K)
	for k := range m.Coef {
		m.Coef[k] = make([]float64, d)
	}
	if K == 1 {
		return nil
	}
	yi := labelIndex(y, classes)
	tol, maxIter := m.Tol, m.MaxIter
	if !(tol > 0) {
		tol = 1e-4
	}
	if maxIter <= 0 {
		maxIter = 100
	}
	// Optimize over standardized features (v = W·diag(std), with the
	// penalty rewritten so the objective is unchanged), which is much better
	// conditioned; the stopping test is on the gradient in original units,
	// g_orig[j] = g_std[j] / std[j].
	n := len(X)
	mean, std := make([]float64, d), make([]float64, d)
	for j := range d {
		for _, x := range X {
			mean[j] += x[j]
		}
		mean[j] /= float64(n)
		for _, x := range X {
			std[j] += (x[j] - mean[j]) * (x[j] - mean[j])
		}
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	flat := make([]float64, n*d)
	for i, x := range X {
		r := flat[i*d : (i+1)*d]
		for j := range d {
			r[j] = (x[j] - mean[j]) / std[j]
		}
	}
	penS := make([]float64, d)
	for j := range d {
		penS[j] = 1 / (std[j] * std[j])
	}
	Kw := K // weight vectors: one per class, or one for a binary problem
	if K == 2 {
		Kw = 1
	}
	// The gradient in original units: dW_j = std_j·dv_j + mean_j·dc, db = dc.
	norm := func(g []float64) float64 {
		var m float64
		for k := range Kw {
			gc := g[k*(d+1)+d]
			m = math.Max(m, math.Abs(gc))
			for j := range d {
				m = math.Max(m, math.Abs(std[j]*g[k*(d+1)+j]+mean[j]*gc))
			}
		}
		return m
	}
	obj := &lrProblem{X: flat, n: n, d: d, K: Kw, y: yi, C: m.C, pen: penS}
	v := make([]float64, Kw*(d+1))
	// eval is the objective divided by n: scale the tests to the sum.
	gn, it, _ := minimizeLBFGS(v, obj.eval, lbfgsOptions{GTol: tol / float64(n), FTol: scipyFTol,
		FScale: float64(n), MaxIter: maxIter, MaxLS: 20, Norm: norm})
	m.GradNorm, m.NIter = gn*float64(n), it
	for k := range Kw {
		b := v[k*(d+1)+d]
		row := k
		if K == 2 {
			row = 1
		}
		for j := range d {
			w := v[k*(d+1)+j] / std[j]
			m.Coef[row][j] = w
			b -= w * mean[j]
		}
		m.Intercept[row] = b
	}
	return nil
}

// lrProblem is the objective of Fit over standardized rows (flat, n × d):
// multinomial with K weight vectors, or binary logistic with K = 1 (class 1
// positive). pen[j] multiplies the penalty of weight j.
//
// eval splits the rows into chunks, a number fixed by the problem's size
// alone, evaluates them in parallel (up to GOMAXPROCS) and adds their
// losses and gradients in chunk order: the result does not depend on the
// number of processors.
type lrProblem struct {
	X    []float64
	n, d int
	K    int
	y    []int
	C    float64
	pen  []float64

	z      []float64   // n × K scores, then residuals
	bounds []int       // chunk c is rows bounds[c]:bounds[c+1]
	grads  [][]float64 // per chunk: its part of the gradient
	losses []float64
}

// lrChunkWork is about the multiply-adds of one chunk of an evaluation.
const lrChunkWork = 1 << 17

// lrGemmFeatures: above it a chunk's two products are matrix products,
// below it one fused pass over the rows.
const lrGemmFeatures = 16

func (p *lrProblem) setup() {
	if p.bounds != nil {
		return
	}
	work := p.n * (p.d + 1) * p.K
	nc := min(max(1, work/lrChunkWork), max(1, p.n/64), 64)
	if p.K > 1 && p.d > lrGemmFeatures {
		// At most 192 rows a chunk: gonum's Gemm runs a product of more
		// than three 64-row blocks on goroutines of its own.
		nc = max(nc, (p.n+191)/192)
	}
	p.bounds = make([]int, nc+1)
	for c := range nc + 1 {
		p.bounds[c] = c * p.n / nc
	}
	p.grads = make([][]float64, nc)
	for c := range p.grads {
		p.grads[c] = make([]float64, p.K*(p.d+1))
	}
	p.losses = make([]float64, nc)
	if p.K > 1 {
		p.z = make([]float64, p.n*p.K)
	}
}

// logSum adds log(v) for a stream of values v >= 1 with one logarithm per
// many values: it keeps their product while that stays finite.
type logSum struct {
	sum, prod float64
}

func (l *logSum) add(v float64) {
	l.prod *= v
	if l.prod > 1e250 {
		l.sum += math.Log(l.prod)
		l.prod = 1
	}
}

func (l *logSum) total() float64 { return l.sum + math.Log(l.prod) }

// chunk writes to grad the gradient of the loss of rows lo:hi (unscaled,
// without the penalty) and returns that loss.
func (p *lrProblem) chunk(w, grad []float64, lo, hi int) float64 {
	clear(grad)
	if p.K == 1 {
		return p.binary(w, grad, lo, hi)
	}
	return p.multinomial(w, grad, lo, hi)
}

func (p *lrProblem) binary(w, grad []float64, lo, hi int) float64 {
	d := p.d
	wb := w[d]
	wv := w[:d]
	gv := grad[:d]
	var loss float64
	for i := lo; i < hi; i++ {
		x := p.X[i*d : (i+1)*d]
		z := wb
		for j, v := range x {
			z += wv[j] * v
		}
		// log(1+e^z) − y z, and its derivative σ(z) − y.
		var l, s float64
		if z > 0 {
			e := math.Exp(-z)
			l, s = z+math.Log1p(e), 1/(1+e)
		} else {
			e := math.Exp(z)
			l, s = math.Log1p(e), e/(1+e)
		}
		if p.y[i] == 1 {
			l -= z
			s--
		}
		loss += l
		for j, v := range x {
			gv[j] += s * v
		}
		grad[d] += s
	}
	return loss
}

// multinomial: scores Z = X·Wᵀ + b, residuals R = softmax(Z) − onehot(y),
// gradient Rᵀ·X; by two matrix products for many features, else in one
// pass over the rows.
func (p *lrProblem) multinomial(w, grad []float64, lo, hi int) float64 {
	d, K := p.d, p.K
	z := p.z[lo*K : hi*K]
	rows := hi - lo
	gemm := d > lrGemmFeatures
	var Xm, Zm blas64.General
	if gemm {
		for i := range rows {
			for k := range K {
				z[i*K+k] = w[k*(d+1)+d]
			}
		}
		// w is K × (d+1): the weights are its first d columns, stride d+1.
		W := blas64.General{Rows: K, Cols: d, Stride: d + 1, Data: w}
		Xm = blas64.General{Rows: rows, Cols: d, Stride: d, Data: p.X[lo*d : hi*d]}
		Zm = blas64.General{Rows: rows, Cols: K, Stride: K, Data: z}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, Xm, W, 1, Zm)
	}
	var zy float64
	ls := logSum{prod: 1}
	for i := range rows {
		zi := z[i*K : (i+1)*K]
		x := p.X[(lo+i)*d : (lo+i+1)*d]
		if !gemm {
			for k := range K {
				wk := w[k*(d+1) : k*(d+1)+d]
				s := w[k*(d+1)+d]
				for j, v := range x {
					s += wk[j] * v
				}
				zi[k] = s
			}
		}
		am := 0
		for k := 1; k < K; k++ {
			if zi[k] > zi[am] {
				am = k
			}
		}
		zmax := zi[am]
		yi := p.y[lo+i]
		zy += zi[yi] - zmax
		var sum float64
		for k, v := range zi {
			e := 1.0 // exp(0)
			if k != am {
				e = math.Exp(v - zmax)
			}
			zi[k] = e
			sum += e
		}
		ls.add(sum)
		inv := 1 / sum
		for k := range zi {
			zi[k] *= inv
		}
		zi[yi]--
		for k, r := range zi {
			grad[k*(d+1)+d] += r
		}
		if !gemm {
			for k, r := range zi {
				gk := grad[k*(d+1) : k*(d+1)+d]
				for j, v := range x {
					gk[j] += r * v
				}
			}
		}
	}
	if gemm {
		G := blas64.General{Rows: K, Cols: d, Stride: d + 1, Data: grad}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, Zm, Xm, 1, G)
	}
	return ls.total() - zy
}

// eval returns the objective divided by n and writes its gradient.
func (p *lrProblem) eval(w, grad []float64) float64 {
	p.setup()
	d, K := p.d, p.K
	nc := len(p.grads)
	parallelFor(nc, func(c int) {
		p.losses[c] = p.chunk(w, p.grads[c], p.bounds[c], p.bounds[c+1])
	})
	copy(grad, p.grads[0])
	loss := p.losses[0]
	for c := 1; c < nc; c++ {
		for i, v := range p.grads[c] {
			grad[i] += v
		}
		loss += p.losses[c]
	}
	var pen float64
	for k := range K {
		for j := range d {
			v := w[k*(d+1)+j]
			pen += p.pen[j] * v * v
			grad[k*(d+1)+j] += p.pen[j] * v / p.C
		}
	}
	n := float64(p.n)
	for i := range grad {
		grad[i] /= n
	}
	return (loss + 0.5/p.C*pen) / n
}

// DecisionFunction returns the scores W x + b for each row (one per class).
func (m *LogisticRegression) DecisionFunction(X [][]float64) ([][]float64, error) {
	return linearScores("LR", m.Classes, m.Coef, m.Intercept, X)
}

// Predict returns the class with the highest score (first on ties).
func (m *LogisticRegression) Predict(X [][]float64) ([]int, error) {
	return linearPredict("LR", m.Classes, m.Coef, m.Intercept, X)
}
