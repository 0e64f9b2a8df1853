package ml

import (
	"math"
	"testing"
)

func TestSVMTwoPoints(t *testing.T) {
	// x1=(0,0) class 0 (+1), x2=(2,0) class 1 (-1). gamma="scale":
	// values {0,0,2,0} have variance 0.75, so gamma = 1/(2·0.75) = 2/3 and
	// k = K(x1,x2) = exp(-8/3). The dual gives α1 = α2 = 1/(1-k) > 1, so
	// with C=1 both are bounded at C: f(x) = K(x1,x) - K(x2,x), rho = 0.
	X := [][]float64{{0, 0}, {2, 0}}
	y := []int{0, 1}
	k := math.Exp(-8.0 / 3)
	m := NewSVM()
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if !near(m.GammaFitted, 2.0/3, 1e-15) || len(m.SV) != 2 {
		t.Fatalf("gamma %v, %d SVs", m.GammaFitted, len(m.SV))
	}
	p := m.Pairs[0]
	if !near(p.Rho, 0, 1e-9) || !near(math.Abs(p.Coef[0]), 1, 1e-9) || !near(p.Coef[0]+p.Coef[1], 0, 1e-12) {
		t.Errorf("pair %+v", p)
	}
	dec, _ := m.DecisionFunction([][]float64{{0, 0}, {1, 0}, {2, 0}, {1, 5}})
	if !near(dec[0][0], 1-k, 1e-6) || !near(dec[1][0], 0, 1e-9) || !near(dec[2][0], -(1-k), 1e-6) || !near(dec[3][0], 0, 1e-9) {
		t.Errorf("decisions %v, want %v, 0, %v, 0", dec, 1-k, -(1 - k))
	}

	// With a large C the multipliers are free, α = 1/(1-k), and the
	// decision values at the support vectors are exactly ±1.
	m = &SVM{C: 100}
	_ = m.Fit(X, y)
	dec, _ = m.DecisionFunction([][]float64{{0, 0}, {2, 0}, {1, 0}})
	if !near(dec[0][0], 1, 1e-3) || !near(dec[1][0], -1, 1e-3) || !near(dec[2][0], 0, 1e-9) {
		t.Errorf("large C decisions %v", dec)
	}
	if a := math.Abs(m.Pairs[0].Coef[0]); !near(a, 1/(1-k), 1e-3) {
		t.Errorf("alpha %v, want %v", a, 1/(1-k))
	}
	pred, _ := m.Predict([][]float64{{0.9, 3}, {1.1, -3}})
	if pred[0] != 0 || pred[1] != 1 {
		t.Errorf("pred %v", pred)
	}
}

func TestSVMSeparable(t *testing.T) {
	// Three well separated clusters: every training point is classified
	// correctly, and in each pair Σ coef = Σ y_i α_i = 0, |coef| <= C.
	var X [][]float64
	var y []int
	centres := [][2]float64{{0, 0}, {6, 0}, {0, 6}}
	for c, ctr := range centres {
		for i := range 15 {
			a := float64(i) * 0.7
			X = append(X, []float64{ctr[0] + math.Cos(a), ctr[1] + math.Sin(a)*0.8})
			y = append(y, c)
		}
	}
	m := NewSVM()
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	pred, _ := m.Predict(X)
	if acc := Accuracy(y, pred); acc != 1 {
		t.Errorf("training accuracy %v", acc)
	}
	if len(m.Pairs) != 3 {
		t.Fatalf("%d pairs", len(m.Pairs))
	}
	for _, p := range m.Pairs {
		var s float64
		for _, c := range p.Coef {
			s += c
			if math.Abs(c) > m.C+1e-12 || c == 0 {
				t.Errorf("coef %v out of (0, C]", c)
			}
		}
		if !near(s, 0, 1e-9) {
			t.Errorf("pair %d/%d: Σ y α = %v", p.Pos, p.Neg, s)
		}
	}
}

func TestSVMVoteTie(t *testing.T) {
	// A 3-class machine whose pairwise decisions form a cycle gets one vote
	// per class: the smallest class wins.
	m := &SVM{Classes: []int{0, 1, 2}, NFeatures: 1, GammaFitted: 1,
		Pairs: []SVMPair{{Pos: 0, Neg: 1, Rho: -1}, {Pos: 0, Neg: 2, Rho: 1}, {Pos: 1, Neg: 2, Rho: -1}}}
	pred, err := m.Predict([][]float64{{0}})
	if err != nil || pred[0] != 0 {
		t.Errorf("pred %v err %v", pred, err)
	}
}
