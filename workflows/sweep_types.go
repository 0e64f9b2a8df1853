package workflows

import (
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/sweep"
)

// The sweep's tags and the search attributes they become: the same
// attributes as the pipeline's (the dev server allows few).
func init() {
	runctx.Declare(HyperparameterSweep,
		runctx.Attribute[string](TagBestTrial, AttrBestModel),
		runctx.Attribute[float64](activities.TagAccuracy, AttrAccuracy),
		runctx.Attribute[bool](TagModelRegistered, AttrModelRegistered),
		runctx.Attribute[int64](TagModelVersion, AttrModelVersion),
	)
}

// Tags of a sweep's parent run.
const (
	// TagBestTrial names the best trial so far (search attribute
	// BestModel); accuracy is its validation accuracy.
	TagBestTrial = "best_trial"
	// TagBestParams and TagBestModel (activities.TagBestModel) describe it.
	TagBestParams = "best_params"
)

// QuerySweep is the query that returns a sweep's SweepProgress.
const QuerySweep = "sweep"

// Trial statuses.
const (
	TrialCompleted       = "completed"
	TrialEarlyTerminated = "early_terminated"
	TrialFailed          = "failed"
)

// Limits of SweepInput.
const (
	MaxConcurrentTrials = 200
	// TrialsPerRun bounds the trials one run of the sweep workflow
	// starts; then it drains its running trials and continues as new,
	// so that no history nears the event and size limits.
	TrialsPerRun = 200
)

// SweepInput is the input of HyperparameterSweep. It carries references,
// never secrets.
type SweepInput struct {
	Experiment     string       `json:"experiment"`
	ModelName      string       `json:"model_name"`
	Data           string       `json:"data"`
	Outputs        string       `json:"outputs,omitempty"`
	Threshold      float64      `json:"threshold"`
	Folds          int          `json:"folds"`
	Seed           int64        `json:"seed"`
	ValidationSize float64      `json:"validation_size"`
	Space          sweep.Space  `json:"space"`
	Policy         sweep.Policy `json:"policy"`
	MaxConcurrent  int          `json:"max_concurrent"`
	// State is the progress carried across continue-as-new; nil at start.
	State *SweepState `json:"state,omitempty"`
}

// SweepState is what a sweep carries to its next run.
type SweepState struct {
	Prepared activities.PrepareResult `json:"prepared"`
	Next     int                      `json:"next"`
	Trials   []TrialRecord            `json:"trials"`
	Runs     int                      `json:"runs"`
}

// TrialRecord is one trial as the sweep's result and query show it.
type TrialRecord struct {
	TrialID  string            `json:"trial_id"`
	Params   map[string]string `json:"params"`
	Status   string            `json:"status"`
	CVScores []float64         `json:"cv_scores"`
	Accuracy float64           `json:"accuracy"`
	// Fold is the last fold a stopped trial reached.
	Fold      int    `json:"fold,omitempty"`
	Reason    string `json:"reason,omitempty"`
	ModelRef  string `json:"model_ref,omitempty"`
	RecordRef string `json:"record_ref,omitempty"`
}

// SweepResult is the result of HyperparameterSweep.
type SweepResult struct {
	Trials       []TrialRecord `json:"trials"`
	Best         *TrialRecord  `json:"best"`
	Registered   bool          `json:"registered"`
	ModelVersion int           `json:"model_version"`
	Reason       string        `json:"reason,omitempty"`
	Policy       string        `json:"policy"`
	Runs         int           `json:"runs"`
}

// SweepProgress is what the sweep query returns.
type SweepProgress struct {
	Total   int          `json:"total"`
	Done    int          `json:"done"`
	Running int          `json:"running"`
	Stopped int          `json:"stopped"`
	Failed  int          `json:"failed"`
	Best    *TrialRecord `json:"best,omitempty"`
}

// pipeline is the sweep's input as the pipeline's, whose defaults and
// checks the sweep shares.
func (in SweepInput) pipeline() PipelineInput {
	return PipelineInput{Experiment: in.Experiment, ModelName: in.ModelName, Data: in.Data, Outputs: in.Outputs,
		Threshold: in.Threshold, Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize}
}

// WithDefaults fills the zero fields with the pipeline's defaults.
func (in SweepInput) WithDefaults() SweepInput {
	p := in.pipeline().WithDefaults()
	in.Experiment, in.ModelName, in.Data = p.Experiment, p.ModelName, p.Data
	in.Folds, in.Seed, in.ValidationSize = p.Folds, p.Seed, p.ValidationSize
	if in.MaxConcurrent == 0 {
		in.MaxConcurrent = 4
	}
	if in.Policy.Kind == "" {
		in.Policy = sweep.Policy{Kind: sweep.None}
	}
	return in
}

// Validate checks everything that can be checked without I/O, before the
// first trial: the pipeline's fields, the search space (model, names,
// values, sampling, trials), the policy and the concurrency.
func (in SweepInput) Validate() error {
	if err := in.pipeline().Validate(); err != nil {
		return err
	}
	if err := in.Space.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if err := in.Policy.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if in.MaxConcurrent < 1 || in.MaxConcurrent > MaxConcurrentTrials {
		return fmt.Errorf("%w: max concurrent trials = %d, want 1..%d", ErrBadInput, in.MaxConcurrent, MaxConcurrentTrials)
	}
	return nil
}

// TrialID names trial i (0-based): trial-0001 is the first.
func TrialID(i int) string { return fmt.Sprintf("trial-%04d", i+1) }
