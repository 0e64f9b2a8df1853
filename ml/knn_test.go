package ml

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKNNTies(t *testing.T) {
	tests := []struct {
		name string
		k    int
		X    [][]float64
		y    []int
		q    []float64
		want int
	}{
		// x=-1 (class 1, row 0) and x=+1 (class 0, row 1) are equally far from 0:
		// with k=1 the earlier training row wins.
		{"distance tie by training order", 1, [][]float64{{-1}, {1}}, []int{1, 0}, []float64{0}, 1},
		{"distance tie by training order, swapped", 1, [][]float64{{1}, {-1}}, []int{0, 1}, []float64{0}, 0},
		// k=2, one vote each: the smallest class wins, whichever is nearer.
		{"vote tie to smallest class", 2, [][]float64{{-1}, {1}}, []int{1, 0}, []float64{-0.9}, 0},
		{"majority", 3, [][]float64{{0}, {0.1}, {0.2}, {5}}, []int{2, 1, 1, 0}, []float64{0}, 1},
		// k larger than the training set uses all rows.
		{"k > n", 5, [][]float64{{0}, {1}, {2}}, []int{1, 1, 0}, []float64{2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &KNN{K: tt.k}
			if err := m.Fit(tt.X, tt.y); err != nil {
				t.Fatal(err)
			}
			got, err := m.Predict([][]float64{tt.q})
			if err != nil || got[0] != tt.want {
				t.Errorf("got %v (err %v), want %d", got, err, tt.want)
			}
		})
	}
}

func TestKNNTreeMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Values on a coarse grid so that many distances tie.
	grid := func() float64 { return float64(r.IntN(8)) / 2 }
	X := make([][]float64, 3000)
	y := make([]int, len(X))
	for i := range X {
		X[i] = []float64{grid(), grid(), grid(), grid()}
		y[i] = r.IntN(3)
	}
	m := NewKNN()
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		q := []float64{grid() + 0.25*float64(r.IntN(2)), grid(), grid(), grid()}
		got, err := m.Neighbors(q, 5)
		if err != nil {
			t.Fatal(err)
		}
		type cand struct {
			d float64
			i int
		}
		all := make([]cand, len(X))
		for i, x := range X {
			var s float64
			for j := range x {
				s += (x[j] - q[j]) * (x[j] - q[j])
			}
			all[i] = cand{s, i}
		}
		slices.SortFunc(all, func(a, b cand) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		for k := range 5 {
			if got[k] != all[k].i {
				t.Fatalf("query %v: neighbours %v, brute force %v", q, got, all[:5])
			}
		}
	}
}

func TestKNNErrors(t *testing.T) {
	m := NewKNN()
	if _, err := m.Predict([][]float64{{1}}); err != ErrNotFitted {
		t.Errorf("unfitted: %v", err)
	}
	if err := m.Fit([][]float64{{1, 2}, {3}}, []int{0, 1}); err == nil {
		t.Error("ragged rows accepted")
	}
	if err := m.Fit([][]float64{{1, math.NaN()}}, []int{0}); err == nil {
		t.Error("NaN accepted")
	}
	_ = m.Fit([][]float64{{1, 2}, {3, 4}}, []int{0, 1})
	if _, err := m.Predict([][]float64{{1}}); err == nil {
		t.Error("wrong dimension accepted")
	}
}
