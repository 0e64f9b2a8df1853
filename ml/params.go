package ml

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrBadParam is wrapped by the errors of NewWithParams and CheckParams: an
// unknown hyperparameter name or a value it does not take.
var ErrBadParam = errors.New("ml: bad hyperparameter")

// Param describes one hyperparameter of a model under scikit-learn's name.
type Param struct {
	// Name is scikit-learn's name (C, gamma, n_neighbors, …).
	Name string `json:"name"`
	// Values says, for people, what the parameter takes.
	Values string `json:"values"`
	// Default is scikit-learn's default, as a value the parameter takes.
	Default string `json:"default"`
	// Numeric is true when the parameter takes numbers (so that a random
	// sweep may draw it from a range).
	Numeric bool `json:"numeric"`
	// Integer is true when the numbers must be whole.
	Integer bool `json:"integer,omitempty"`

	set func(c Classifier, v string) error
}

// Limits of hyperparameters, refused above them before anything runs.
const (
	MaxNeighbors = 10000
	MaxIter      = 100000
	MaxLeafSize  = 10000
	// MaxTreeDepth bounds CART's max_depth; MaxMinSamples its
	// min_samples_leaf and min_samples_split.
	MaxTreeDepth  = 10000
	MaxMinSamples = 1000000
)

// aliases are scikit-learn's class names, and the issue's, for Names.
var aliases = map[string]string{
	"SVC": "SVM", "KNeighborsClassifier": "KNN", "DecisionTreeClassifier": "CART",
	"LogisticRegression": "LR", "GaussianNB": "NB", "LinearDiscriminantAnalysis": "LDA",
}

// CanonicalName returns the name in Names of a model given by that name or
// by an alias (SVC for SVM, scikit-learn's class names), or an error
// wrapping ErrUnknownModel that lists the names.
func CanonicalName(name string) (string, error) {
	if slices.Contains(Names, name) {
		return name, nil
	}
	if n, ok := aliases[name]; ok {
		return n, nil
	}
	return "", fmt.Errorf("%w: %q (want one of %s, or SVC for SVM)", ErrUnknownModel, name, strings.Join(Names, ", "))
}

// Params returns the hyperparameters a model takes, sorted by name.
func Params(name string) ([]Param, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(params[n]), nil
}

// ParamNames returns the names of the hyperparameters a model takes.
func ParamNames(name string) []string {
	ps, _ := Params(name)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// NewWithParams returns an unfitted classifier of model name with
// scikit-learn's defaults, except for params (scikit-learn's names, values
// as text: "0.1", "scale", "distance"). An unknown name, or a value the
// parameter does not take, is an error wrapping ErrBadParam that lists what
// is valid.
func NewWithParams(name string, params map[string]string) (Classifier, error) {
	return NewWithSeedParams(name, DefaultSeed, params)
}

// NewWithSeedParams is NewWithParams with CART's seed. It sets the
// parameters in name order, so its errors do not depend on map order.
//
// workflowcheck flags its map iteration; the keys are sorted, so it is
// deterministic (the sweep workflow validates its input with it).
//
//workflowcheck:ignore
func NewWithSeedParams(name string, seed int64, params map[string]string) (Classifier, error) {
	n, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	c, err := NewWithSeed(n, seed)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, ok := findParam(n, k)
		if !ok {
			return nil, fmt.Errorf("%w: %s has no hyperparameter %q; valid: %s", ErrBadParam, name, k, Describe(n))
		}
		if err := p.set(c, strings.TrimSpace(params[k])); err != nil {
			return nil, fmt.Errorf("%w: %s %s=%q: %v; valid: %s", ErrBadParam, name, k, params[k], err, p.Values)
		}
	}
	return c, nil
}

// CheckParam reports whether model name takes value for hyperparameter
// param (an error wrapping ErrBadParam if not).
func CheckParam(name, param, value string) error {
	_, err := NewWithParams(name, map[string]string{param: value})
	return err
}

// Describe lists a model's hyperparameters and what each takes, for error
// messages and help: "C (number > 0), gamma (scale, or number > 0), …".
func Describe(name string) string {
	ps, err := Params(name)
	if err != nil {
		return err.Error()
	}
	if len(ps) == 0 {
		return "none"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s (%s; default %s)", p.Name, p.Values, p.Default)
	}
	return strings.Join(parts, ", ")
}

