package ml

import (
	"math"
	"testing"
)

func TestGaussianNBHandWorked(t *testing.T) {
	// Class 0 = {0, 2}: mean 1, variance 1. Class 1 = {4, 6}: mean 5,
	// variance 1. All X: mean 3, variance 5, so epsilon = 5e-9.
	m := &GaussianNB{}
	if err := m.Fit([][]float64{{0}, {2}, {4}, {6}}, []int{0, 0, 1, 1}); err != nil {
		t.Fatal(err)
	}
	if !near(m.Epsilon, 5e-9, 1e-20) || !near(m.Var[0][0], 1+5e-9, 1e-15) || m.Theta[1][0] != 5 {
		t.Errorf("eps %v var %v theta %v", m.Epsilon, m.Var, m.Theta)
	}
	p, err := m.PredictProba([][]float64{{3}, {1}})
	if err != nil {
		t.Fatal(err)
	}
	// At the midpoint both classes are equally likely. At x=1 the ratio
	// P1/P0 = exp(-(16-0)/(2v)) with v = 1+5e-9.
	v := 1 + 5e-9
	want := 1 / (1 + math.Exp(-8/v))
	if !near(p[0][0], 0.5, 1e-12) || !near(p[1][0], want, 1e-12) {
		t.Errorf("proba %v, want [0.5 0.5] and %v", p, want)
	}
}

func TestGaussianNBProbaSumsToOne(t *testing.T) {
	d := synthIris(300, 11)
	m := &GaussianNB{}
	if err := m.Fit(d.X, d.Y); err != nil {
		t.Fatal(err)
	}
	p, err := m.PredictProba(d.X)
	if err != nil {
		t.Fatal(err)
	}
	pred, _ := m.Predict(d.X)
	for i, row := range p {
		var s float64
		for _, v := range row {
			s += v
		}
		if !near(s, 1, 1e-12) {
			t.Fatalf("row %d sums to %v", i, s)
		}
		if pred[i] != argmax(row) {
			t.Fatalf("row %d: predict %d, argmax proba %d", i, pred[i], argmax(row))
		}
	}
	// Priors are the class frequencies.
	var n0 float64
	for _, c := range d.Y {
		if c == 0 {
			n0++
		}
	}
	if !near(m.Priors[0], n0/300, 1e-15) {
		t.Errorf("prior %v", m.Priors[0])
	}
}
