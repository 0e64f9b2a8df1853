// Package workflows holds TrainingPipeline, the parent run of the pipeline,
// and the only place where the pipeline decides what to do.
package workflows

import (
	"errors"
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// TaskQueue is the task queue the worker polls and the starter uses.
const TaskQueue = "ml-pipeline"

// Defaults of PipelineInput.
const (
	DefaultExperiment     = "iris"
	DefaultModelName      = "iris-classifier"
	DefaultData           = "azblob://datasets/iris/iris.csv"
	DefaultThreshold      = 0.0
	DefaultFolds          = activities.DefaultFolds
	DefaultSeed           = activities.DefaultSeed
	DefaultValidationSize = activities.DefaultValidationSize
)

// Limits of PipelineInput, checked by Validate before any work. The bound
// of folds against the training rows is checked where the rows are known,
// in the training step.
const (
	// MinFolds and MaxFolds bound the cross-validation folds.
	MinFolds = 2
	MaxFolds = 100
)

// The pipeline's tags and the typed search attributes they become.
func init() {
	runctx.Declare(TrainingPipeline,
		runctx.Attribute[string](activities.TagBestModel, AttrBestModel),
		runctx.Attribute[float64](activities.TagAccuracy, AttrAccuracy),
		runctx.Attribute[bool](TagModelRegistered, AttrModelRegistered),
		runctx.Attribute[int64](TagModelVersion, AttrModelVersion),
	)
}

// Search attributes of the pipeline, besides layout.ExperimentAttribute.
const (
	AttrBestModel       = "BestModel"
	AttrAccuracy        = "Accuracy"
	AttrModelRegistered = "ModelRegistered"
	AttrModelVersion    = "ModelVersion"
)

// Tags the pipeline sets on itself once it has decided.
const (
	TagModelRegistered = "model_registered"
	TagModelVersion    = "model_version"
)

// PipelineInput is the input of TrainingPipeline. It carries references,
// never secrets.
type PipelineInput struct {
	Experiment string `json:"experiment"`
	ModelName  string `json:"model_name"`
	Data       string `json:"data"`
	// Outputs is where the steps record, in place of the worker's runs
	// root (runctx.PluginOptions.Runs); empty means the worker's.
	Outputs        string  `json:"outputs"`
	Threshold      float64 `json:"threshold"`
	Folds          int     `json:"folds"`
	Seed           int64   `json:"seed"`
	ValidationSize float64 `json:"validation_size"`
	// NoReuse trains again even when an earlier run trained on the same
	// data with the same settings (runctx.StepOptions.Reuse).
	NoReuse bool `json:"no_reuse,omitempty"`
	// NoPictures trains without drawing the training step's pictures
	// (activities.TrainInput.NoPictures).
	NoPictures bool `json:"no_pictures,omitempty"`
}

// WithDefaults fills the zero fields with the defaults.
func (in PipelineInput) WithDefaults() PipelineInput {
	if in.Experiment == "" {
		in.Experiment = DefaultExperiment
	}
	if in.ModelName == "" {
		in.ModelName = DefaultModelName
	}
	if in.Data == "" {
		in.Data = DefaultData
	}
	if in.Folds == 0 {
		in.Folds = DefaultFolds
	}
	if in.Seed == 0 {
		in.Seed = DefaultSeed
	}
	if in.ValidationSize == 0 {
		in.ValidationSize = DefaultValidationSize
	}
	return in
}

// ErrBadInput is wrapped by Validate's errors.
var ErrBadInput = errors.New("bad pipeline input")

// Validate checks what can be checked without I/O: the experiment and
// model names (datastore.ValidateName), the data and outputs references
// (datastore.ParseRef, ParsePrefix: known scheme, valid container, no
// empty, "." or ".." segments), folds within [MinFolds, MaxFolds], the
// validation size and the threshold. Each error names the field and the
// limit, and wraps ErrBadInput.
func (in PipelineInput) Validate() error {
	// Names become blob paths.
	if err := datastore.ValidateName("experiment", in.Experiment); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if err := datastore.ValidateName("model", in.ModelName); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if _, err := datastore.ParseRef(in.Data); err != nil {
		return fmt.Errorf("%w: data: %w", ErrBadInput, err)
	}
	if in.Outputs != "" {
		if _, err := datastore.ParsePrefix(in.Outputs); err != nil {
			return fmt.Errorf("%w: outputs: %w", ErrBadInput, err)
		}
	}
	switch {
	case in.Folds < MinFolds:
		return fmt.Errorf("%w: folds = %d, need at least %d", ErrBadInput, in.Folds, MinFolds)
	case in.Folds > MaxFolds:
		return fmt.Errorf("%w: folds = %d, more than the limit of %d", ErrBadInput, in.Folds, MaxFolds)
	case in.ValidationSize <= 0 || in.ValidationSize >= 1:
		return fmt.Errorf("%w: validation size = %g, need 0 < size < 1", ErrBadInput, in.ValidationSize)
	case in.Threshold < 0 || in.Threshold > 1.01:
		return fmt.Errorf("%w: threshold = %g, need 0 ≤ threshold ≤ 1.01", ErrBadInput, in.Threshold)
	}
	return nil
}

// PipelineResult is the result of TrainingPipeline.
type PipelineResult struct {
	BestModel        string  `json:"best_model"`
	Accuracy         float64 `json:"accuracy"`
	Registered       bool    `json:"registered"`
	ModelVersion     int     `json:"model_version"`
	Reason           string  `json:"reason,omitempty"`
	ChampionVersion  int     `json:"champion_version"`
	ChampionAccuracy float64 `json:"champion_accuracy"`
	ModelRef         string  `json:"model_ref"`
	TrainRecord      string  `json:"train_record"`
	// Metrics are the pipeline's own metrics (what steps logged to their
	// parent), kept in the result so they outlive the workflow's queries.
	Metrics map[string][]float64 `json:"metrics,omitempty"`
	// Steps are the child runs with their status and summaries.
	Steps []runctx.StepInfo `json:"steps,omitempty"`
}
