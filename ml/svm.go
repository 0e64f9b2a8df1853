package ml

import "math"

// SVM is a C-support vector classifier with an RBF kernel, as sklearn's
// SVC() defaults: C=1, gamma="scale" = 1/(n_features·Var(X)) over all values
// of the training X, stopping tolerance 1e-3, one-vs-one for more than two
// classes with libsvm's voting (a vote tie goes to the smallest class). Each
// binary problem is solved by SMO with libsvm's working set selection and an
// LRU cache of kernel rows (no shrinking).
type SVM struct {
	C     float64 `json:"c"`
	Gamma float64 `json:"gamma"` // 0 means "scale"
	Tol   float64 `json:"tol"`
	// CacheMB bounds the kernel row cache (default 200).
	CacheMB int `json:"cache_mb"`

	// Fitted parameters.
	Classes     []int       `json:"classes"`
	NFeatures   int         `json:"n_features"`
	GammaFitted float64     `json:"gamma_fitted"`
	SV          [][]float64 `json:"sv"` // all support vectors
	Pairs       []SVMPair   `json:"pairs"`
}

// SVMPair is the binary classifier for classes Classes[Pos] (positive
// decision) against Classes[Neg]: f(x) = Σ Coef[k]·K(SV[Index[k]], x) − Rho.
type SVMPair struct {
	Pos   int       `json:"pos"`
	Neg   int       `json:"neg"`
	Index []int     `json:"index"`
	Coef  []float64 `json:"coef"`
	Rho   float64   `json:"rho"`
	Iter  int       `json:"iter"`
}

// NewSVM returns an unfitted SVM with C=1, gamma="scale" and Tol=1e-3.
func NewSVM() *SVM { return &SVM{C: 1, Tol: 1e-3, CacheMB: 200} }

// Fit trains one binary machine per pair of classes.
func (m *SVM) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	if !(m.C > 0) {
		return badInput("SVM: C must be positive, got %v", m.C)
	}
	if m.Gamma < 0 || math.IsNaN(m.Gamma) {
		return badInput("SVM: gamma must be >= 0, got %v", m.Gamma)
	}
	tol := m.Tol
	if !(tol > 0) {
		tol = 1e-3
	}
	cache := m.CacheMB
	if cache <= 0 {
		cache = 200
	}
	gamma := m.Gamma
	if gamma == 0 {
		var sum, ss float64
		for _, x := range X {
			for _, v := range x {
				sum += v
			}
		}
		mean := sum / float64(len(X)*d)
		for _, x := range X {
			for _, v := range x {
				ss += (v - mean) * (v - mean)
			}
		}
		vr := ss / float64(len(X)*d)
		gamma = 1.0
		if vr > 0 {
			gamma = 1 / (float64(d) * vr)
		}
	}
	K := len(classes)
	yi := labelIndex(y, classes)
	m.Classes, m.NFeatures, m.GammaFitted = classes, d, gamma
	m.SV, m.Pairs = nil, nil
	svOf := make(map[int]int) // training row -> index in SV
	for a := 0; a < K; a++ {
		for b := a + 1; b < K; b++ {
			var rows []int
			for i, c := range yi {
				if c == a || c == b {
					rows = append(rows, i)
				}
			}
			sx := make([][]float64, len(rows))
			sy := make([]float64, len(rows))
			for k, i := range rows {
				sx[k] = X[i]
				sy[k] = -1
				if yi[i] == a {
					sy[k] = 1
				}
			}
			res := solveSMO(sx, sy, m.C, gamma, tol, cache<<20)
			p := SVMPair{Pos: a, Neg: b, Rho: res.rho, Iter: res.iter}
			for k, al := range res.alpha {
				if al <= 0 {
					continue
				}
				i := rows[k]
				s, ok := svOf[i]
				if !ok {
					s = len(m.SV)
					svOf[i] = s
					m.SV = append(m.SV, append([]float64(nil), X[i]...))
				}
				p.Index = append(p.Index, s)
				p.Coef = append(p.Coef, sy[k]*al)
			}
			m.Pairs = append(m.Pairs, p)
		}
	}
	return nil
}

// validate checks the fitted parameters so Predict cannot panic.
func (m *SVM) validate() error {
	K := len(m.Classes)
	if K == 0 || m.NFeatures <= 0 {
		return ErrNotFitted
	}
	if len(m.Pairs) != K*(K-1)/2 {
		return badInput("SVM: %d pairs for %d classes", len(m.Pairs), K)
	}
	for _, sv := range m.SV {
		if len(sv) != m.NFeatures {
			return badInput("SVM: support vector of wrong dimension")
		}
	}
	for _, p := range m.Pairs {
		if p.Pos < 0 || p.Pos >= K || p.Neg < 0 || p.Neg >= K || len(p.Index) != len(p.Coef) {
			return badInput("SVM: malformed pair")
		}
		for _, s := range p.Index {
			if s < 0 || s >= len(m.SV) {
				return badInput("SVM: support vector index out of range")
			}
		}
	}
	return nil
}

// DecisionFunction returns, for each row, the value of each pairwise
// decision function in the order of Pairs (positive favours Pos).
func (m *SVM) DecisionFunction(X [][]float64) ([][]float64, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	if err := checkRows(X, m.NFeatures); err != nil {
		return nil, err
	}
	kv := make([]float64, len(m.SV))
	out := make([][]float64, len(X))
	for r, x := range X {
		for s, sv := range m.SV {
			var d2 float64
			for k, v := range sv {
				d := v - x[k]
				d2 += d * d
			}
			kv[s] = math.Exp(-m.GammaFitted * d2)
		}
		dec := make([]float64, len(m.Pairs))
		for q, p := range m.Pairs {
			sum := -p.Rho
			for k, s := range p.Index {
				sum += p.Coef[k] * kv[s]
			}
			dec[q] = sum
		}
		out[r] = dec
	}
	return out, nil
}

// Predict returns the class with the most one-vs-one votes (smallest class
// on ties); a pair votes for Pos when its decision value is positive.
func (m *SVM) Predict(X [][]float64) ([]int, error) {
	dec, err := m.DecisionFunction(X)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(X))
	votes := make([]int, len(m.Classes))
	for r, dv := range dec {
		clear(votes)
		for q, p := range m.Pairs {
			if dv[q] > 0 {
				votes[p.Pos]++
			} else {
				votes[p.Neg]++
			}
		}
		out[r] = m.Classes[argmaxInt(votes)]
	}
	return out, nil
}
