package ml

import (
	"bytes"
	"errors"
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

func TestSVMKernels(t *testing.T) {
	a, b := []float64{1, 2, -1}, []float64{0.5, -1, 3}
	ab := 0.5 - 2 - 3 // a·b = -4.5
	for _, tc := range []struct {
		name string
		k    svmKernel
		want float64
	}{
		{"rbf", svmKernel{kind: kernelRBF, gamma: 0.1}, math.Exp(-0.1 * (0.25 + 9 + 16))},
		{"linear", svmKernel{kind: kernelLinear, gamma: 7}, ab},
		{"poly degree 3", svmKernel{kind: kernelPoly, gamma: 0.5, coef0: 1, degree: 3}, math.Pow(0.5*ab+1, 3)},
		{"poly degree 0", svmKernel{kind: kernelPoly, gamma: 0.5, coef0: 1, degree: 0}, 1},
		{"poly degree 1", svmKernel{kind: kernelPoly, gamma: 2, coef0: -1, degree: 1}, 2*ab - 1},
		{"poly degree 4", svmKernel{kind: kernelPoly, gamma: 0.1, degree: 4}, math.Pow(0.1*ab, 4)},
		{"sigmoid", svmKernel{kind: kernelSigmoid, gamma: 0.2, coef0: 0.3}, math.Tanh(0.2*ab + 0.3)},
	} {
		if got := tc.k.eval(a, b); !near(got, tc.want, 1e-12) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if got, rev := tc.k.eval(a, b), tc.k.eval(b, a); got != rev {
			t.Errorf("%s: not symmetric: %v, %v", tc.name, got, rev)
		}
	}
	for _, tc := range []struct {
		base  float64
		times int
		want  float64
	}{{3, 0, 1}, {3, 1, 3}, {3, 2, 9}, {3, 5, 243}, {-2, 3, -8}, {0.5, 10, 1.0 / 1024}} {
		if got := powi(tc.base, tc.times); got != tc.want {
			t.Errorf("powi(%v, %d) = %v, want %v", tc.base, tc.times, got, tc.want)
		}
	}
}

func TestSVMGammaAndKernelOptions(t *testing.T) {
	X := [][]float64{{0, 0}, {2, 0}, {0, 3}, {2, 3}, {1, 1}, {1, 2}}
	y := []int{0, 1, 0, 1, 0, 1}
	for _, tc := range []struct {
		name      string
		params    map[string]string
		wantGamma float64
		wantErr   bool
	}{
		// scale: the 12 values have variance 1.1875.
		{name: "scale", params: nil, wantGamma: 1 / (2 * 1.1875)},
		{name: "auto", params: map[string]string{"gamma": "auto"}, wantGamma: 0.5},
		{name: "number", params: map[string]string{"gamma": "0.25"}, wantGamma: 0.25},
		{name: "linear", params: map[string]string{"kernel": "linear"}, wantGamma: 1 / (2 * 1.1875)},
		{name: "poly auto", params: map[string]string{"kernel": "poly", "gamma": "auto"}, wantGamma: 0.5},
		{name: "sigmoid", params: map[string]string{"kernel": "sigmoid", "gamma": "0.1"}, wantGamma: 0.1},
		{name: "precomputed", params: map[string]string{"kernel": "precomputed"}, wantErr: true},
		{name: "gamma 0", params: map[string]string{"gamma": "0"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewWithParams("SVC", tc.params)
			if tc.wantErr {
				if !errors.Is(err, ErrBadParam) {
					t.Fatalf("err %v, want ErrBadParam", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := c.(*SVM)
			if err := m.Fit(X, y); err != nil {
				t.Fatal(err)
			}
			if !near(m.GammaFitted, tc.wantGamma, 1e-15) {
				t.Errorf("gamma %v, want %v", m.GammaFitted, tc.wantGamma)
			}
			// A saved model predicts as the fitted one.
			b, err := Marshal("SVM", m, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, loaded, err := Load(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			d1, _ := m.DecisionFunction(X)
			d2, _ := loaded.(*SVM).DecisionFunction(X)
			for i := range d1 {
				if d1[i][0] != d2[i][0] {
					t.Fatalf("loaded model decides %v, fitted %v", d2, d1)
				}
			}
		})
	}
	// The struct refuses what NewWithParams refuses.
	for _, m := range []*SVM{
		{C: 1, Kernel: "precomputed"},
		{C: 1, Kernel: "poly", Degree: -1},
		{C: 1, Kernel: "sigmoid", Coef0: math.Inf(1)},
	} {
		if err := m.Fit(X, y); !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: %v, want ErrBadInput", m, err)
		}
	}
}
