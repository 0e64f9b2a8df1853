package ml

import "testing"

func TestLDATwoBlobs(t *testing.T) {
	// Two classes sharing the same zero-mean offsets around (-2,0) and (2,0):
	// equal covariance and priors, so the boundary passes through the
	// midpoint (0,0) and Coef[1]-Coef[0] = Σ⁻¹(μ1-μ0) with Σ the pooled
	// covariance (scatter / (n - K)).
	offs := [][2]float64{{1, 0.5}, {-1, -0.5}, {0.3, -1}, {-0.3, 1}}
	var X [][]float64
	var y []int
	for c, cx := range []float64{-2, 2} {
		for _, o := range offs {
			X = append(X, []float64{cx + o[0], o[1]})
			y = append(y, c)
		}
	}
	// Scatter per class: Σ o oᵀ = [[2.18, 0.4], [0.4, 2.5]]; two classes, n-K = 6.
	s00, s01, s11 := 2*2.18/6, 2*0.4/6, 2*2.5/6
	det := s00*s11 - s01*s01
	want0, want1 := 4*s11/det, -4*s01/det

	m := &LDA{}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	g0 := m.Coef[1][0] - m.Coef[0][0]
	g1 := m.Coef[1][1] - m.Coef[0][1]
	if !near(g0, want0, 1e-9) || !near(g1, want1, 1e-9) {
		t.Errorf("coef difference (%v, %v), want (%v, %v)", g0, g1, want0, want1)
	}
	dec, err := m.DecisionFunction([][]float64{{0, 0}, {0.01, 0}, {-0.01, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !near(dec[0][1]-dec[0][0], 0, 1e-9) {
		t.Errorf("decision at midpoint: %v", dec[0])
	}
	pred, _ := m.Predict([][]float64{{0.01, 0}, {-0.01, 0}, {3, 2}, {-3, -2}})
	if pred[0] != 1 || pred[1] != 0 || pred[2] != 1 || pred[3] != 0 {
		t.Errorf("pred %v", pred)
	}
	if !near(m.Priors[0], 0.5, 0) || !near(m.Means[1][0], 2, 1e-12) {
		t.Errorf("priors %v means %v", m.Priors, m.Means)
	}
}

func TestLDAPriorsShiftBoundary(t *testing.T) {
	// 1-D, class 0 = {-3,-1} (3 copies), class 1 = {1,3} (1 copy): pooled
	// variance σ² = (6·1 + 2·1)/(8-2) = 4/3; the boundary moves from 0 to
	// x* = σ²·log(π0/π1)/(μ1-μ0) = (4/3)·log 3 / 4.
	var X [][]float64
	var y []int
	for range 3 {
		X = append(X, []float64{-3}, []float64{-1})
		y = append(y, 0, 0)
	}
	X = append(X, []float64{1}, []float64{3})
	y = append(y, 1, 1)
	m := &LDA{}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	xstar := (4.0 / 3) * 1.0986122886681098 / 4
	dec, _ := m.DecisionFunction([][]float64{{xstar}})
	if !near(dec[0][1]-dec[0][0], 0, 1e-9) {
		t.Errorf("decision difference at %v: %v", xstar, dec[0][1]-dec[0][0])
	}
}
