package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"
)

// FloorPipeline has the pipeline's shape, training and champion lookup at
// once, then registration, with steps that do nothing and no run context:
// what Temporal itself costs.
func FloorPipeline(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	train := workflow.ExecuteActivity(ctx, FloorStep)
	lookup := workflow.ExecuteActivity(ctx, FloorStep)
	if err := train.Get(ctx, nil); err != nil {
		return err
	}
	if err := lookup.Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil)
}

// FloorStep does nothing.
func FloorStep(context.Context) error { return nil }
