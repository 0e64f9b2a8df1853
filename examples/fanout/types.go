package fanout

import "github.com/temporal-ml/runctx-pipeline/runctx"

// TaskQueue is the task queue of the pipeline and its steps.
const TaskQueue = "fanout"

// Experiment groups the pipeline's runs.
const Experiment = "fanout"

// Defaults of Input.
const (
	DefaultData           = "azblob://datasets/iris/iris.csv"
	DefaultModelName      = "fanout-iris"
	DefaultSeed           = 12345
	DefaultValidationSize = 0.2
)

// Tags the steps set on themselves, and evaluate on the pipeline.
const (
	TagModel     = "model"
	TagAccuracy  = "accuracy"
	TagBestModel = "best_model"
)

// ErrTypeBadData is the application error type of bad input or data; it is
// never retried.
const ErrTypeBadData = "BadData"

// Input is the pipeline's input. It carries references, never secrets.
type Input struct {
	// Data is the data reference of the CSV (azblob://… or file:///…).
	Data      string  `json:"data"`
	ModelName string  `json:"model_name"`
	Threshold float64 `json:"threshold"`
	// Seed and ValidationSize drive the split of the data.
	Seed           int64   `json:"seed"`
	ValidationSize float64 `json:"validation_size"`
}

// Result is the pipeline's result.
type Result struct {
	BestModel    string  `json:"best_model"`
	Accuracy     float64 `json:"accuracy"`
	ModelRef     string  `json:"model_ref"`
	Registered   bool    `json:"registered"`
	ModelVersion int     `json:"model_version"`
	Reason       string  `json:"reason,omitempty"`
}

// PrepareInput is the prepare step's input.
type PrepareInput struct {
	Data           string  `json:"data"`
	Seed           int64   `json:"seed"`
	ValidationSize float64 `json:"validation_size"`
}

// PrepareResult carries the references of the training and validation sets.
type PrepareResult struct {
	Step       runctx.Summary `json:"step"`
	Train      string         `json:"train"`
	Validation string         `json:"validation"`
	DataHash   string         `json:"data_hash"`
}

// RunSummary returns the step's run summary (runctx.Summarizer).
func (r PrepareResult) RunSummary() runctx.Summary { return r.Step }

// TrainInput is a train step's input: one model, and the sets by reference.
type TrainInput struct {
	Model      string `json:"model"`
	Train      string `json:"train"`
	Validation string `json:"validation"`
	Seed       int64  `json:"seed"`
}

// TrainResult is a train step's result; its summary is tagged with the
// model and its accuracy.
type TrainResult struct {
	Step     runctx.Summary `json:"step"`
	ModelRef string         `json:"model_ref"`
}

// RunSummary returns the step's run summary (runctx.Summarizer).
func (r TrainResult) RunSummary() runctx.Summary { return r.Step }

// EvaluateInput is the evaluate step's input: the train steps' results, in
// ml.Names order, and the model name whose champion is looked up.
type EvaluateInput struct {
	ModelName  string        `json:"model_name"`
	Candidates []TrainResult `json:"candidates"`
}

// EvaluateResult names the best model (in its summary's tags best_model and
// accuracy), where its file is, and the registered champion.
type EvaluateResult struct {
	Step     runctx.Summary `json:"step"`
	ModelRef string         `json:"model_ref"`
	Champion Champion       `json:"champion"`
}

// RunSummary returns the step's run summary (runctx.Summarizer).
func (r EvaluateResult) RunSummary() runctx.Summary { return r.Step }

// Champion is the registered champion of a model name. It and
// RegisterInput have the shape of the reference pipeline's types
// (activities.Champion, activities.RegisterInput) on purpose: this example
// is a pipeline as a user writes it, whose steps and types are its own
// and depend on runctx alone, not on the project's reference steps.
type Champion struct {
	Exists   bool    `json:"exists"`
	Version  int     `json:"version"`
	Accuracy float64 `json:"accuracy"`
}

// RegisterInput is the register step's input.
type RegisterInput struct {
	ModelName string  `json:"model_name"`
	ModelRef  string  `json:"model_ref"`
	ModelType string  `json:"model_type"`
	Accuracy  float64 `json:"accuracy"`
	Threshold float64 `json:"threshold"`
	Data      string  `json:"data"`
	DataHash  string  `json:"data_hash"`
}

// RegisterResult says whether a version was made: the registry checks
// again, atomically, so another pipeline may have won in between.
type RegisterResult struct {
	Step       runctx.Summary `json:"step"`
	Registered bool           `json:"registered"`
	Version    int            `json:"version"`
	Reason     string         `json:"reason,omitempty"`
}

// RunSummary returns the step's run summary (runctx.Summarizer).
func (r RegisterResult) RunSummary() runctx.Summary { return r.Step }
