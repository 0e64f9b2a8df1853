package ml

// Figures is a Report in the form scripts/golden.py prints with --figures
// and `go run ./activities/cmd/train --json` prints, to compare with
// scikit-learn's figures for the same file.
type Figures struct {
	NRows     int                     `json:"n_rows"`
	Split     FiguresSplit            `json:"split"`
	Models    map[string]ModelFigures `json:"models"`
	BestModel string                  `json:"best_model"`
	Accuracy  float64                 `json:"accuracy"`
}

// FiguresSplit is the train/validation split: the validation rows, 0-based
// in file order (header excluded), in scikit-learn's permutation order.
type FiguresSplit struct {
	Seed              int64 `json:"seed"`
	ValidationIndices []int `json:"validation_indices"`
}

// ModelFigures are one model's figures.
type ModelFigures struct {
	CVScores        []float64 `json:"cv_scores"`
	CVMean          float64   `json:"cv_mean"`
	CVStd           float64   `json:"cv_std"`
	Accuracy        float64   `json:"accuracy"`
	ConfusionMatrix [][]int   `json:"confusion_matrix"`
	ClassLabels     []string  `json:"class_labels"`
}

// Figures returns r's figures.
func (r *Report) Figures() Figures {
	f := Figures{NRows: len(r.Train) + len(r.Validate), BestModel: r.Best,
		Split:  FiguresSplit{Seed: r.Options.Seed, ValidationIndices: r.Validate},
		Models: make(map[string]ModelFigures, len(r.Results))}
	for _, m := range r.Results {
		f.Models[m.Name] = ModelFigures{CVScores: m.Folds, CVMean: m.Mean, CVStd: m.Std,
			Accuracy: m.ValidationAccuracy, ConfusionMatrix: m.Confusion, ClassLabels: r.Classes}
	}
	if b := r.BestResult(); b != nil {
		f.Accuracy = b.ValidationAccuracy
	}
	return f
}
