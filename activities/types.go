// Package activities holds the pipeline's steps: training (the reference
// iris_supervised_model.py), looking up the registered champion, and
// registering the model (register_model.py). Steps record through runctx and
// read and write data only through the datastore and the registry.
package activities

import "github.com/temporal-ml/runctx-pipeline/runctx"

// Activity IDs of the steps; with the workflow ID they make each step's run ID.
const (
	StepTrain    = "train"
	StepLookup   = "lookup-champion"
	StepRegister = "register-model"
)

// TrainVersion is the training step's code version, part of its reuse
// key: bump it with any change to Train or to ml that changes what
// training computes, or pipelines keep reusing results of the old code.
const TrainVersion = "2"

// Tags the training step sets on itself and on its pipeline.
const (
	TagBestModel = "best_model"
	TagAccuracy  = "accuracy"
)

// ErrTypeBadData is the application error type of bad input data; it is
// never retried.
const ErrTypeBadData = "BadData"

// Defaults of TrainInput: those of the reference script
// (KFold(n_splits=3), train_test_split(test_size=0.20, random_state=12345)).
const (
	DefaultFolds          = 3
	DefaultSeed           = 12345
	DefaultValidationSize = 0.20
)

// DefaultLocalData is the data an offline training run reads when given no
// reference: the project's iris CSV, relative to the repository root.
const DefaultLocalData = "data/iris.csv"

// TrainInput is the training step's input.
type TrainInput struct {
	// Data is the data reference of the iris CSV (azblob://… or file://…).
	Data           string  `json:"data"`
	Folds          int     `json:"folds"`
	Seed           int64   `json:"seed"`
	ValidationSize float64 `json:"validation_size"`
	// NoPictures skips the confusion-matrix heatmaps and the algorithm
	// comparison plot (about 50 ms of drawing per step on two cores).
	NoPictures bool `json:"no_pictures,omitempty"`
}

// TrainResult is what the training step returns to the workflow: its run
// summary (tags best_model and accuracy among them) and where the best
// model's file is.
type TrainResult struct {
	Step      runctx.Summary `json:"step"`
	ModelRef  string         `json:"model_ref"`
	ModelType string         `json:"model_type"`
	DataHash  string         `json:"data_hash"`
	// Warnings are scikit-learn's warnings of the fitted models (LR's
	// ConvergenceWarning), also written to the step's outputs/output.txt.
	Warnings []string `json:"warnings,omitempty"`
}

// RunSummary returns the training step's run summary (runctx.Summarizer).
func (r TrainResult) RunSummary() runctx.Summary { return r.Step }

// LookupInput names the model whose champion is looked up.
type LookupInput struct {
	ModelName string `json:"model_name"`
}

// Champion is the registered champion of a model name.
type Champion struct {
	Exists   bool    `json:"exists"`
	Version  int     `json:"version"`
	Accuracy float64 `json:"accuracy"`
}

// RegisterInput is the register-model step's input.
type RegisterInput struct {
	ModelName  string  `json:"model_name"`
	ModelRef   string  `json:"model_ref"`
	ModelType  string  `json:"model_type"`
	Accuracy   float64 `json:"accuracy"`
	Threshold  float64 `json:"threshold"`
	Data       string  `json:"data"`
	DataHash   string  `json:"data_hash"`
	Experiment string  `json:"experiment"`
}

// RegisterResult says whether a version was made. Registered is false when
// another pipeline made a better champion between lookup and registration.
type RegisterResult struct {
	Step       runctx.Summary `json:"step"`
	Registered bool           `json:"registered"`
	Version    int            `json:"version"`
	Reason     string         `json:"reason,omitempty"`
	Champion   Champion       `json:"champion"`
}

// RunSummary returns the register step's run summary (runctx.Summarizer).
func (r RegisterResult) RunSummary() runctx.Summary { return r.Step }
