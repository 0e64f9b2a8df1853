package ml

import (
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
