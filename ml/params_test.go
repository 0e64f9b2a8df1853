package ml

import (
	"errors"
	"strings"
	"testing"
)

func TestNewWithParams(t *testing.T) {
	c, err := NewWithParams("SVC", map[string]string{"C": "10", "gamma": "0.1", "kernel": "rbf"})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.(*SVM); s.C != 10 || s.Gamma != 0.1 {
		t.Fatalf("got %+v", s)
	}
	c, err = NewWithParams("KNN", map[string]string{"n_neighbors": "7", "weights": "distance"})
	if err != nil || c.(*KNN).K != 7 || c.(*KNN).Weights != "distance" {
		t.Fatalf("%v %+v", err, c)
	}
	for _, tc := range []struct{ model, name, value, want string }{
		{"SVC", "shrinking", "true", `no hyperparameter "shrinking"; valid: C (number > 0`},
		{"SVC", "degree", "-1", "out of range; valid: integer 0..10 (poly kernel)"},
		{"SVC", "coef0", "inf", "not a number; valid: number (poly and sigmoid kernels)"},
		{"SVC", "C", "-1", "must be > 0; valid: number > 0"},
		{"SVC", "kernel", "precomputed", "not one of rbf, linear, poly, sigmoid; valid: rbf, linear, poly or sigmoid"},
		{"SVC", "gamma", "0", "must be > 0; valid: scale, auto (1/n_features), or number > 0"},
		{"SVC", "gamma", "Auto", "not a number"},
		{"CART", "max_depth", "0", "out of range; valid: None, or integer 1..10000"},
		{"CART", "max_depth", "none", "not an integer"},
		{"CART", "max_depth", "2.5", "not an integer"},
		{"CART", "min_samples_leaf", "0", "out of range; valid: integer 1..1000000"},
		{"CART", "min_samples_leaf", "0.1", "not an integer; valid: integer 1..1000000 (fractions of the rows are not implemented)"},
		{"CART", "min_samples_split", "1", "out of range; valid: integer 2..1000000"},
		{"DecisionTreeClassifier", "criterion", "entropy", `no hyperparameter "criterion"; valid: max_depth (None, or integer 1..10000; default None), min_samples_leaf (`},
		{"KNN", "n_neighbors", "0", "out of range"},
		{"KNN", "weights", "far", "not one of uniform, distance"},
		{"LR", "max_iter", "1.5", "not an integer"},
		{"LDA", "shrinkage", "0.5", "not one of None"},
		{"NB", "var_smoothing", "nan", "not a number"},
	} {
		err := CheckParam(tc.model, tc.name, tc.value)
		if !errors.Is(err, ErrBadParam) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s=%s: %v, want %q", tc.model, tc.name, tc.value, err, tc.want)
		}
	}
	if _, err := NewWithParams("XGB", nil); !errors.Is(err, ErrUnknownModel) {
		t.Fatal(err)
	}
}

func TestKNNDistanceWeights(t *testing.T) {
	X := [][]float64{{0}, {1}, {1.1}, {10}}
	y := []int{0, 1, 1, 0}
	// At 0.2: neighbours 0 (d 0.2, class 0), 1 (0.8), 1.1 (0.9): uniform
	// votes 2 for class 1; distance: 5 for class 0 against 1.25+1.11.
	for w, want := range map[string]int{"uniform": 1, "distance": 0} {
		m := &KNN{K: 3, Weights: w}
		if err := m.Fit(X, y); err != nil {
			t.Fatal(err)
		}
		got, _ := m.Predict([][]float64{{0.2}, {1}})
		if got[0] != want || got[1] != 1 {
			t.Errorf("%s: %v, want [%d 1]", w, got, want)
		}
	}
}
