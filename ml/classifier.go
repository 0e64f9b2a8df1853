package ml

import (
	"fmt"
	"math"
	"slices"
)

// Classifier is a supervised classifier over rows of float64 features and
// non-negative integer class labels.
type Classifier interface {
	// Fit trains the classifier on rows X with labels y.
	Fit(X [][]float64, y []int) error
	// Predict returns a label for each row of X.
	Predict(X [][]float64) ([]int, error)
}

// Names lists the six models of the reference pipeline in its order.
var Names = []string{"LR", "LDA", "KNN", "CART", "NB", "SVM"}

// DefaultSeed is the seed New uses (it only matters for CART).
const DefaultSeed int64 = 0

// New returns an unfitted classifier with scikit-learn's default settings
// for one of Names; it is NewWithSeed(name, DefaultSeed).
func New(name string) (Classifier, error) { return NewWithSeed(name, DefaultSeed) }

// NewWithSeed is New with an explicit random seed: CART's random_state,
// which orders the features it tries at each node (so which of equally good
// splits it keeps), in [0, 2³²−1]; the other models do not use it.
func NewWithSeed(name string, seed int64) (Classifier, error) {
	switch name {
	case "LR":
		return NewLogisticRegression(), nil
	case "LDA":
		return &LDA{}, nil
	case "KNN":
		return NewKNN(), nil
	case "CART":
		return &CART{Seed: seed}, nil
	case "NB":
		return &GaussianNB{}, nil
	case "SVM":
		return NewSVM(), nil
	}
	return nil, fmt.Errorf("%w: %q (want one of %v)", ErrUnknownModel, name, Names)
}

// nameOf returns the model name of c's concrete type.
func nameOf(c Classifier) (string, bool) {
	switch c.(type) {
	case *LogisticRegression:
		return "LR", true
	case *LDA:
		return "LDA", true
	case *KNN:
		return "KNN", true
	case *CART:
		return "CART", true
	case *GaussianNB:
		return "NB", true
	case *SVM:
		return "SVM", true
	}
	return "", false
}

// checkFit validates training data and returns the feature dimension and
// the sorted distinct labels.
func checkFit(X [][]float64, y []int) (int, []int, error) {
	if len(X) == 0 {
		return 0, nil, badInput("no training samples")
	}
	if len(X) != len(y) {
		return 0, nil, badInput("%d rows but %d labels", len(X), len(y))
	}
	d := len(X[0])
	if d == 0 {
		return 0, nil, badInput("rows have no features")
	}
	if err := checkRows(X, d); err != nil {
		return 0, nil, err
	}
	for i, v := range y {
		if v < 0 {
			return 0, nil, badInput("label %d at row %d is negative", v, i)
		}
	}
	classes := slices.Clone(y)
	slices.Sort(classes)
	return d, slices.Compact(classes), nil
}

// checkRows verifies that every row has d finite values.
func checkRows(X [][]float64, d int) error {
	for i, row := range X {
		if len(row) != d {
			return badInput("row %d has %d features, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return badInput("row %d feature %d is not finite", i, j)
			}
		}
	}
	return nil
}

// labelIndex maps each label of y to its position in the sorted classes.
func labelIndex(y, classes []int) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i], _ = slices.BinarySearch(classes, v)
	}
	return out
}

// argmax returns the first index of the largest value.
func argmax(v []float64) int {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}
