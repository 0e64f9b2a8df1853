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
// features, to the exact optimum within Tol: the largest gradient component
// of the objective divided by the number of samples, in the original units,
// is below Tol. scikit-learn stops at max_iter=100 or a summed gradient of
// 1e-4; where it converges both give the same predictions, where it does not
// (digits) ours is the optimum it was heading for.
type LogisticRegression struct {
	C       float64 `json:"c"`
	Tol     float64 `json:"tol"`
	MaxIter int     `json:"max_iter"`

	// Fitted parameters. With two classes, row 0 is zero and row 1 holds
	// the binary model (scikit-learn's single coef_ row).
	Classes   []int       `json:"classes"`
	Coef      [][]float64 `json:"coef"`      // len(Classes) × features
	Intercept []float64   `json:"intercept"` // len(Classes)
	// GradNorm is the final max-abs gradient of the scaled objective.
	GradNorm float64 `json:"grad_norm"`
}

// NewLogisticRegression returns an unfitted model with C=1, Tol=1e-8 and
// MaxIter=100 (scikit-learn's max_iter).
func NewLogisticRegression() *LogisticRegression {
	return &LogisticRegression{C: 1, Tol: 1e-8, MaxIter: 100}
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
		tol = 1e-8
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
	m.GradNorm, _ = minimizeLBFGS(v, obj.eval, tol, maxIter, norm)
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
type lrProblem struct {
	X    []float64
	n, d int
	K    int
	y    []int
	C    float64
	pen  []float64
	z    []float64
}

// multinomial adds the multinomial loss's gradient to grad and returns the
// loss, with two matrix products: Z = X·Wᵀ + b and G = Rᵀ·X for the
// residuals R = softmax(Z) − onehot(y).
func (p *lrProblem) multinomial(w, grad []float64) float64 {
	n, d, K := p.n, p.d, p.K
	if len(p.z) != n*K {
		p.z = make([]float64, n*K)
	}
	z := p.z
	for i := range n {
		for k := range K {
			z[i*K+k] = w[k*(d+1)+d]
		}
	}
	// w is K × (d+1): the weights are its first d columns, stride d+1.
	W := blas64.General{Rows: K, Cols: d, Stride: d + 1, Data: w}
	Xm := blas64.General{Rows: n, Cols: d, Stride: d, Data: p.X}
	Zm := blas64.General{Rows: n, Cols: K, Stride: K, Data: z}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, Xm, W, 1, Zm)
	var loss float64
	for i := range n {
		zi := z[i*K : (i+1)*K]
		zmax := zi[0]
		for _, v := range zi[1:] {
			zmax = max(zmax, v)
		}
		zy := zi[p.y[i]] - zmax
		var sum float64
		for k, v := range zi {
			e := math.Exp(v - zmax)
			zi[k] = e
			sum += e
		}
		loss += math.Log(sum) - zy
		for k := range zi {
			zi[k] /= sum
		}
		zi[p.y[i]]--
		for k := range K {
			grad[k*(d+1)+d] += zi[k]
		}
	}
	G := blas64.General{Rows: K, Cols: d, Stride: d + 1, Data: grad}
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, Zm, Xm, 1, G)
	return loss
}

// eval returns the objective divided by n and writes its gradient.
func (p *lrProblem) eval(w, grad []float64) float64 {
	clear(grad)
	d, K := p.d, p.K
	var loss float64
	if K == 1 {
		wb := w[d]
		for i := range p.n {
			x := p.X[i*d : (i+1)*d]
			z := wb
			for j, v := range x {
				z += w[j] * v
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
				grad[j] += s * v
			}
			grad[d] += s
		}
	} else {
		loss = p.multinomial(w, grad)
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
