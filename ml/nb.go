package ml

import "math"

// GaussianNB is Gaussian naive Bayes as sklearn's GaussianNB(): per-class
// feature means and (population) variances, each variance increased by
// VarSmoothing times the largest feature variance of the training data, and
// class priors from class frequencies.
type GaussianNB struct {
	// VarSmoothing defaults to 1e-9 when zero.
	VarSmoothing float64 `json:"var_smoothing"`

	// Fitted parameters.
	Classes []int       `json:"classes"`
	Priors  []float64   `json:"priors"`
	Theta   [][]float64 `json:"theta"` // class means
	Var     [][]float64 `json:"var"`   // smoothed class variances
	Epsilon float64     `json:"epsilon"`
}

// Fit estimates the per-class Gaussians.
func (m *GaussianNB) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	vs := m.VarSmoothing
	if vs == 0 {
		vs = 1e-9
	}
	if !(vs > 0) {
		return badInput("NB: var_smoothing must be positive, got %v", m.VarSmoothing)
	}
	n, K := len(X), len(classes)
	yi := labelIndex(y, classes)
	// Largest variance over all features.
	var maxVar float64
	for j := range d {
		var mean, ss float64
		for _, x := range X {
			mean += x[j]
		}
		mean /= float64(n)
		for _, x := range X {
			ss += (x[j] - mean) * (x[j] - mean)
		}
		maxVar = max(maxVar, ss/float64(n))
	}
	eps := vs * maxVar
	if eps == 0 {
		eps = vs // every feature constant: keep variances positive
	}
	counts := make([]float64, K)
	theta := make([][]float64, K)
	vr := make([][]float64, K)
	for k := range K {
		theta[k] = make([]float64, d)
		vr[k] = make([]float64, d)
	}
	for i, x := range X {
		counts[yi[i]]++
		axpy(1, x, theta[yi[i]])
	}
	for k := range K {
		for j := range d {
			theta[k][j] /= counts[k]
		}
	}
	for i, x := range X {
		k := yi[i]
		for j := range d {
			dv := x[j] - theta[k][j]
			vr[k][j] += dv * dv
		}
	}
	priors := make([]float64, K)
	for k := range K {
		for j := range d {
			vr[k][j] = vr[k][j]/counts[k] + eps
		}
		priors[k] = counts[k] / float64(n)
	}
	*m = GaussianNB{VarSmoothing: m.VarSmoothing, Classes: classes, Priors: priors, Theta: theta, Var: vr, Epsilon: eps}
	return nil
}

// jointLogLikelihood returns log P(c) + log P(x|c) per row and class.
func (m *GaussianNB) jointLogLikelihood(X [][]float64) ([][]float64, error) {
	K := len(m.Classes)
	if K == 0 || len(m.Priors) != K || len(m.Theta) != K || len(m.Var) != K {
		return nil, ErrNotFitted
	}
	d := len(m.Theta[0])
	for k := range K {
		if len(m.Theta[k]) != d || len(m.Var[k]) != d {
			return nil, badInput("NB: ragged parameters")
		}
		for _, v := range m.Var[k] {
			if !(v > 0) {
				return nil, badInput("NB: non-positive variance")
			}
		}
	}
	if err := checkRows(X, d); err != nil {
		return nil, err
	}
	norm := make([]float64, K)
	for k := range K {
		norm[k] = math.Log(m.Priors[k])
		for _, v := range m.Var[k] {
			norm[k] -= 0.5 * math.Log(2*math.Pi*v)
		}
	}
	out := make([][]float64, len(X))
	for i, x := range X {
		s := make([]float64, K)
		for k := range K {
			var q float64
			for j, v := range x {
				dv := v - m.Theta[k][j]
				q += dv * dv / m.Var[k][j]
			}
			s[k] = norm[k] - 0.5*q
		}
		out[i] = s
	}
	return out, nil
}

// PredictProba returns the posterior class probabilities of each row, in
// the order of Classes; each row sums to one.
func (m *GaussianNB) PredictProba(X [][]float64) ([][]float64, error) {
	jll, err := m.jointLogLikelihood(X)
	if err != nil {
		return nil, err
	}
	for _, s := range jll {
		mx := s[argmax(s)]
		var sum float64
		for k := range s {
			s[k] = math.Exp(s[k] - mx)
			sum += s[k]
		}
		for k := range s {
			s[k] /= sum
		}
	}
	return jll, nil
}

// Predict returns the class with the largest posterior (first on ties).
func (m *GaussianNB) Predict(X [][]float64) ([]int, error) {
	jll, err := m.jointLogLikelihood(X)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(X))
	for i, s := range jll {
		out[i] = m.Classes[argmax(s)]
	}
	return out, nil
}
