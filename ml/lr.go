package ml

import "fmt"

// LogisticRegression is logistic regression with an L2 penalty, as
// scikit-learn 1.2.1's LogisticRegression() defaults (lbfgs, C=1.0,
// multi_class="auto"): multinomial for more than two classes, a single
// binary model (one-vs-rest) for two. It minimizes scikit-learn's objective
//
//	Σ_i loss(W x_i + b, y_i) + ½/C·||W||²
//
// (half multinomial or binomial log loss; the intercept b is not
// penalized) over the features as given, by L-BFGS-B as scikit-learn calls
// scipy's (minimize(method="L-BFGS-B", jac=True) with gtol=Tol,
// maxiter=MaxIter and scipy's other defaults), from zero. Where it stops at
// MaxIter it returns the iterate scikit-learn returns, not the optimum, and
// Converged is false (scikit-learn's ConvergenceWarning).
type LogisticRegression struct {
	C       float64 `json:"c"`
	Tol     float64 `json:"tol"`
	MaxIter int     `json:"max_iter"`

	// Fitted parameters. With two classes, row 0 is zero and row 1 holds
	// the binary model (scikit-learn's single coef_ row).
	Classes   []int       `json:"classes"`
	Coef      [][]float64 `json:"coef"`      // len(Classes) × features
	Intercept []float64   `json:"intercept"` // len(Classes)
	// GradNorm is the final max-abs gradient of the objective; NIter
	// scikit-learn's n_iter_ (L-BFGS-B iterations, at most MaxIter);
	// Converged whether L-BFGS-B met a convergence test, Status and
	// Message its status and message (scipy's) otherwise.
	GradNorm  float64 `json:"grad_norm"`
	NIter     int     `json:"n_iter,omitempty"`
	Converged bool    `json:"converged"`
	Status    int     `json:"status,omitempty"`
	Message   string  `json:"message,omitempty"`
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
	m.GradNorm, m.NIter, m.Converged, m.Status, m.Message = 0, 0, true, 0, ""
	if K == 1 {
		return nil
	}
	tol, maxIter := m.Tol, m.MaxIter
	if !(tol > 0) {
		tol = 1e-4
	}
	if maxIter <= 0 {
		maxIter = 100
	}
	n := len(X)
	flat := make([]float64, n*d)
	for i, x := range X {
		copy(flat[i*d:(i+1)*d], x)
	}
	Kw := K // weight vectors: one per class, or one for a binary problem
	if K == 2 {
		Kw = 1
	}
	p := &lrProblem{X: flat, n: n, d: d, K: Kw, y: labelIndex(y, classes), l2: 1 / m.C}
	// scikit-learn's layout: multinomial, the K classes of a feature
	// together (coef.ravel(order="F")), the intercepts last; binary, the
	// weights then the intercept.
	w := make([]float64, Kw*(d+1))
	o := scipyLBFGSB()
	o.GTol, o.MaxIter = tol, maxIter
	res := minimizeLBFGSB(w, p.eval, o)
	m.GradNorm, m.NIter = res.GNorm, min(res.NIter, maxIter)
	m.Converged, m.Status, m.Message = res.Status == lbfgsbConverged, int(res.Status), res.Message
	if K == 2 {
		copy(m.Coef[1], w[:d])
		m.Intercept[1] = w[d]
		return nil
	}
	for k := range K {
		for j := range d {
			m.Coef[k][j] = w[j*K+k]
		}
		m.Intercept[k] = w[d*K+k]
	}
	return nil
}

// ConvergenceWarning is scikit-learn's warning when lbfgs did not
// converge ("lbfgs failed to converge (status=1): STOP: TOTAL NO. of
// ITERATIONS REACHED LIMIT"), or "" when it did.
func (m *LogisticRegression) ConvergenceWarning() string {
	if m.Converged {
		return ""
	}
	return fmt.Sprintf("lbfgs failed to converge (status=%d): %s", m.Status, m.Message)
}

// DecisionFunction returns the scores W x + b for each row (one per class).
func (m *LogisticRegression) DecisionFunction(X [][]float64) ([][]float64, error) {
	return linearScores("LR", m.Classes, m.Coef, m.Intercept, X)
}

// Predict returns the class with the highest score (first on ties).
func (m *LogisticRegression) Predict(X [][]float64) ([]int, error) {
	return linearPredict("LR", m.Classes, m.Coef, m.Intercept, X)
}
