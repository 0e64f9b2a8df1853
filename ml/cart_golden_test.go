package ml

import (
	"fmt"
	"path/filepath"
	"testing"
)

// cartTrees is ml/testdata/golden/cart/trees.json, written by
// scripts/golden.py from scikit-learn 1.2.1: the tree
// DecisionTreeClassifier(random_state=s) grows on the training part of a
// few data sets, for a few s.
type cartTrees struct {
	Seed     int64   `json:"seed"`
	TestSize float64 `json:"test_size"`
	Cases    []struct {
		CSV         string     `json:"csv"`
		RandomState int64      `json:"random_state"`
		Tree        goldenTree `json:"tree"`
		ValPred     []int      `json:"validation_predictions"`
	} `json:"cases"`
}

// TestGoldenCARTRandomStates checks that CART with Seed s grows
// scikit-learn's tree with random_state=s, node for node, and predicts
// as it does.
func TestGoldenCARTRandomStates(t *testing.T) {
	var g cartTrees
	readJSON(t, "testdata/golden/cart/trees.json", &g)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	data := map[string]*Dataset{}
	for _, tc := range g.Cases {
		t.Run(fmt.Sprintf("%s/%d", filepath.Base(tc.CSV), tc.RandomState), func(t *testing.T) {
			d := loadCached(t, data, tc.CSV)
			train, val, err := TrainTestSplit(len(d.X), g.TestSize, g.Seed)
			if err != nil {
				t.Fatal(err)
			}
			xtr, ytr := subset(d.X, d.Y, train)
			xva, _ := subset(d.X, d.Y, val)
			m := &CART{Seed: tc.RandomState}
			if err := m.Fit(xtr, ytr); err != nil {
				t.Fatal(err)
			}
			checkTree(t, m, &tc.Tree)
			p, err := m.Predict(xva)
			if err != nil {
				t.Fatal(err)
			}
			if n := diff(p, tc.ValPred); n > 0 {
				t.Errorf("%d validation predictions differ from scikit-learn's", n)
			}
		})
	}
}
