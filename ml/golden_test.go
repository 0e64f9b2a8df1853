package ml

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// golden is one file of ml/testdata/golden, written by scripts/golden.py
// from scikit-learn 1.2.1 (make golden).
type golden struct {
	Dataset     string   `json:"dataset"`
	CSV         string   `json:"csv"`
	NRows       int      `json:"n_rows"`
	Seed        int64    `json:"seed"`
	TestSize    float64  `json:"test_size"`
	Folds       int      `json:"folds"`
	ClassLabels []string `json:"class_labels"`
	Split       struct {
		Validation []int `json:"validation_indices"`
		Train      []int `json:"train_indices"`
	} `json:"split"`
	Models    map[string]goldenModel `json:"models"`
	BestModel string                 `json:"best_model"`
	Accuracy  float64                `json:"accuracy"`
}

type goldenModel struct {
	CVScores  []float64   `json:"cv_scores"`
	CVMean    float64     `json:"cv_mean"`
	CVStd     float64     `json:"cv_std"`
	CVPred    [][]int     `json:"cv_predictions"`
	ValPred   []int       `json:"validation_predictions"`
	Accuracy  float64     `json:"accuracy"`
	Confusion [][]int     `json:"confusion_matrix"`
	Converged []bool      `json:"converged"` // LR: per fold, then the validation fit
	NIter     []int       `json:"n_iter"`    // LR: n_iter_, in the same order
	Fits      []lrFit     `json:"fits"`      // LR: coef_ and intercept_, in the same order
	Tree      *goldenTree `json:"tree"`      // CART: the tree of the validation fit
}

// goldenTree is a fitted DecisionTreeClassifier's tree_: feature (-2 at a
// leaf), threshold, and children (-1 at a leaf), in its node order.
type goldenTree struct {
	Feature   []int     `json:"feature"`
	Threshold []float64 `json:"threshold"`
	Left      []int     `json:"children_left"`
	Right     []int     `json:"children_right"`
}

// checkTree asserts that m has scikit-learn's nodes, in scikit-learn's
// order, with the same features, thresholds (bit for bit) and children.
func checkTree(t *testing.T, m *CART, want *goldenTree) {
	t.Helper()
	if want == nil {
		t.Fatal("golden has no tree; run make golden")
	}
	if len(m.Feature) != len(want.Feature) {
		t.Errorf("CART: %d nodes, scikit-learn %d", len(m.Feature), len(want.Feature))
		return
	}
	for i := range m.Feature {
		if want.Feature[i] < 0 {
			if m.Feature[i] >= 0 {
				t.Errorf("CART node %d: split on feature %d at %v, scikit-learn's is a leaf", i, m.Feature[i], m.Threshold[i])
				return
			}
			continue
		}
		if m.Feature[i] != want.Feature[i] || m.Threshold[i] != want.Threshold[i] || m.Left[i] != want.Left[i] || m.Right[i] != want.Right[i] {
			t.Errorf("CART node %d: feature %d threshold %v children %d %d; scikit-learn %d %v %d %d", i,
				m.Feature[i], m.Threshold[i], m.Left[i], m.Right[i], want.Feature[i], want.Threshold[i], want.Left[i], want.Right[i])
			return
		}
	}
}

// lrFit is scikit-learn's coef_ (one row for two classes) and intercept_.
type lrFit struct {
	Coef      [][]float64 `json:"coef"`
	Intercept []float64   `json:"intercept"`
}

func loadGolden(t *testing.T) []golden {
	t.Helper()
	files, _ := filepath.Glob("testdata/golden/*.json")
	if len(files) == 0 {
		t.Fatal("no golden files; run make golden")
	}
	var out []golden
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, g)
	}
	return out
}

