package ml

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
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

// TestKNNParallelSame: predictions do not depend on the number of
// goroutines querying (k-d tree and brute force).
func TestKNNParallelSame(t *testing.T) {
	train, test := synthIris(3000, 3), synthIris(1500, 4)
	wide := func(X [][]float64) [][]float64 { // 20 features: brute force
		out := make([][]float64, len(X))
		for i, x := range X {
			for r := range 5 {
				for _, v := range x {
					out[i] = append(out[i], v*float64(r+1))
				}
			}
		}
		return out
	}
	for _, c := range []struct {
		name    string
		X, Q    [][]float64
		weights string
	}{
		{"tree", train.X, test.X, ""},
		{"tree/distance", train.X, test.X, "distance"},
		{"brute", wide(train.X), wide(test.X), ""},
		{"brute/distance", wide(train.X), wide(test.X), "distance"},
	} {
		var got [][]int
		for _, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			m := NewKNN()
			m.Weights = c.weights
			if err := m.Fit(c.X, train.Y); err != nil {
				t.Fatal(err)
			}
			p, err := m.Predict(c.Q)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p)
		}
		if !slices.Equal(got[0], got[1]) {
			t.Errorf("%s: predictions differ between 1 and 4 goroutines", c.name)
		}
	}
}

// TestKDTreeSelectSameAsSort: building with selection gives the tree a full
// sort at each node gives: the same splits and the same rows in each node.
func TestKDTreeSelectSameAsSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	X := make([][]float64, 2000)
	for i := range X {
		// few distinct values: many ties on the split dimension
		X[i] = []float64{float64(r.IntN(7)), float64(r.IntN(3)), r.Float64()}
	}
	got := buildKDTree(X, 8)
	// The reference: each node's rows fully sorted by (value, row).
	ref := &kdTree{X: X, idx: make([]int, len(X)), leaf: 8}
	for i := range ref.idx {
		ref.idx[i] = i
	}
	var build func(lo, hi int) int
	build = func(lo, hi int) int {
		id := len(ref.nodes)
		ref.nodes = append(ref.nodes, kdNode{lo: lo, hi: hi, dim: -1})
		if hi-lo <= ref.leaf {
			return id
		}
		dim, spread := 0, -1.0
		for j := range 3 {
			mn, mx := math.Inf(1), math.Inf(-1)
			for _, i := range ref.idx[lo:hi] {
				mn, mx = min(mn, X[i][j]), max(mx, X[i][j])
			}
			if mx-mn > spread {
				dim, spread = j, mx-mn
			}
		}
		if spread <= 0 {
			return id
		}
		slices.SortFunc(ref.idx[lo:hi], func(a, b int) int {
			if c := cmp.Compare(X[a][dim], X[b][dim]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		mid := (lo + hi) / 2
		l, rr := build(lo, mid), build(mid, hi)
		ref.nodes[id].dim, ref.nodes[id].split, ref.nodes[id].left, ref.nodes[id].right = dim, X[ref.idx[mid]][dim], l, rr
		return id
	}
	build(0, len(X))
	if !slices.Equal(got.nodes, ref.nodes) {
		t.Fatal("nodes differ from the sorted build")
	}
	for _, n := range got.nodes {
		if n.dim >= 0 {
			continue
		}
		a, b := slices.Clone(got.idx[n.lo:n.hi]), slices.Clone(ref.idx[n.lo:n.hi])
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("leaf %d..%d holds other rows", n.lo, n.hi)
		}
	}
}
