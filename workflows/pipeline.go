package workflows

import (
	"fmt"
	"strconv"
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
		return PipelineResult{}, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrTypeBadData, nil)
	}
	info := workflow.GetInfo(ctx)
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{
		Scope:      runctx.Scope{Experiment: in.Experiment, Outputs: in.OutputsPrefix(info.WorkflowExecution.ID)},
		Attributes: Attributes,
	})
	if err != nil {
		return PipelineResult{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeBadData},
		},
	})
	tr, champ, err := trainAndLookup(ctx, p, in)
	if err != nil {
		return PipelineResult{}, err // the activity error names the step and keeps its type
	}

	accuracy, err := strconv.ParseFloat(tr.Step.Tags["accuracy"], 64)
	if err != nil {
		return PipelineResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("training step returned no numeric accuracy tag: %q", tr.Step.Tags["accuracy"]), activities.ErrTypeBadData, err)
	}
	res := PipelineResult{
		BestModel:        tr.Step.Tags["best_model"],
		Accuracy:         accuracy,
		ChampionVersion:  champ.Version,
		ChampionAccuracy: champ.Accuracy,
		ModelRef:         tr.ModelRef,
		TrainRecord:      tr.Step.RecordRef,
	}

	ok, reason := shouldRegister(accuracy, in.Threshold, champ)
	if ok {
		var a *activities.Activities
		var rr activities.RegisterResult
		p.StepStarted(ctx, activities.StepRegister)
		err = workflow.ExecuteActivity(step(ctx, activities.StepRegister, "register-model: "+in.ModelName), a.RegisterModel,
			activities.RegisterInput{
				ModelName: in.ModelName, ModelRef: tr.ModelRef, ModelType: tr.ModelType,
				Accuracy: accuracy, Threshold: in.Threshold,
				Data: in.Data, DataHash: tr.DataHash, Experiment: in.Experiment,
			}).Get(ctx, &rr)
		err = p.StepEnded(ctx, activities.StepRegister, rr.Step, err)
		if err != nil {
			return PipelineResult{}, err
		}
		res.Registered, res.ModelVersion, reason = rr.Registered, rr.Version, rr.Reason
		res.ChampionVersion, res.ChampionAccuracy = rr.Champion.Version, rr.Champion.Accuracy
	} else {
		p.StepSkipped(ctx, activities.StepRegister, reason)
	}
	res.Reason = reason

	tags := map[string]string{"model_registered": strconv.FormatBool(res.Registered)}
	if res.Registered {
		tags["model_version"] = strconv.Itoa(res.ModelVersion)
	}
	if err := p.Apply(ctx, runctx.ParentChange{Tags: tags}); err != nil {
		return PipelineResult{}, err
	}
	rec := p.Record()
	res.Metrics, res.Steps = rec.Metrics, rec.Steps
	return res, nil
}

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
func trainAndLookup(ctx workflow.Context, p *runctx.Pipeline, in PipelineInput) (activities.TrainResult, activities.Champion, error) {
	var a *activities.Activities
	var tr activities.TrainResult
	var champ activities.Champion
	trainIn := activities.TrainInput{Data: in.Data, Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize}
	lookupIn := activities.LookupInput{ModelName: in.ModelName}
	lookupSummary := "lookup-champion: " + in.ModelName

	if workflow.GetVersion(ctx, changeLookupAfterTrain, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		// Pipelines started before the change: both steps at once.
		p.StepStarted(ctx, activities.StepTrain)
		p.StepStarted(ctx, activities.StepLookup)
		trainF := workflow.ExecuteActivity(step(ctx, activities.StepTrain, "train: six classifiers on "+in.Data), a.Train, trainIn)
		lookupF := workflow.ExecuteActivity(step(ctx, activities.StepLookup, lookupSummary), a.LookupChampion, lookupIn)
		err := trainF.Get(ctx, &tr)
		err = p.StepEnded(ctx, activities.StepTrain, tr.Step, err)
		if err != nil {
			return tr, champ, err
		}
		err = lookupF.Get(ctx, &champ)
		err = p.StepEnded(ctx, activities.StepLookup, runctx.Summary{}, err)
		return tr, champ, err
	}

	p.StepStarted(ctx, activities.StepTrain)
	err := workflow.ExecuteActivity(step(ctx, activities.StepTrain, "train: six classifiers on "+in.Data), a.Train, trainIn).Get(ctx, &tr)
	err = p.StepEnded(ctx, activities.StepTrain, tr.Step, err)
	if err != nil {
		return tr, champ, err
	}
	p.StepStarted(ctx, activities.StepLookup)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
		Summary:             lookupSummary,
	})
	err = workflow.ExecuteLocalActivity(lctx, a.LookupChampion, lookupIn).Get(ctx, &champ)
	err = p.StepEnded(ctx, activities.StepLookup, runctx.Summary{}, err)
	return tr, champ, err
}

// step names an activity: its ID (which makes its run ID) and the summary
// the Web UI shows for it.
func step(ctx workflow.Context, id, summary string) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	opts.ActivityID = id
	opts.Summary = summary
	return workflow.WithActivityOptions(ctx, opts)
}