func loadGoldenData(t *testing.T, g golden) *Dataset {
	t.Helper()
	f, err := os.Open(filepath.Join("..", filepath.FromSlash(g.CSV)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := LoadCSV(f, g.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.X) != g.NRows || !slices.Equal(d.Classes, g.ClassLabels) {
		t.Fatalf("%s: %d rows, classes %v; golden %d rows, %v", g.CSV, len(d.X), d.Classes, g.NRows, g.ClassLabels)
	}
	return d
}

// Tolerances. Every model must match scikit-learn exactly: fold scores,
// fold predictions and validation predictions, and CART's tree node for
// node (scikit-learn's with random_state = the golden's seed), except LR on
// the lrChaotic sets.

// lrCoefTol bounds the largest difference of LR's coefficients and
// intercepts from scikit-learn's, relative to the largest of them; with it
// the n_iter_, convergence and every prediction must be scikit-learn's.
const lrCoefTol = 1e-6

// lrChaotic are the data sets on which the iterates do not stay within
// lrCoefTol: the same algorithm, but rounding differences of the order of
// 1e-16 (OpenBLAS's sums for the large products and the dot products inside
// L-BFGS-B, glibc's log against Go's) grow by about ten every six
// evaluations on these ill-conditioned problems, to up to 4e-2 after 100
// iterations. There the predictions may differ in at most lrShare of the
// rows, each score by at most lrScoreSlack (a row of iris's 40-row
// folds), and the iteration count by lrIterSlack where lbfgs converged.
var lrChaotic = map[string]bool{"digits": true, "iris": true, "constant_collinear": true, "ranges": true, "separable": true}

const (
	lrShare      = 0.02
	lrScoreSlack = 0.03
	lrIterSlack  = 5
)

func converged(gm goldenModel) bool { return !slices.Contains(gm.Converged, false) }

func TestGoldenSplit(t *testing.T) {
	for _, g := range loadGolden(t) {
		train, val, err := TrainTestSplit(g.NRows, g.TestSize, g.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(val, g.Split.Validation) || !slices.Equal(train, g.Split.Train) {
			t.Errorf("%s: split differs from scikit-learn's", g.Dataset)
		}
	}
}

func TestGoldenModels(t *testing.T) {
	for _, g := range loadGolden(t) {
		t.Run(g.Dataset, func(t *testing.T) {
			d := loadGoldenData(t, g)
			xtr, ytr := subset(d.X, d.Y, g.Split.Train)
			xva, yva := subset(d.X, d.Y, g.Split.Validation)
			folds, err := KFold(len(xtr), g.Folds)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range Names {
				gm := g.Models[name]
				var scores []float64
				nDiff := 0
				for f, s := range folds {
					a, ya := subset(xtr, ytr, s[0])
					b, yb := subset(xtr, ytr, s[1])
					c, _ := NewWithSeed(name, g.Seed)
					if err := c.Fit(a, ya); err != nil {
						t.Fatalf("%s fold %d: %v", name, f, err)
					}
					p, err := c.Predict(b)
					if err != nil {
						t.Fatal(err)
					}
					scores = append(scores, Accuracy(yb, p))
					nDiff += diff(p, gm.CVPred[f])
					if name == "LR" {
						checkLRFit(t, c.(*LogisticRegression), gm, f, lrChaotic[g.Dataset])
					}
				}
				c, _ := NewWithSeed(name, g.Seed)
				if err := c.Fit(xtr, ytr); err != nil {
					t.Fatal(err)
				}
				if name == "LR" {
					checkLRFit(t, c.(*LogisticRegression), gm, len(folds), lrChaotic[g.Dataset])
				}
				p, _ := c.Predict(xva)
				acc := Accuracy(yva, p)
				vDiff := diff(p, gm.ValPred)
				if name == "CART" {
					checkTree(t, c.(*CART), gm.Tree)
				}
				if name == "LR" && lrChaotic[g.Dataset] {
					n := len(xtr) + len(xva)
					if float64(nDiff+vDiff) > lrShare*float64(n) || math.Abs(acc-gm.Accuracy) > lrScoreSlack ||
						!slices.EqualFunc(scores, gm.CVScores, func(a, b float64) bool { return math.Abs(a-b) <= lrScoreSlack }) {
						t.Errorf("LR: folds %v (sklearn %v), accuracy %v (sklearn %v): %d of %d predictions differ",
							scores, gm.CVScores, acc, gm.Accuracy, nDiff+vDiff, n)
					}
					t.Logf("LR: %d fold and %d validation predictions differ", nDiff, vDiff)
					continue
				}
				if nDiff+vDiff > 0 || !slices.Equal(scores, gm.CVScores) || acc != gm.Accuracy {
					t.Errorf("%s: folds %v (sklearn %v), accuracy %v (sklearn %v): %d fold and %d validation predictions differ",
						name, scores, gm.CVScores, acc, gm.Accuracy, nDiff, vDiff)
				}
				if cm := ConfusionMatrix(yva, p, len(d.Classes)); !slices.EqualFunc(cm, gm.Confusion, slices.Equal) {
					t.Errorf("%s: confusion %v, sklearn %v", name, cm, gm.Confusion)
				}
			}
		})
	}
}

// checkLRFit compares fit i of LR (a fold, or the validation fit last)
// with scikit-learn's: converged, n_iter_, coefficients and intercepts.
func checkLRFit(t *testing.T, m *LogisticRegression, gm goldenModel, i int, chaotic bool) {
	t.Helper()
	want := gm.Fits[i]
	slack := 0
	if chaotic && gm.Converged[i] {
		slack = lrIterSlack
	}
	if m.Converged != gm.Converged[i] || abs(m.NIter-gm.NIter[i]) > slack {
		t.Errorf("LR fit %d: converged %v after %d iterations (%s), scikit-learn %v after %d",
			i, m.Converged, m.NIter, m.Message, gm.Converged[i], gm.NIter[i])
	}
	coef, icpt := m.Coef, m.Intercept
	if len(m.Classes) == 2 {
		coef, icpt = coef[1:], icpt[1:]
	}
	var dmax, vmax float64
	for k, row := range want.Coef {
		for j, v := range row {
			dmax = math.Max(dmax, math.Abs(coef[k][j]-v))
			vmax = math.Max(vmax, math.Abs(v))
		}
		dmax = math.Max(dmax, math.Abs(icpt[k]-want.Intercept[k]))
		vmax = math.Max(vmax, math.Abs(want.Intercept[k]))
	}
	if !chaotic && dmax > lrCoefTol*vmax {
		t.Errorf("LR fit %d: coefficients differ from scikit-learn's by %.3g (relative %.3g, more than %g)", i, dmax, dmax/vmax, lrCoefTol)
	}
	t.Logf("LR fit %d: %d iterations, converged %v, largest coefficient difference %.3g (relative %.3g)", i, m.NIter, m.Converged, dmax, dmax/vmax)
}

func abs(v int) int { return max(v, -v) }

func diff(a, b []int) int {
	n := 0
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			n++
		}
	}
	return n + max(0, len(b)-len(a))
}

// TestGoldenTrainAll checks the pipeline's figures (TrainAll) against the
// golden: split, fold scores, mean and std, accuracy, confusion matrices and
// the best model.
func TestGoldenTrainAll(t *testing.T) {
	for _, g := range loadGolden(t) {
		t.Run(g.Dataset, func(t *testing.T) {
			d := loadGoldenData(t, g)
			checkReport(t, g, d)
			if g.Dataset == "iris" {
				// The original project's form: no header, "Iris-setosa"
				// labels, no final newline; made here from data/iris.csv.
				seed, err := LoadCSV(strings.NewReader(seedForm(d)), "sample_data.csv")
				if err != nil {
					t.Fatal(err)
				}
				if Hash(seed) != Hash(d) {
					t.Fatal("the seed form does not load to the same data")
				}
				checkReport(t, g, seed)
			}
		})
	}
}

func checkReport(t *testing.T, g golden, d *Dataset) {
	t.Helper()
	rep, err := TrainAll(d, Options{Folds: g.Folds, Seed: g.Seed, ValidationSize: g.TestSize})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Validate, g.Split.Validation) || !slices.Equal(rep.Train, g.Split.Train) {
		t.Error("split differs")
	}
	for _, r := range rep.Results {
		gm := g.Models[r.Name]
		if r.Name == "LR" && lrChaotic[g.Dataset] {
			continue // TestGoldenModels checks it within its tolerance
		}
		if !slices.Equal(r.Folds, gm.CVScores) || r.Mean != gm.CVMean || !near(r.Std, gm.CVStd, 1e-15) || r.ValidationAccuracy != gm.Accuracy {
			t.Errorf("%s: %v mean %v std %v acc %v; sklearn %v mean %v std %v acc %v", r.Name,
				r.Folds, r.Mean, r.Std, r.ValidationAccuracy, gm.CVScores, gm.CVMean, gm.CVStd, gm.Accuracy)
		}
	}
	// The best model is the first whose accuracy is strictly greater than
	// the best so far; on the lrChaotic sets, with our LR's accuracy.
	best, acc := "", -1.0
	for _, n := range Names {
		a := g.Models[n].Accuracy
		if n == "LR" && lrChaotic[g.Dataset] {
			a = rep.Results[slices.Index(Names, n)].ValidationAccuracy
		}
		if a > acc {
			best, acc = n, a
		}
	}
	if rep.Best != best {
		t.Errorf("best %s, want %s", rep.Best, best)
	}
	if !lrChaotic[g.Dataset] && rep.Best != g.BestModel {
		t.Errorf("best %s, sklearn %s", rep.Best, g.BestModel)
	}
}

// seedForm writes d as the original project's sample_data.csv: no header,
// one decimal, "Iris-" labels, no final newline.
func seedForm(d *Dataset) string {
	lines := make([]string, len(d.X))
	for i, row := range d.X {
		f := make([]string, 0, len(row)+1)
		for _, v := range row {
			f = append(f, strconv.FormatFloat(v, 'f', 1, 64))
		}
		lines[i] = strings.Join(append(f, "Iris-"+d.Classes[d.Y[i]]), ",")
	}
	return strings.Join(lines, "\n")
}
