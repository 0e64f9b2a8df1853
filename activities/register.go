package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"go.temporal.io/sdk/activity"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// LookupChampion returns the registered champion of a model name, so that
// the workflow can decide whether to register.
func (a *Activities) LookupChampion(ctx context.Context, in LookupInput) (Champion, error) {
	if err := datastore.ValidateName("model", in.ModelName); err != nil {
		return Champion{}, badData(err)
	}
	ch, ok, err := a.Registry.ChampionPointer(ctx, in.ModelName)
	if errors.Is(err, registry.ErrCorrupt) {
		// Retrying reads the same blob: fail the pipeline, say which.
		return Champion{}, badData(corrupt(in.ModelName, err))
	}
	if err != nil {
		return Champion{}, fmt.Errorf("champion of %s: %w", in.ModelName, err)
	}
	return Champion{Exists: ok, Version: ch.Version, Accuracy: ch.Accuracy}, nil
}

// corrupt says a registry blob of model name cannot be read, and what to do.
func corrupt(name string, err error) error {
	return fmt.Errorf("model registry of %s is corrupt (repair or delete the blob in container %q, then run again): %w", name, registry.Container, err)
}

func championOf(v *registry.Version) Champion {
	if v == nil {
		return Champion{}
	}
	return Champion{Exists: true, Version: v.Version, Accuracy: v.Accuracy}
}

// RegisterModel is the register step, the Go form of register_model.py: it
// registers the model file the training step wrote, linked to the pipeline
// run, if it still beats the champion when the registry checks atomically.
func (a *Activities) RegisterModel(ctx context.Context, in RegisterInput) (RegisterResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return RegisterResult{}, err
	}
	ref, err := datastore.ParseRef(in.ModelRef)
	if err != nil {
		return RegisterResult{}, badData(err)
	}
	rc, _, err := a.Data.Read(ctx, ref)
	if errors.Is(err, datastore.ErrNotFound) {
		return RegisterResult{}, badData(fmt.Errorf("model file %s: %w", in.ModelRef, err))
	}
	if err != nil {
		return RegisterResult{}, fmt.Errorf("model file %s: %w", in.ModelRef, err)
	}
	model, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return RegisterResult{}, fmt.Errorf("model file %s: %w", in.ModelRef, err)
	}

	info := activity.GetInfo(ctx)
	acc := strconv.FormatFloat(in.Accuracy, 'f', -1, 64)
	// Once the version is claimed the outcome is known: the run's record is
	// written while the registry moves the champion.
	var recorded sync.WaitGroup
	var summary runctx.Summary
	var recordErr error
	recordedEarly := false
	claimed := func(n int) {
		recordedEarly = true
		recorded.Add(1)
		go func() {
			defer recorded.Done()
			summary, recordErr = recordOutcome(ctx, run, true, n)
		}()
	}
	res, err := a.Registry.Register(ctx, registry.RegisterRequest{
		Name:        in.ModelName,
		Model:       model,
		Accuracy:    in.Accuracy,
		Threshold:   in.Threshold,
		ModelType:   in.ModelType,
		Description: "best of six classifiers, experiment " + in.Experiment,
		Framework:   "go/ml",
		Properties:  map[string]string{"accuracy": acc, "best_model": in.ModelType, "experiment": in.Experiment},
		Run: registry.RunRef{
			WorkflowID: info.WorkflowExecution.ID,
			RunID:      info.WorkflowExecution.RunID,
			StepRunID:  run.ID(),
		},
		DataRef:      in.Data,
		DataHash:     in.DataHash,
		FirstAttempt: info.Attempt == 1,
		OnClaimed:    claimed,
	})
	recorded.Wait()
	if errors.Is(err, datastore.ErrBadRef) {
		return RegisterResult{}, badData(err)
	}
	if errors.Is(err, registry.ErrCorrupt) {
		return RegisterResult{}, badData(corrupt(in.ModelName, err))
	}
	if err != nil {
		return RegisterResult{}, fmt.Errorf("register %s: %w", in.ModelName, err)
	}
	if !recordedEarly {
		summary, recordErr = recordOutcome(ctx, run, res.Registered, res.Version)
	}
	if recordErr != nil {
		return RegisterResult{}, recordErr
	}
	return RegisterResult{Step: summary, Registered: res.Registered, Version: res.Version, Reason: res.Reason, Champion: championOf(res.Champion)}, nil
}

// recordOutcome logs and tags the register step's outcome and completes
// its run (writes its record).
func recordOutcome(ctx context.Context, run *runctx.Run, registered bool, version int) (runctx.Summary, error) {
	run.Log("model_version", float64(version))
	if err := run.SetTags(map[string]string{"registered": strconv.FormatBool(registered)}); err != nil {
		return runctx.Summary{}, err
	}
	return run.Complete(ctx, nil)
}
