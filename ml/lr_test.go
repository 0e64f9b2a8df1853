package ml

import (
	"math"
	"os"
	"runtime"
	"slices"
	"testing"
)

// lrGradient computes the gradient of the unscaled objective
// Σ_i −log softmax(Wx_i+b)_{y_i} + ½||W||²/C directly, class by class.
func lrGradient(m *LogisticRegression, X [][]float64, y []int) (gW [][]float64, gb []float64) {
	K, d := len(m.Classes), len(X[0])
	gW = make([][]float64, K)
	gb = make([]float64, K)
	for k := range K {
		gW[k] = make([]float64, d)
		for j := range d {
			gW[k][j] = m.Coef[k][j] / m.C
		}
	}
	for i, x := range X {
		den := 0.0
		for k := range K {
			den += math.Exp(m.Intercept[k] + dot(m.Coef[k], x))
		}
		for k := range K {
			p := math.Exp(m.Intercept[k]+dot(m.Coef[k], x)) / den
			if m.Classes[k] == y[i] {
				p -= 1
			}
			for j := range d {
				gW[k][j] += p * x[j]
			}
			gb[k] += p
		}
	}
	return gW, gb
}

func TestLRGradientZeroAtOptimum(t *testing.T) {
	for _, n := range []int{30, 300} {
		d := synthIris(n, 7)
		m := NewLogisticRegression()
		m.MaxIter = 1000 // the features are not scaled: 100 may stop short
		if err := m.Fit(d.X, d.Y); err != nil {
			t.Fatal(err)
		}
		if !m.Converged || m.ConvergenceWarning() != "" {
			t.Errorf("n=%d: not converged after %d iterations: %s", n, m.NIter, m.ConvergenceWarning())
		}
		gW, gb := lrGradient(m, d.X, d.Y)
		// The fit stops by scipy's rules (gtol 1e-4 on the summed gradient,
		// or a relative reduction of the objective of 2.2e-9): near the
		// optimum, with the gradient it reports (GradNorm) the one computed
		// here directly.
		var g float64
		for k := range gW {
			for _, v := range gW[k] {
				g = math.Max(g, math.Abs(v))
			}
			g = math.Max(g, math.Abs(gb[k]))
		}
		if !near(g, m.GradNorm, 1e-6*math.Max(g, 1e-3)) {
			t.Errorf("n=%d: max gradient %g, the fit reports %g", n, g, m.GradNorm)
		}
		if g > 1e-4*float64(n) {
			t.Errorf("n=%d: max gradient %g after %d iterations", n, g, m.NIter)
		}
		pred, _ := m.Predict(d.X)
		if acc := Accuracy(d.Y, pred); acc < 0.9 {
			t.Errorf("n=%d: training accuracy %v", n, acc)
		}
	}
}

