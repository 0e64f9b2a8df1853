package ml

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// paramsGolden is ml/testdata/golden/params/params.json, written by
// scripts/golden.py --params from scikit-learn 1.2.1: CART and SVC with a
// few hyperparameter settings on iris and unequal.csv.
type paramsGolden struct {
	Seed     int64   `json:"seed"`
	TestSize float64 `json:"test_size"`
	Folds    int     `json:"folds"`
	Cases    []struct {
		CSV      string            `json:"csv"`
		Model    string            `json:"model"`
		Params   map[string]string `json:"params"`
		CVPred   [][]int           `json:"cv_predictions"`
		ValPred  []int             `json:"validation_predictions"`
		CVScores []float64         `json:"cv_scores"`
		Accuracy float64           `json:"accuracy"`
		NSupport int               `json:"n_support"`
		Tree     *goldenTree       `json:"tree"`
	} `json:"cases"`
}

// newFromGolden returns the classifier of model with params, through
// NewWithSeedParams (every parameter of the golden is one it takes).
func newFromGolden(t *testing.T, model string, seed int64, params map[string]string) Classifier {
	t.Helper()
	c, err := NewWithSeedParams(model, seed, params)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGoldenParams(t *testing.T) {
	var g paramsGolden
	readJSON(t, "testdata/golden/params/params.json", &g)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	data := map[string]*Dataset{}
	for _, tc := range g.Cases {
		name := tc.CSV + " " + tc.Model
		for _, k := range slices.Sorted(maps.Keys(tc.Params)) {
			name += " " + k + "=" + tc.Params[k]
		}
		t.Run(name, func(t *testing.T) {
			d := loadCached(t, data, tc.CSV)
			train, val, err := TrainTestSplit(len(d.X), g.TestSize, g.Seed)
			if err != nil {
				t.Fatal(err)
			}
			X := d.X
			if tc.Model == "CART" {
				X = float32Rows(X)
			}
			xtr, ytr := subset(X, d.Y, train)
			xva, yva := subset(X, d.Y, val)
			folds, err := KFold(len(xtr), g.Folds)
			if err != nil {
				t.Fatal(err)
			}
			var scores []float64
			nDiff := 0
			for f, s := range folds {
				a, ya := subset(xtr, ytr, s[0])
				bx, yb := subset(xtr, ytr, s[1])
				c := newFromGolden(t, tc.Model, g.Seed, tc.Params)
				if err := c.Fit(a, ya); err != nil {
					t.Fatal(err)
				}
				p, err := c.Predict(bx)
				if err != nil {
					t.Fatal(err)
				}
				scores = append(scores, Accuracy(yb, p))
				nDiff += diff(p, tc.CVPred[f])
				if cart, ok := c.(*CART); ok {
					checkCARTLimits(t, cart, a, tc.Params)
				}
			}
			c := newFromGolden(t, tc.Model, g.Seed, tc.Params)
			if err := c.Fit(xtr, ytr); err != nil {
				t.Fatal(err)
			}
			p, _ := c.Predict(xva)
			acc := Accuracy(yva, p)
			vDiff := diff(p, tc.ValPred)
			if nDiff+vDiff > 0 || !slices.Equal(scores, tc.CVScores) || acc != tc.Accuracy {
				t.Errorf("folds %v (sklearn %v), accuracy %v (sklearn %v): %d fold and %d validation predictions differ",
					scores, tc.CVScores, acc, tc.Accuracy, nDiff, vDiff)
			}
			if cart, ok := c.(*CART); ok {
				checkCARTLimits(t, cart, xtr, tc.Params)
				checkTree(t, cart, tc.Tree)
				return
			}
			if s := c.(*SVM); len(s.SV) != tc.NSupport {
				t.Errorf("%d support vectors, sklearn %d", len(s.SV), tc.NSupport)
			}
		})
	}
}

// checkCARTLimits checks a tree fitted on X against the max_depth,
// min_samples_leaf and min_samples_split in params.
func checkCARTLimits(t *testing.T, m *CART, X [][]float64, params map[string]string) {
	t.Helper()
	atoi := func(k string, def int) int {
		if v, ok := params[k]; ok && v != "None" {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		return def
	}
	maxDepth, minLeaf, minSplit := atoi("max_depth", 1<<30), atoi("min_samples_leaf", 1), atoi("min_samples_split", 2)
	if d := m.Depth(); d > maxDepth {
		t.Errorf("depth %d > max_depth %d", d, maxDepth)
	}
	counts := m.nodeCounts(X)
	for i, n := range counts {
		if m.Feature[i] < 0 && n < minLeaf {
			t.Errorf("leaf %d has %d rows < min_samples_leaf %d", i, n, minLeaf)
		}
		if m.Feature[i] >= 0 && n < minSplit {
			t.Errorf("node %d split with %d rows < min_samples_split %d", i, n, minSplit)
		}
	}
}

// float32Rows returns X with every value rounded to float32. scikit-learn's
// trees run on float32 copies of X (thresholds are midpoints of float32
// values, compared with float32 rows) and ours on float64: on iris a
// threshold between 4.5 and 4.9 is 4.7000000477 there, 4.699999999999999
// here, and rows at 4.7 go different ways. On float32 values both compute
// the same thresholds and comparisons, so what is left to compare is the
// hyperparameters' semantics.
func float32Rows(X [][]float64) [][]float64 {
	out := make([][]float64, len(X))
	for i, row := range X {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			out[i][j] = float64(float32(v))
		}
	}
	return out
}

// nodeCounts returns how many rows of X pass through each node.
func (m *CART) nodeCounts(X [][]float64) []int {
	out := make([]int, len(m.Feature))
	for _, x := range X {
		n := 0
		out[n]++
		for m.Feature[n] >= 0 {
			if x[m.Feature[n]] <= m.Threshold[n] {
				n = m.Left[n]
			} else {
				n = m.Right[n]
			}
			out[n]++
		}
	}
	return out
}

// leaves returns the number of leaves.
func (m *CART) leaves() int {
	n := 0
	for _, f := range m.Feature {
		if f < 0 {
			n++
		}
	}
	return n
}

// loadCached returns the data set of rel (relative to the repository),
// loaded once into cache.
func loadCached(t *testing.T, cache map[string]*Dataset, rel string) *Dataset {
	t.Helper()
	if d := cache[rel]; d != nil {
		return d
	}
	f, err := os.Open(filepath.Join("..", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := LoadCSV(f, rel)
	if err != nil {
		t.Fatal(err)
	}
	cache[rel] = d
	return d
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
