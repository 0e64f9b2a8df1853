package ml

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Options controls TrainAll.
type Options struct {
	// Folds is the number of cross-validation folds (scikit-learn's
	// KFold(n_splits=Folds), unshuffled: consecutive training rows).
	Folds int
	// ShuffleFolds shuffles the rows before cutting the folds, as
	// KFold(shuffle=True, random_state=Seed). The reference does not.
	ShuffleFolds bool `json:",omitempty"`
	// Seed is the random_state of the train/validation split and of CART.
	Seed int64
	// ValidationSize is the fraction of rows held out for validation.
	ValidationSize float64
}

// DefaultOptions returns the reference pipeline's settings: 3 folds, seed
// 12345 and a 20% validation part.
func DefaultOptions() Options { return Options{Folds: 3, Seed: 12345, ValidationSize: 0.20} }

// Result is the outcome for one model.
type Result struct {
	Name string `json:"name"`
	// Folds are the cross-validation accuracies on the training part.
	Folds []float64 `json:"folds"`
	Mean  float64   `json:"mean"`
	// Std is the population standard deviation of Folds (numpy's ddof=0).
	Std float64 `json:"std"`
	// ValidationAccuracy is the accuracy on the validation part of the model
	// fitted on the whole training part.
	ValidationAccuracy float64 `json:"validation_accuracy"`
	// Confusion is the validation confusion matrix (rows true, cols predicted).
	Confusion [][]int `json:"confusion"`
	// Model is the classifier fitted on the whole training part.
	Model Classifier `json:"-"`
}

// Report is the outcome of TrainAll.
type Report struct {
	Source   string   `json:"source"`
	DataHash string   `json:"data_hash"`
	Options  Options  `json:"options"`
	Classes  []string `json:"classes"`
	Train    []int    `json:"train"`      // row indices of the training part
	Validate []int    `json:"validation"` // row indices of the validation part
	Results  []Result `json:"results"`    // in Names order
	// Best is the name of the model with the highest validation accuracy
	// (the first in Names order on ties).
	Best string `json:"best"`
}

// BestResult returns the Result named by r.Best, or nil.
func (r *Report) BestResult() *Result {
	for i := range r.Results {
		if r.Results[i].Name == r.Best {
			return &r.Results[i]
		}
	}
	return nil
}

// Summary returns one line per model as the reference prints it,
// "%s: %f (%f)" of name, cross-validation mean and std.
func (r *Report) Summary() string {
	var b strings.Builder
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%s: %f (%f)\n", res.Name, res.Mean, res.Std)
	}
	return b.String()
}

// Warnings returns scikit-learn's warnings for the models fitted on the
// whole training part, one line per warning, prefixed with the model's
// name: today, LR's ConvergenceWarning when lbfgs stopped at max_iter.
func (r *Report) Warnings() []string {
	var w []string
	for _, res := range r.Results {
		if lr, ok := res.Model.(*LogisticRegression); ok {
			if msg := lr.ConvergenceWarning(); msg != "" {
				w = append(w, fmt.Sprintf("%s: ConvergenceWarning: %s", res.Name, msg))
			}
		}
	}
	return w
}

// CrossValScore returns the accuracy of model name (built with seed) on each
// of folds unshuffled k-fold splits of X, y, as scikit-learn's
// cross_val_score(model, X, y, cv=KFold(n_splits=folds)).
func CrossValScore(name string, seed int64, X [][]float64, y []int, folds int) ([]float64, error) {
	if len(X) != len(y) {
		return nil, badInput("%d rows but %d labels", len(X), len(y))
	}
	splits, err := KFold(len(X), folds)
	if err != nil {
		return nil, err
	}
	return crossValScore(context.Background(), name, seed, X, y, splits)
}

func crossValScore(ctx context.Context, name string, seed int64, X [][]float64, y []int, splits [][2][]int) ([]float64, error) {
	if _, err := NewWithSeed(name, seed); err != nil {
		return nil, err
	}
	scores := make([]float64, len(splits))
	for f, s := range splits {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: fold %d: %w", name, f+1, err)
		}
		c, _ := NewWithSeed(name, seed)
		xtr, ytr := subset(X, y, s[0])
		xte, yte := subset(X, y, s[1])
		if err := c.Fit(xtr, ytr); err != nil {
			return nil, fmt.Errorf("%s: fold %d: fit: %w", name, f+1, err)
		}
		pred, err := c.Predict(xte)
		if err != nil {
			return nil, fmt.Errorf("%s: fold %d: predict: %w", name, f+1, err)
		}
		scores[f] = Accuracy(yte, pred)
	}
	return scores, nil
}

