package ml

import (
	"errors"
	"slices"
	"testing"
)

func TestCARTMidpointThreshold(t *testing.T) {
	m := &CART{}
	if err := m.Fit([][]float64{{1}, {2}, {3}, {4}}, []int{0, 0, 1, 1}); err != nil {
		t.Fatal(err)
	}
	if m.Depth() != 1 || m.Feature[0] != 0 || m.Threshold[0] != 2.5 {
		t.Errorf("tree %+v", m)
	}
	pred, _ := m.Predict([][]float64{{2.5}, {2.50001}})
	if !slices.Equal(pred, []int{0, 1}) {
		t.Errorf("pred %v", pred)
	}
}

func TestCARTPureLeaves(t *testing.T) {
	d := synthIris(500, 3)
	m := &CART{Seed: 1}
	if err := m.Fit(d.X, d.Y); err != nil {
		t.Fatal(err)
	}
	pred, _ := m.Predict(d.X)
	if acc := Accuracy(d.Y, pred); acc != 1 {
		t.Errorf("training accuracy %v, want 1 (pure leaves)", acc)
	}
	// Deterministic for a seed.
	m2 := &CART{Seed: 1}
	_ = m2.Fit(d.X, d.Y)
	if !slices.Equal(m.Feature, m2.Feature) || !slices.Equal(m.Threshold, m2.Threshold) {
		t.Error("same seed, different trees")
	}
}

func TestCARTBestSplitChosen(t *testing.T) {
	// Feature 0 separates perfectly at 1.5; feature 1 is noise.
	X := [][]float64{{0, 5}, {1, 1}, {2, 4}, {3, 2}, {1, 3}, {2, 0}}
	y := []int{0, 0, 1, 1, 0, 1}
	for seed := range int64(10) {
		m := &CART{Seed: seed}
		_ = m.Fit(X, y)
		if m.Feature[0] != 0 || m.Threshold[0] != 1.5 || m.Depth() != 1 {
			t.Errorf("seed %d: root split %d at %v, depth %d", seed, m.Feature[0], m.Threshold[0], m.Depth())
		}
	}
}

func TestCARTTieBrokenBySeed(t *testing.T) {
	// Two identical features: every seed picks one of them, and across seeds
	// both are picked (the order is a random permutation per node).
	X := [][]float64{{0, 0}, {1, 1}, {2, 2}, {3, 3}}
	y := []int{0, 0, 1, 1}
	seen := map[int]bool{}
	for seed := range int64(32) {
		m := &CART{Seed: seed}
		_ = m.Fit(X, y)
		seen[m.Feature[0]] = true
		if m.Threshold[0] != 1.5 {
			t.Errorf("threshold %v", m.Threshold[0])
		}
	}
	if !seen[0] || !seen[1] {
		t.Errorf("features chosen over 32 seeds: %v", seen)
	}
}

func TestCARTUnsplittable(t *testing.T) {
	// Identical rows with different labels: a single leaf with the majority
	// (ties to the smallest class).
	m := &CART{}
	_ = m.Fit([][]float64{{1}, {1}, {1}}, []int{2, 1, 2})
	pred, _ := m.Predict([][]float64{{0}})
	if len(m.Feature) != 1 || pred[0] != 2 {
		t.Errorf("nodes %d pred %v", len(m.Feature), pred)
	}
	_ = m.Fit([][]float64{{1}, {1}}, []int{1, 0})
	pred, _ = m.Predict([][]float64{{0}})
	if pred[0] != 0 {
		t.Errorf("tie pred %v", pred)
	}
}

