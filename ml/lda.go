package ml

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// LDA is linear discriminant analysis with the SVD solver, as sklearn's
// LinearDiscriminantAnalysis(solver="svd"): class priors are the class
// frequencies, the within-class covariance is shared, and directions whose
// singular value is at most 1e-4 are dropped.
type LDA struct {
	// Fitted parameters: the decision function of class k is
	// Coef[k]·x + Intercept[k].
	Classes   []int       `json:"classes"`
	Priors    []float64   `json:"priors"`
	Means     [][]float64 `json:"means"`
	Coef      [][]float64 `json:"coef"`
	Intercept []float64   `json:"intercept"`
}

const ldaTol = 1e-4

// Fit estimates class means, priors and the discriminant directions.
func (m *LDA) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	n, K := len(X), len(classes)
	yi := labelIndex(y, classes)
	counts := make([]float64, K)
	means := make([][]float64, K)
	for k := range means {
		means[k] = make([]float64, d)
	}
	for i, x := range X {
		counts[yi[i]]++
		axpy(1, x, means[yi[i]])
	}
	priors := make([]float64, K)
	xbar := make([]float64, d)
	for k := range K {
		for j := range d {
			means[k][j] /= counts[k]
		}
		priors[k] = counts[k] / float64(n)
		axpy(priors[k], means[k], xbar)
	}
	m.Classes, m.Priors, m.Means = classes, priors, means
	m.Coef = make([][]float64, K)
	m.Intercept = make([]float64, K)
	for k := range K {
		m.Coef[k] = make([]float64, d)
		m.Intercept[k] = math.Log(priors[k])
	}
	if K == 1 {
		return nil
	}

	// Within-class scaled data and its SVD.
	std := make([]float64, d)
	colMean := make([]float64, d)
	xc := mat.NewDense(n, d, nil)
	for i, x := range X {
		for j := range d {
			v := x[j] - means[yi[i]][j]
			xc.Set(i, j, v)
			colMean[j] += v
		}
	}
	for j := range d {
		colMean[j] /= float64(n)
		for i := range n {
			v := xc.At(i, j) - colMean[j]
			std[j] += v * v
		}
		std[j] = math.Sqrt(std[j] / float64(n))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	den := float64(n - K)
	if den <= 0 {
		den = 1
	}
	fac := math.Sqrt(1 / den)
	for i := range n {
		for j := range d {
			xc.Set(i, j, fac*xc.At(i, j)/std[j])
		}
	}
	s, v, rank, ok := thinSVD(xc, func([]float64) float64 { return ldaTol })
	if !ok {
		return badInput("LDA: SVD of within-class data did not converge")
	}
	if rank == 0 {
		return nil // no within-class variance: priors decide
	}
	// scalings1 (d×rank) = (Vt[:rank] / std).T / S[:rank]
	sc1 := make([][]float64, d)
	for j := range d {
		sc1[j] = make([]float64, rank)
		for r := range rank {
			sc1[j][r] = v.At(j, r) / std[j] / s[r]
		}
	}
	// Between-class data projected on scalings1, and its SVD.
	bfac := 1 / float64(K-1)
	xb := mat.NewDense(K, rank, nil)
	for k := range K {
		w := math.Sqrt(float64(n) * priors[k] * bfac)
		for r := range rank {
			var sum float64
			for j := range d {
				sum += w * (means[k][j] - xbar[j]) * sc1[j][r]
			}
			xb.Set(k, r, sum)
		}
	}
	_, v2, rank2, ok := thinSVD(xb, func(s []float64) float64 { return ldaTol * s[0] })
	if !ok {
		return badInput("LDA: SVD of between-class data did not converge")
	}
	// scalings (d×rank2) = scalings1 · V2[:, :rank2]
	sc := make([][]float64, d)
	for j := range d {
		sc[j] = make([]float64, rank2)
		for q := range rank2 {
			for r := range rank {
				sc[j][q] += sc1[j][r] * v2.At(r, q)
			}
		}
	}
	for k := range K {
		proj := make([]float64, rank2)
		for q := range rank2 {
			for j := range d {
				proj[q] += (means[k][j] - xbar[j]) * sc[j][q]
			}
		}
		m.Intercept[k] = -0.5*dot(proj, proj) + math.Log(priors[k])
		for j := range d {
			m.Coef[k][j] = dot(proj, sc[j])
		}
		m.Intercept[k] -= dot(xbar, m.Coef[k])
	}
	return nil
}

// DecisionFunction returns Coef[k]·x + Intercept[k] for each row and class.
func (m *LDA) DecisionFunction(X [][]float64) ([][]float64, error) {
	return linearScores("LDA", m.Classes, m.Coef, m.Intercept, X)
}

// Predict returns the class with the largest decision value (first on ties).
func (m *LDA) Predict(X [][]float64) ([]int, error) {
	return linearPredict("LDA", m.Classes, m.Coef, m.Intercept, X)
}

// thinSVD factorizes m and returns its singular values, V, and the rank:
// how many values exceed the tolerance tol computes from them. ok is false
// when the factorization did not converge.
func thinSVD(m *mat.Dense, tol func(values []float64) float64) (values []float64, v *mat.Dense, rank int, ok bool) {
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDThin) {
		return nil, nil, 0, false
	}
	values = svd.Values(nil)
	v = &mat.Dense{}
	svd.VTo(v)
	t := tol(values)
	for _, sv := range values {
		if sv > t {
			rank++
		}
	}
	return values, v, rank, true
}