// TrainAll runs the reference pipeline (iris_supervised_model.py) on d: it
// holds out opt.ValidationSize of the rows (TrainTestSplit with opt.Seed,
// scikit-learn's train_test_split), cross-validates every model of Names on
// the training part with opt.Folds folds (KFold), then fits each on the
// whole training part and scores it on the validation part. The best model
// is the first, in Names order, whose validation accuracy is strictly
// greater than the best so far.
func TrainAll(d *Dataset, opt Options) (*Report, error) {
	return TrainAllContext(context.Background(), d, opt)
}

// TrainAllContext is TrainAll that stops, with ctx's error, when ctx ends:
// it checks before every fit, so a cancelled step stops within one fit.
func TrainAllContext(ctx context.Context, d *Dataset, opt Options) (*Report, error) {
	if d == nil {
		return nil, errors.New("ml: TrainAll: nil dataset")
	}
	if opt.Folds < 2 {
		return nil, fmt.Errorf("%w: %s: folds must be >= 2, got %d", ErrBadInput, d.Source, opt.Folds)
	}
	if !(opt.ValidationSize > 0 && opt.ValidationSize < 1) {
		return nil, fmt.Errorf("%w: %s: validation size %v not in (0, 1)", ErrBadInput, d.Source, opt.ValidationSize)
	}
	n := len(d.X)
	if len(d.Y) != n {
		return nil, &DataError{d.Source, 0, fmt.Sprintf("%d rows but %d labels", n, len(d.Y))}
	}
	for i, c := range d.Y {
		if c < 0 || c >= len(d.Classes) {
			return nil, &DataError{d.Source, 0, fmt.Sprintf("row %d: class index %d out of range", i+1, c)}
		}
	}
	if opt.Seed < 0 || opt.Seed > MaxSeed {
		return nil, fmt.Errorf("%w: %s: seed %d not in [0, 2^32-1] (numpy's RandomState range)", ErrBadInput, d.Source, opt.Seed)
	}
	train, val, err := TrainTestSplit(n, opt.ValidationSize, opt.Seed)
	if err != nil || len(train) < opt.Folds {
		return nil, &DataError{d.Source, 0, fmt.Sprintf(
			"too few rows: %d rows cannot give %d cross-validation folds after holding out %v for validation",
			n, opt.Folds, opt.ValidationSize)}
	}
	xtr, ytr := subset(d.X, d.Y, train)
	xva, yva := subset(d.X, d.Y, val)
	rep := &Report{Source: d.Source, DataHash: Hash(d), Options: opt, Classes: d.Classes,
		Train: train, Validate: val}
	splits, err := KFold(len(train), opt.Folds)
	if opt.ShuffleFolds {
		splits, err = KFoldShuffled(len(train), opt.Folds, opt.Seed)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Source, err)
	}
	bestAcc := -1.0
	for _, name := range Names {
		scores, err := crossValScore(ctx, name, opt.Seed, xtr, ytr, splits)
		if err != nil {
			return nil, fmt.Errorf("%s: cross-validation: %w", d.Source, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.Source, name, err)
		}
		c, _ := NewWithSeed(name, opt.Seed)
		if err := c.Fit(xtr, ytr); err != nil {
			return nil, fmt.Errorf("%s: %s: fit: %w", d.Source, name, err)
		}
		pred, err := c.Predict(xva)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: predict: %w", d.Source, name, err)
		}
		mean, std := meanStd(scores)
		res := Result{Name: name, Folds: scores, Mean: mean, Std: std,
			ValidationAccuracy: Accuracy(yva, pred),
			Confusion:          ConfusionMatrix(yva, pred, len(d.Classes)), Model: c}
		if res.ValidationAccuracy > bestAcc {
			bestAcc, rep.Best = res.ValidationAccuracy, name
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}
