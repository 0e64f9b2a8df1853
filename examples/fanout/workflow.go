package fanout

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// The tags evaluate sets on the pipeline become these search attributes
// (the reference pipeline's, so the namespace needs no new ones).
func init() {
	runctx.Declare(FanoutPipeline,
		runctx.Attribute[string](TagBestModel, "BestModel"),
		runctx.Attribute[float64](TagAccuracy, "Accuracy"),
	)
}

// FanoutPipeline is the parent run: prepare, train the six models in
// parallel, evaluate, and register the best model only when it beats the
// threshold and the registered champion.
func FanoutPipeline(ctx workflow.Context, in Input) (Result, error) {
	in = in.withDefaults()
	if err := in.validate(); err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadData, nil)
	}
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: Experiment})
	if err != nil {
		return Result{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{ErrTypeBadData},
		},
	})
	var a *Activities

	// 1. Prepare: split the data once; later steps read the sets by reference.
	var prep PrepareResult
	err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "prepare", Summary: "prepare: split " + in.Data}, a.Prepare,
		PrepareInput{Data: in.Data, Seed: in.Seed, ValidationSize: in.ValidationSize}).Get(ctx, &prep)
	if err != nil {
		return Result{}, err
	}

	// 2. Fan out: one train step per model, all started before any is awaited.
	futures := make([]*runctx.StepFuture, len(ml.Names))
	for i, model := range ml.Names {
		futures[i] = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train-" + model, Summary: "train: " + model}, a.Train,
			TrainInput{Model: model, Train: prep.Train, Validation: prep.Validation, Seed: in.Seed})
	}
	candidates := make([]TrainResult, len(futures))
	var firstErr error
	for i, f := range futures {
		if err := f.Get(ctx, &candidates[i]); err != nil && firstErr == nil {
			firstErr = err // wait for the others, so each step's end is recorded
		}
	}
	if firstErr != nil {
		return Result{}, firstErr
	}

	// 3. Evaluate: pick the best and tag the pipeline with it.
	var ev EvaluateResult
	err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "evaluate", Summary: "evaluate: six models, champion of " + in.ModelName}, a.Evaluate,
		EvaluateInput{ModelName: in.ModelName, Candidates: candidates}).Get(ctx, &ev)
	if err != nil {
		return Result{}, err
	}
	best, err := ev.Step.Tag(TagBestModel)
	if err != nil {
		return Result{}, err
	}
	accuracy, err := ev.Step.FloatTag(TagAccuracy)
	if err != nil {
		return Result{}, err
	}
	res := Result{BestModel: best, Accuracy: accuracy, ModelRef: ev.ModelRef}

	// 4. Register, or say why not: the one decision, made here.
	if reason := notBetter(accuracy, in.Threshold, ev.Champion); reason != "" {
		if err := runctx.SkipStep(ctx, "register", reason); err != nil {
			return Result{}, err
		}
		res.Reason = reason
		return res, nil
	}
	var reg RegisterResult
	err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "register", Summary: "register: " + in.ModelName}, a.Register,
		RegisterInput{ModelName: in.ModelName, ModelRef: ev.ModelRef, ModelType: best, Accuracy: accuracy,
			Threshold: in.Threshold, Data: in.Data, DataHash: prep.DataHash}).Get(ctx, &reg)
	if err != nil {
		return Result{}, err
	}
	res.Registered, res.ModelVersion, res.Reason = reg.Registered, reg.Version, reg.Reason
	return res, nil
}

// notBetter returns why a model of this accuracy is not registered, or ""
// when it beats both the threshold and the champion.
func notBetter(accuracy, threshold float64, champ Champion) string {
	if accuracy <= threshold {
		return fmt.Sprintf("accuracy %.4f is not above the threshold %.4f", accuracy, threshold)
	}
	if champ.Exists && accuracy <= champ.Accuracy {
		return fmt.Sprintf("accuracy %.4f is not above champion v%d (%.4f)", accuracy, champ.Version, champ.Accuracy)
	}
	return ""
}

// withDefaults fills the zero fields of in.
func (in Input) withDefaults() Input {
	if in.Data == "" {
		in.Data = DefaultData
	}
	if in.ModelName == "" {
		in.ModelName = DefaultModelName
	}
	if in.Seed == 0 {
		in.Seed = DefaultSeed
	}
	if in.ValidationSize == 0 {
		in.ValidationSize = DefaultValidationSize
	}
	return in
}

// validate checks what can be checked without I/O; the prepare step
// parses the data reference (a bare path depends on the worker's folder).
func (in Input) validate() error {
	if err := datastore.ValidateName("model", in.ModelName); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if in.ValidationSize <= 0 || in.ValidationSize >= 1 {
		return fmt.Errorf("input: validation size %g: need 0 < size < 1", in.ValidationSize)
	}
	if in.Threshold < 0 || in.Threshold > 1 {
		return fmt.Errorf("input: threshold %g: need 0 ≤ threshold ≤ 1", in.Threshold)
	}
	return nil
}
