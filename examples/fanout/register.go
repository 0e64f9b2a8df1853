package fanout

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/activity"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Register is the register step: it registers the best model's file,
// linked to this pipeline run, if the registry finds, atomically, that it
// still beats the threshold and the champion.
func (a *Activities) Register(ctx context.Context, in RegisterInput) (RegisterResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return RegisterResult{}, err
	}
	model, err := a.readRef(ctx, "model file", in.ModelRef)
	if err != nil {
		return RegisterResult{}, err
	}
	info := activity.GetInfo(ctx)
	acc := strconv.FormatFloat(in.Accuracy, 'f', -1, 64)
	res, err := a.Registry.Register(ctx, registry.RegisterRequest{
		Name:        in.ModelName,
		Model:       model,
		Accuracy:    in.Accuracy,
		Threshold:   in.Threshold,
		ModelType:   in.ModelType,
		Description: "best of six classifiers trained in parallel, experiment " + Experiment,
		Framework:   "go/ml",
		Properties:  map[string]string{TagBestModel: in.ModelType, TagAccuracy: acc},
		Run: registry.RunRef{
			WorkflowID: info.WorkflowExecution.ID,
			RunID:      info.WorkflowExecution.RunID,
			StepRunID:  run.ID(),
		},
		DataRef:      in.Data,
		DataHash:     in.DataHash,
		FirstAttempt: info.Attempt == 1,
	})
	if errors.Is(err, datastore.ErrBadRef) {
		return RegisterResult{}, badData(err)
	}
	if err != nil {
		return RegisterResult{}, fmt.Errorf("register %s: %w", in.ModelName, err)
	}
	run.Log("model_version", float64(res.Version))
	if err := run.Tag("registered", strconv.FormatBool(res.Registered)); err != nil {
		return RegisterResult{}, err
	}
	s, err := run.Complete(ctx, nil)
	if err != nil {
		return RegisterResult{}, err
	}
	return RegisterResult{Step: s, Registered: res.Registered, Version: res.Version, Reason: res.Reason}, nil
}