func TestLRSymmetricClosedForm(t *testing.T) {
	// x=-1 is class 0, x=+1 class 1: two classes make one binary model
	// (scikit-learn's multi_class="auto"). By symmetry b = 0 and the
	// objective 2·log(1+e^{-v}) + v²/2 is stationary where v = 2/(1+e^v);
	// find v by bisection.
	lo, hi := 0.0, 2.0
	for range 200 {
		mid := (lo + hi) / 2
		if mid-2/(1+math.Exp(mid)) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	v := lo
	m := NewLogisticRegression()
	if err := m.Fit([][]float64{{-1}, {1}}, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	// scipy's ftol (relative reduction 2.2e-9) stops within about its square
	// root of the optimum.
	if m.Coef[0][0] != 0 || !near(m.Coef[1][0], v, 1e-4) || m.Intercept[0] != 0 || !near(m.Intercept[1], 0, 1e-7) {
		t.Errorf("coef %v intercept %v, want [0 %v] and 0", m.Coef, m.Intercept, v)
	}
	pred, err := m.Predict([][]float64{{-3}, {0.1}})
	if err != nil || pred[0] != 0 || pred[1] != 1 {
		t.Errorf("pred %v err %v", pred, err)
	}
}

func TestLRLabelsKept(t *testing.T) {
	// Labels need not be 0..K-1: a training set with classes 1 and 2 only.
	m := NewLogisticRegression()
	if err := m.Fit([][]float64{{0}, {0.1}, {5}, {5.1}}, []int{2, 2, 1, 1}); err != nil {
		t.Fatal(err)
	}
	pred, _ := m.Predict([][]float64{{0}, {5}})
	if pred[0] != 2 || pred[1] != 1 {
		t.Errorf("pred %v", pred)
	}
}

// BenchmarkLREval measures one evaluation of the objective and gradient on
// digits' training part (1437×64, 10 classes) and on 10,000×4 and
// 80,000×4, 3 classes.
func BenchmarkLREval(b *testing.B) {
	f, err := os.Open("testdata/golden/digits.csv")
	if err != nil {
		b.Fatal(err)
	}
	digits, err := LoadCSV(f, "digits.csv")
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    *Dataset
	}{{"digits", digits}, {"rows=10000", synthIris(10000, 1)}, {"rows=80000", synthIris(80000, 1)}} {
		b.Run(c.name, func(b *testing.B) {
			X, y := c.d.X[:len(c.d.X)*4/5], c.d.Y[:len(c.d.X)*4/5]
			n, d := len(X), len(X[0])
			classes := []int{}
			for _, v := range y {
				if !slices.Contains(classes, v) {
					classes = append(classes, v)
				}
			}
			slices.Sort(classes)
			flat := make([]float64, 0, n*d)
			for _, x := range X {
				flat = append(flat, x...)
			}
			K := len(classes)
			p := &lrProblem{X: flat, n: n, d: d, K: K, y: labelIndex(y, classes), l2: 1}
			w := make([]float64, K*(d+1))
			for i := range w {
				w[i] = 0.01 * float64(i%7-3)
			}
			g := make([]float64, len(w))
			for b.Loop() {
				p.eval(w, g)
			}
		})
	}
}

// TestLRSameOnAnyProcessors: the objective's chunks are fixed by the size
// of the problem, so the fit does not depend on GOMAXPROCS.
func TestLRSameOnAnyProcessors(t *testing.T) {
	d := synthIris(20000, 3)
	// 20 features (the matrix-product path): the four, scaled and shifted.
	wide := make([][]float64, 3000)
	for i := range wide {
		for r := range 5 {
			for j, v := range d.X[i] {
				wide[i] = append(wide[i], v*float64(r+1)+float64(j*r))
			}
		}
	}
	for _, c := range []struct {
		X [][]float64
		y []int
	}{{d.X, d.Y}, {wide, d.Y[:len(wide)]}} {
		var fits []*LogisticRegression
		for _, procs := range []int{1, 3} {
			prev := runtime.GOMAXPROCS(procs)
			m := NewLogisticRegression()
			err := m.Fit(c.X, c.y)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			fits = append(fits, m)
		}
		a, b := fits[0], fits[1]
		if !slices.EqualFunc(a.Coef, b.Coef, slices.Equal) || !slices.Equal(a.Intercept, b.Intercept) || a.NIter != b.NIter {
			t.Errorf("%d features: GOMAXPROCS 1: %v %v (%d iterations); 3: %v %v (%d)", len(c.X[0]), a.Coef, a.Intercept, a.NIter, b.Coef, b.Intercept, b.NIter)
		}
	}
}

// TestLRMultinomialChunksDoNotMatter: on few features the multinomial
// chunks hold only scores and residuals, so any cut of the rows gives the
// same loss and gradient, bit for bit.
func TestLRMultinomialChunksDoNotMatter(t *testing.T) {
	d := synthIris(10000, 5)
	n, nf := len(d.X), len(d.X[0])
	flat := make([]float64, 0, n*nf)
	for _, x := range d.X {
		flat = append(flat, x...)
	}
	y := labelIndex(d.Y, []int{0, 1, 2})
	w := make([]float64, 3*(nf+1))
	for i := range w {
		w[i] = 0.1 * float64(i%5-2)
	}
	eval := func(p *lrProblem) (float64, []float64) {
		g := make([]float64, len(w))
		return p.eval(w, g), g
	}
	chunked := &lrProblem{X: flat, n: n, d: nf, K: 3, y: y, l2: 1}
	lossC, gradC := eval(chunked)
	if len(chunked.bounds) < 3 {
		t.Fatalf("%d rows in %d chunks, want several", n, len(chunked.bounds)-1)
	}
	whole := &lrProblem{X: flat, n: n, d: nf, K: 3, y: y, l2: 1}
	whole.setup()
	whole.bounds = []int{0, n}
	whole.grads = whole.grads[:1]
	lossW, gradW := eval(whole)
	if lossC != lossW || !slices.Equal(gradC, gradW) {
		t.Errorf("%d chunks: loss %v grad %v; one chunk: %v %v", len(chunked.bounds)-1, lossC, gradC, lossW, gradW)
	}
}
