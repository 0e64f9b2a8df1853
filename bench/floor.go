package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/workflow"
)

// floorTaskQueue is the floor's own task queue, served by a worker
// without the run-context interceptor.
const floorTaskQueue = "floor"

// FloorPipeline has the pipeline's shape, training, then the champion
// lookup as a local activity, then registration, with steps that do
// nothing and no run context: what Temporal itself costs.
func FloorPipeline(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil); err != nil {
		return err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteLocalActivity(lctx, FloorStep).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil)
}

// FloorStep does nothing.
func FloorStep(context.Context) error { return nil }
