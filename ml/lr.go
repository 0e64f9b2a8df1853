package ml

import "math"

// LogisticRegression is multinomial logistic regression with an L2 penalty,
// as sklearn's LogisticRegression() defaults (lbfgs, C=1.0): it minimizes
//
//	sum_i cross-entropy(softmax(W x_i + b), y_i) + 0.5/C * ||W||²
//
// (the intercept b is not penalized) with L-BFGS until the largest gradient
// component of the objective divided by the number of samples is below Tol.
type LogisticRegression struct {
	C       float64 `json:"c"`
	Tol     float64 `json:"tol"`
	MaxIter int     `json:"max_iter"`

	// Fitted parameters.
	Classes   []int       `json:"classes"`
	Coef      [][]float64 `json:"coef"`      // len(Classes) × features
	Intercept []float64   `json:"intercept"` // len(Classes)
	// GradNorm is the final max-abs gradient of the scaled objective.
	GradNorm float64 `json:"grad_norm"`
}

// NewLogisticRegression returns an unfitted model with C=1, Tol=1e-8 and
// MaxIter=10000.
func NewLogisticRegression() *LogisticRegression {
	return &LogisticRegression{C: 1, Tol: 1e-8, MaxIter: 10000}
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
		maxIter = 10000
	}
	// Optimize first over standardized features (v = W·diag(std), with the
	// penalty rewritten so the objective is unchanged), which is much better
	// conditioned, then polish in the original parameters to the tolerance.
	mean, std := make([]float64, d), make([]float64, d)
	for j := range d {
		for _, x := range X {
			mean[j] += x[j]
		}
		mean[j] /= float64(len(X))
		for _, x := range X {
			std[j] += (x[j] - mean[j]) * (x[j] - mean[j])
		}
		std[j] = math.Sqrt(std[j] / float64(len(X)))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	Xs := make([][]float64, len(X))
	for i, x := range X {
		r := make([]float64, d)
		for j := range d {
			r[j] = (x[j] - mean[j]) / std[j]
		}
		Xs[i] = r
	}
	penS := make([]float64, d)
	for j := range d {
		penS[j] = 1 / (std[j] * std[j])
	}
	v := make([]float64, K*(d+1))
	minimizeLBFGS(v, func(w, g []float64) float64 { return lrObjective(w, g, Xs, yi, K, d, m.C, penS) }, tol/10, maxIter)
	w := make([]float64, K*(d+1))
	for k := range K {
		b := v[k*(d+1)+d]
		for j := range d {
			w[k*(d+1)+j] = v[k*(d+1)+j] / std[j]
			b -= v[k*(d+1)+j] * mean[j] / std[j]
		}
		w[k*(d+1)+d] = b
	}
	fg := func(w, grad []float64) float64 { return lrObjective(w, grad, X, yi, K, d, m.C, nil) }
	m.GradNorm, _ = minimizeLBFGS(w, fg, tol, maxIter)
	for k := range K {
		copy(m.Coef[k], w[k*(d+1):k*(d+1)+d])
		m.Intercept[k] = w[k*(d+1)+d]
	}
	return nil
}

// lrObjective returns the penalized multinomial loss divided by n and writes
// its gradient. w holds, per class, d weights followed by the intercept. The
// penalty of weight j is multiplied by penW[j] (1 when penW is nil).
func lrObjective(w, grad []float64, X [][]float64, y []int, K, d int, C float64, penW []float64) float64 {
	clear(grad)
	z := make([]float64, K)
	var loss float64
	for i, x := range X {
		zmax := math.Inf(-1)
		for k := range K {
			wk := w[k*(d+1) : (k+1)*(d+1)]
			s := wk[d]
			for j, v := range x {
				s += wk[j] * v
			}
			z[k] = s
			zmax = max(zmax, s)
		}
		zy := z[y[i]] - zmax
		var sum float64
		for k := range K {
			z[k] = math.Exp(z[k] - zmax)
			sum += z[k]
		}
		loss += math.Log(sum) - zy
		for k := range K {
			r := z[k] / sum
			if k == y[i] {
				r--
			}
			gk := grad[k*(d+1) : (k+1)*(d+1)]
			for j, v := range x {
				gk[j] += r * v
			}
			gk[d] += r
		}
	}
	var pen float64
	for k := range K {
		for j := range d {
			v := w[k*(d+1)+j]
			pw := 1.0
			if penW != nil {
				pw = penW[j]
			}
			pen += pw * v * v
			grad[k*(d+1)+j] += pw * v / C
		}
	}
	n := float64(len(X))
	for i := range grad {
		grad[i] /= n
	}
	return (loss + 0.5/C*pen) / n
}

// DecisionFunction returns the scores W x + b for each row (one per class).
func (m *LogisticRegression) DecisionFunction(X [][]float64) ([][]float64, error) {
	return linearScores("LR", m.Classes, m.Coef, m.Intercept, X)
}

// Predict returns the class with the highest score (first on ties).
func (m *LogisticRegression) Predict(X [][]float64) ([]int, error) {
	return linearPredict("LR", m.Classes, m.Coef, m.Intercept, X)
}
