package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// TrainingPipeline is the parent run: it trains the six classifiers, reads
// the accuracy tag the training step returns, and registers the best model
// only when it beats the threshold and the registered champion.
func TrainingPipeline(ctx workflow.Context, in PipelineInput) (PipelineResult, error) {
	in = in.WithDefaults()
	if err := in.Validate(); err != nil {
		return PipelineResult{}, badData(err)
	}
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: in.Experiment, Outputs: in.Outputs, NoReuse: in.NoReuse})
	if err != nil {
		return PipelineResult{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, stepOptions)
	tr, champ, err := trainAndLookup(ctx, in)
	if err != nil {
		return PipelineResult{}, err // the activity error names the step and keeps its type
	}
	accuracy, err := tr.Step.FloatTag(activities.TagAccuracy)
	if err != nil {
		return PipelineResult{}, badData(err)
	}
	res := PipelineResult{
		BestModel: tr.Step.Tags[activities.TagBestModel], Accuracy: accuracy,
		ChampionVersion: champ.Version, ChampionAccuracy: champ.Accuracy,
		ModelRef: tr.ModelRef, TrainRecord: tr.Step.RecordRef,
	}

	reg, err := registerOrSkip(ctx, p, champ, activities.RegisterInput{
		ModelName: in.ModelName, ModelRef: tr.ModelRef, ModelType: tr.ModelType,
		Accuracy: accuracy, Threshold: in.Threshold,
		Data: in.Data, DataHash: tr.DataHash, Experiment: in.Experiment,
	})
	if err != nil {
		return PipelineResult{}, err
	}
	res.Registered, res.ModelVersion, res.Reason = reg.Registered, reg.Version, reg.Reason
	res.ChampionVersion, res.ChampionAccuracy = reg.Champion.Version, reg.Champion.Accuracy
	rec := p.Record()
	res.Metrics, res.Steps = rec.Metrics, rec.Steps
	return res, nil
}

// StepHeartbeatTimeout is the heartbeat timeout of the pipeline's steps
// (training, registration); activity options are not part of replay, so
// it may change without workflow.GetVersion.
const StepHeartbeatTimeout = 20 * time.Second

// lookupTimeout bounds the champion lookup, a local activity, with its
// retries: a registry that stays unreachable fails the pipeline rather
// than retrying it forever. A corrupt champion.json is bad data and is
// not retried at all.
const lookupTimeout = 5 * time.Minute

// Versions of the workflow, for workflow.GetVersion.
const (
	// changeLookupAfterTrain looks up the champion in a local activity
	// once training is done, instead of in an activity beside training: one
	// workflow task and one stored record fewer per pipeline, and the
	// training step's parent update no longer waits behind the lookup's
	// workflow task.
	changeLookupAfterTrain = "lookup-champion-local-after-train"
)

// trainAndLookup runs the training step and looks up the champion.
func trainAndLookup(ctx workflow.Context, in PipelineInput) (activities.TrainResult, activities.Champion, error) {
	var a *activities.Activities
	var tr activities.TrainResult
	var champ activities.Champion
	train := runctx.StepOptions{Name: activities.StepTrain, Summary: "train: six classifiers on " + in.Data,
		Reuse: true, Version: activities.TrainVersion}
	trainIn := activities.TrainInput{Data: in.Data, Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize, NoPictures: in.NoPictures}
	lookup := runctx.StepOptions{Name: activities.StepLookup, Summary: "lookup-champion: " + in.ModelName}
	lookupIn := activities.LookupInput{ModelName: in.ModelName}

	if workflow.GetVersion(ctx, changeLookupAfterTrain, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		// Pipelines started before the change: both steps at once.
		trainF := runctx.ExecuteStep(ctx, train, a.Train, trainIn)
		lookupF := runctx.ExecuteStep(ctx, lookup, a.LookupChampion, lookupIn)
		if err := trainF.Get(ctx, &tr); err != nil {
			return tr, champ, err
		}
		return tr, champ, lookupF.Get(ctx, &champ)
	}

	if err := runctx.ExecuteStep(ctx, train, a.Train, trainIn).Get(ctx, &tr); err != nil {
		return tr, champ, err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: lookupTimeout,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeBadData}},
	})
	err := runctx.ExecuteLocalStep(lctx, lookup, a.LookupChampion, lookupIn).Get(ctx, &champ)
	return tr, champ, err
}

// badData is a non-retryable error of bad input: the pipeline fails at once.
func badData(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeBadData, err)
}