func findParam(model, name string) (Param, bool) {
	for _, p := range params[model] {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// params are the hyperparameters of each model, sorted by name.
var params = map[string][]Param{
	"SVM": {
		{Name: "C", Values: "number > 0", Default: "1", Numeric: true, set: func(c Classifier, v string) error {
			f, err := positive(v)
			c.(*SVM).C = f
			return err
		}},
		{Name: "coef0", Values: "number (poly and sigmoid kernels)", Default: "0", Numeric: true, set: func(c Classifier, v string) error {
			f, err := finite(v)
			c.(*SVM).Coef0 = f
			return err
		}},
		{Name: "degree", Values: fmt.Sprintf("integer 0..%d (poly kernel)", MaxDegree), Default: "3", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 0, MaxDegree)
			c.(*SVM).Degree = n
			return err
		}},
		{Name: "gamma", Values: "scale, auto (1/n_features), or number > 0", Default: "scale", Numeric: true, set: func(c Classifier, v string) error {
			s := c.(*SVM)
			s.Gamma, s.GammaAuto = 0, v == "auto"
			if v == "scale" || v == "auto" {
				return nil
			}
			f, err := positive(v)
			s.Gamma = f
			return err
		}},
		{Name: "kernel", Values: "rbf, linear, poly or sigmoid", Default: "rbf", set: func(c Classifier, v string) error {
			c.(*SVM).Kernel = v
			return oneOf(v, kernelNames...)
		}},
	},
	"KNN": {
		{Name: "leaf_size", Values: fmt.Sprintf("integer 1..%d", MaxLeafSize), Default: "30", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 1, MaxLeafSize)
			c.(*KNN).LeafSize = n
			return err
		}},
		{Name: "n_neighbors", Values: fmt.Sprintf("integer 1..%d", MaxNeighbors), Default: "5", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 1, MaxNeighbors)
			c.(*KNN).K = n
			return err
		}},
		{Name: "weights", Values: "uniform or distance", Default: "uniform", set: func(c Classifier, v string) error {
			c.(*KNN).Weights = v
			return oneOf(v, "uniform", "distance")
		}},
	},
	"LR": {
		{Name: "C", Values: "number > 0", Default: "1", Numeric: true, set: func(c Classifier, v string) error {
			f, err := positive(v)
			c.(*LogisticRegression).C = f
			return err
		}},
		{Name: "max_iter", Values: fmt.Sprintf("integer 1..%d", MaxIter), Default: "100", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 1, MaxIter)
			c.(*LogisticRegression).MaxIter = n
			return err
		}},
	},
	"NB": {
		{Name: "var_smoothing", Values: "number > 0", Default: "1e-09", Numeric: true, set: func(c Classifier, v string) error {
			f, err := positive(v)
			c.(*GaussianNB).VarSmoothing = f
			return err
		}},
	},
	"LDA": {
		{Name: "shrinkage", Values: "None (shrinkage needs solver lsqr or eigen, which are not implemented)", Default: "None", set: func(_ Classifier, v string) error {
			return oneOf(v, "None")
		}},
		{Name: "solver", Values: "svd (the only solver implemented)", Default: "svd", set: func(_ Classifier, v string) error {
			return oneOf(v, "svd")
		}},
	},
	"CART": {
		{Name: "max_depth", Values: fmt.Sprintf("None, or integer 1..%d", MaxTreeDepth), Default: "None", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			if v == "None" {
				c.(*CART).MaxDepth = 0
				return nil
			}
			n, err := intIn(v, 1, MaxTreeDepth)
			c.(*CART).MaxDepth = n
			return err
		}},
		{Name: "min_samples_leaf", Values: fmt.Sprintf("integer 1..%d (fractions of the rows are not implemented)", MaxMinSamples), Default: "1", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 1, MaxMinSamples)
			c.(*CART).MinSamplesLeaf = n
			return err
		}},
		{Name: "min_samples_split", Values: fmt.Sprintf("integer 2..%d (fractions of the rows are not implemented)", MaxMinSamples), Default: "2", Numeric: true, Integer: true, set: func(c Classifier, v string) error {
			n, err := intIn(v, 2, MaxMinSamples)
			c.(*CART).MinSamplesSplit = n
			return err
		}},
	},
}

// MaxDegree bounds the poly kernel's degree.
const MaxDegree = 10

func finite(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

func positive(v string) (float64, error) {
	f, err := finite(v)
	if err != nil {
		return 0, err
	}
	if f <= 0 {
		return 0, fmt.Errorf("must be > 0")
	}
	return f, nil
}

func intIn(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("out of range")
	}
	return n, nil
}

func oneOf(v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("not one of %s", strings.Join(allowed, ", "))
}
