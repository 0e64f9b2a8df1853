package ml

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// SVM is a C-support vector classifier with an RBF kernel, as sklearn's
// SVC() defaults: C=1, gamma="scale" = 1/(n_features·Var(X)) over all values
// of the training X (or "auto" = 1/n_features with GammaAuto), stopping
// tolerance 1e-3, one-vs-one for more than two
// classes with libsvm's voting (a vote tie goes to the smallest class). Each
// binary problem is solved as libsvm's Solver (smo.go): SMO with its working
// set selection, its shrinking and its LRU cache of kernel rows (CacheMB);
// the problems are solved in parallel, which changes nothing in the result.
//
// Kernel may also be libsvm's (and sklearn's) "linear" a·b, "poly"
// (γ a·b + Coef0)^Degree or "sigmoid" tanh(γ a·b + Coef0); "" is "rbf".
type SVM struct {
	C         float64 `json:"c"`
	Gamma     float64 `json:"gamma"`                // 0 means "scale", or "auto" with GammaAuto
	GammaAuto bool    `json:"gamma_auto,omitempty"` // gamma="auto": 1/n_features (when Gamma is 0)
	Kernel    string  `json:"kernel,omitempty"`     // rbf (""), linear, poly or sigmoid
	Degree    int     `json:"degree,omitempty"`     // poly only; NewSVM sets sklearn's 3
	Coef0     float64 `json:"coef0,omitempty"`      // poly and sigmoid
	Tol       float64 `json:"tol"`
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

// NewSVM returns an unfitted SVM with sklearn's defaults: C=1,
// kernel="rbf", gamma="scale", degree=3, coef0=0 and Tol=1e-3.
func NewSVM() *SVM { return &SVM{C: 1, Degree: 3, Tol: 1e-3, CacheMB: 200} }

// kernel returns the kernel of m with gamma g, or an error for a kernel
// name or degree it does not take.
func (m *SVM) kernel(g float64) (svmKernel, error) {
	name := m.Kernel
	if name == "" {
		name = "rbf"
	}
	kind := slices.Index(kernelNames, name)
	if kind < 0 {
		return svmKernel{}, badInput("SVM: kernel %q (want one of %v)", m.Kernel, kernelNames)
	}
	if kind == kernelPoly && m.Degree < 0 {
		return svmKernel{}, badInput("SVM: degree must be >= 0, got %d", m.Degree)
	}
	if math.IsNaN(m.Coef0) || math.IsInf(m.Coef0, 0) {
		return svmKernel{}, badInput("SVM: coef0 must be finite, got %v", m.Coef0)
	}
	return svmKernel{kind: kind, gamma: g, coef0: m.Coef0, degree: m.Degree}, nil
}

// Fit trains one binary machine per pair of classes.
func (m *SVM) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	if !(m.C > 0) {
		return badInput("SVM: C must be positive, got %v", m.C)
	}
	if m.Gamma < 0 || math.IsNaN(m.Gamma) || math.IsInf(m.Gamma, 0) {
		return badInput("SVM: gamma must be >= 0, got %v", m.Gamma)
	}
	if _, err := m.kernel(0); err != nil {
		return err
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
	if gamma == 0 && m.GammaAuto {
		gamma = 1 / float64(d)
	} else if gamma == 0 {
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
	kern, _ := m.kernel(gamma)
	K := len(classes)
	yi := labelIndex(y, classes)
	m.Classes, m.NFeatures, m.GammaFitted = classes, d, gamma
	m.SV, m.Pairs = nil, nil
	// The binary problems, as libsvm's svm_train: for classes a < b, the
	// rows of a (in training order), then those of b; solved in parallel,
	// put together in order.
	byClass := make([][]int, K)
	for i, c := range yi {
		byClass[c] = append(byClass[c], i)
	}
	type problem struct {
		a, b int
		rows []int
		y    []float64
		res  smoResult
	}
	var probs []*problem
	for a := 0; a < K; a++ {
		for b := a + 1; b < K; b++ {
			p := &problem{a: a, b: b, rows: append(slices.Clip(byClass[a]), byClass[b]...)}
			p.y = make([]float64, len(p.rows))
			for k := range p.y {
				p.y[k] = -1
				if k < len(byClass[a]) {
					p.y[k] = 1
				}
			}
			probs = append(probs, p)
		}
	}
	parallelFor(len(probs), func(q int) {
		p := probs[q]
		sx := make([][]float64, len(p.rows))
		for k, i := range p.rows {
			sx[k] = X[i]
		}
		p.res = solveSMO(sx, p.y, m.C, kern, tol, cache<<20)
	})
	svOf := make(map[int]int) // training row -> index in SV
	for _, pr := range probs {
		p := SVMPair{Pos: pr.a, Neg: pr.b, Rho: pr.res.rho, Iter: pr.res.iter}
		for k, al := range pr.res.alpha {
			if al <= 0 {
				continue
			}
			i := pr.rows[k]
			s, ok := svOf[i]
			if !ok {
				s = len(m.SV)
				svOf[i] = s
				m.SV = append(m.SV, append([]float64(nil), X[i]...))
			}
			p.Index = append(p.Index, s)
			p.Coef = append(p.Coef, pr.y[k]*al)
		}
		m.Pairs = append(m.Pairs, p)
	}
	return nil
}

// parallelFor calls f(0), …, f(n−1) on up to GOMAXPROCS goroutines.
func parallelFor(n int, f func(int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// validate checks the fitted parameters so Predict cannot panic.
func (m *SVM) validate() error {
	K := len(m.Classes)
	if K == 0 || m.NFeatures <= 0 {
		return ErrNotFitted
	}
	if _, err := m.kernel(m.GammaFitted); err != nil {
		return err
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
	kern, _ := m.kernel(m.GammaFitted) // validate checked it
	out := make([][]float64, len(X))
	const chunk = 64
	parallelFor((len(X)+chunk-1)/chunk, func(c int) {
		kv := make([]float64, len(m.SV))
		for r := c * chunk; r < min(len(X), (c+1)*chunk); r++ {
			m.kernelRow(kern, X[r], kv)
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
	})
	return out, nil
}

// kernelRow writes k(sv, x) for each support vector; for rbf four at a
// time (rbfDist4).
func (m *SVM) kernelRow(k svmKernel, x []float64, kv []float64) {
	g := k.gamma
	if k.kind != kernelRBF {
		for s, sv := range m.SV {
			kv[s] = k.eval(sv, x)
		}
		return
	}
	s := 0
	for ; s+4 <= len(m.SV); s += 4 {
		s0, s1, s2, s3 := rbfDist4(x, m.SV[s], m.SV[s+1], m.SV[s+2], m.SV[s+3])
		kv[s], kv[s+1], kv[s+2], kv[s+3] = math.Exp(-g*s0), math.Exp(-g*s1), math.Exp(-g*s2), math.Exp(-g*s3)
	}
	for ; s < len(m.SV); s++ {
		kv[s] = math.Exp(-g * rbfDist(m.SV[s], x))
	}
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