func TestCARTLimits(t *testing.T) {
	// 1..8 on one feature, classes 0 0 1 0 1 1 0 1. The depths, leaf
	// sizes and predictions are scikit-learn 1.2.1's for the same settings.
	X := [][]float64{{1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}}
	y := []int{0, 0, 1, 0, 1, 1, 0, 1}
	for _, tc := range []struct {
		name                      string
		maxDepth, minLeaf, minSpl int
		wantDepth                 int
		wantMinLeaf               int // fewest training rows in a leaf
		wantPred                  []int
		wantErr                   bool
	}{
		{name: "defaults", wantDepth: 5, wantMinLeaf: 1, wantPred: y},
		{name: "max_depth=1", maxDepth: 1, wantDepth: 1, wantMinLeaf: 2, wantPred: []int{0, 0, 1, 1, 1, 1, 1, 1}},
		{name: "max_depth=2", maxDepth: 2, wantDepth: 2, wantMinLeaf: 1, wantPred: []int{0, 0, 1, 1, 1, 1, 1, 1}},
		{name: "max_depth=100", maxDepth: 100, wantDepth: 5, wantMinLeaf: 1, wantPred: y},
		{name: "min_samples_leaf=3", minLeaf: 3, wantDepth: 1, wantMinLeaf: 4, wantPred: []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{name: "min_samples_leaf=4", minLeaf: 4, wantDepth: 1, wantMinLeaf: 4, wantPred: []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{name: "min_samples_leaf=5", minLeaf: 5, wantDepth: 0, wantMinLeaf: 8, wantPred: []int{0, 0, 0, 0, 0, 0, 0, 0}},
		{name: "min_samples_split=9", minSpl: 9, wantDepth: 0, wantMinLeaf: 8, wantPred: []int{0, 0, 0, 0, 0, 0, 0, 0}},
		{name: "min_samples_split=8", minSpl: 8, wantDepth: 1, wantMinLeaf: 2, wantPred: []int{0, 0, 1, 1, 1, 1, 1, 1}},
		{name: "min_samples_split=2 same as default", minSpl: 2, wantDepth: 5, wantMinLeaf: 1, wantPred: y},
		{name: "negative max_depth", maxDepth: -1, wantErr: true},
		{name: "min_samples_split=1", minSpl: 1, wantErr: true},
		{name: "negative min_samples_leaf", minLeaf: -2, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &CART{MaxDepth: tc.maxDepth, MinSamplesLeaf: tc.minLeaf, MinSamplesSplit: tc.minSpl}
			err := m.Fit(X, y)
			if tc.wantErr {
				if !errors.Is(err, ErrBadInput) {
					t.Fatalf("err %v, want ErrBadInput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.MaxDepth != tc.maxDepth || m.MinSamplesLeaf != tc.minLeaf || m.MinSamplesSplit != tc.minSpl {
				t.Errorf("Fit lost the hyperparameters: %+v", m)
			}
			if d := m.Depth(); d != tc.wantDepth {
				t.Errorf("depth %d, want %d (tree %+v)", d, tc.wantDepth, m)
			}
			counts := m.nodeCounts(X)
			fewest := len(X)
			for i, n := range counts {
				if m.Feature[i] < 0 {
					fewest = min(fewest, n)
				}
			}
			if fewest != tc.wantMinLeaf {
				t.Errorf("fewest rows in a leaf %d, want %d", fewest, tc.wantMinLeaf)
			}
			if p, _ := m.Predict(X); !slices.Equal(p, tc.wantPred) {
				t.Errorf("predictions %v, want %v", p, tc.wantPred)
			}
		})
	}
}

// An impure leaf predicts its majority class, the smallest on ties (as
// scikit-learn 1.2.1 does for these two).
func TestCARTImpureLeaf(t *testing.T) {
	m := &CART{MaxDepth: 1}
	X := [][]float64{{0}, {0}, {0}, {1}, {1}, {1}, {1}}
	y := []int{5, 7, 7, 9, 5, 5, 7}
	// The root splits at 0.5; left {5, 7, 7} → 7, right {9, 5, 5, 7} → 5.
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Predict([][]float64{{0}, {1}})
	if !slices.Equal(got, []int{7, 5}) {
		t.Errorf("got %v, want [7 5]", got)
	}
	m = &CART{MaxDepth: 1, MinSamplesLeaf: 4}
	_ = m.Fit([][]float64{{0}, {1}, {2}, {3}}, []int{2, 1, 1, 2})
	got, _ = m.Predict([][]float64{{0}})
	if m.Depth() != 0 || got[0] != 1 {
		t.Errorf("single leaf: depth %d, predicts %v, want 1 (tie → smallest)", m.Depth(), got)
	}
}

// The zero values and sklearn's explicit defaults give the same tree.
func TestCARTExplicitDefaults(t *testing.T) {
	d := synthIris(300, 5)
	a := &CART{Seed: 3}
	b, err := NewWithSeedParams("DecisionTreeClassifier", 3, map[string]string{"max_depth": "None", "min_samples_leaf": "1", "min_samples_split": "2"})
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Fit(d.X, d.Y)
	bc := b.(*CART)
	_ = bc.Fit(d.X, d.Y)
	if !slices.Equal(a.Feature, bc.Feature) || !slices.Equal(a.Threshold, bc.Threshold) || !slices.Equal(a.Value, bc.Value) {
		t.Error("explicit defaults grow a different tree")
	}
}

func TestCARTRandomStateSeed(t *testing.T) {
	// numpy 1.24: RandomState(s).randint(0, 2**31 - 1), the value
	// scikit-learn's splitter seeds its rand_r with.
	for _, tc := range []struct {
		seed uint32
		want randR
	}{{0, 209652396}, {1, 1791095845}, {12345, 1845187042}, {4294967295, 419326371}} {
		if got := newRandR(tc.seed); got != tc.want {
			t.Errorf("random_state %d: rand_r seed %d, numpy's randint %d", tc.seed, got, tc.want)
		}
	}
}

func TestCARTSeedRange(t *testing.T) {
	X := [][]float64{{0}, {1}}
	y := []int{0, 1}
	for _, tc := range []struct {
		seed    int64
		wantErr bool
	}{{0, false}, {MaxSeed, false}, {-1, true}, {MaxSeed + 1, true}} {
		err := (&CART{Seed: tc.seed}).Fit(X, y)
		if tc.wantErr != errors.Is(err, ErrBadInput) || !tc.wantErr && err != nil {
			t.Errorf("seed %d: err %v, want error %v", tc.seed, err, tc.wantErr)
		}
	}
}
