package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/workflows"
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

// FloorTagged is the floor with the pipeline's writes to its own
// visibility record: the GetVersion marker (the SDK upserts the
// TemporalChangeVersion search attribute with it), and after each step
// the search attributes and memo that the run context sets from the
// pipeline's tags. Against the floor it is what those writes cost
// Temporal; against the pipeline, what the rest costs.
func FloorTagged(ctx workflow.Context) error {
	workflow.GetVersion(ctx, "floor-tagged", workflow.DefaultVersion, 1)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil); err != nil {
		return err
	}
	tags := map[string]string{"best_model": "LDA", "accuracy": "0.9666666666666667"}
	if err := tag(ctx, tags, temporal.NewSearchAttributeKeyKeyword(workflows.AttrBestModel).ValueSet("LDA"),
		temporal.NewSearchAttributeKeyFloat64(workflows.AttrAccuracy).ValueSet(0.9666666666666667)); err != nil {
		return err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteLocalActivity(lctx, FloorStep).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil); err != nil {
		return err
	}
	tags["model_registered"], tags["model_version"] = "true", "1"
	return tag(ctx, tags, temporal.NewSearchAttributeKeyBool(workflows.AttrModelRegistered).ValueSet(true),
		temporal.NewSearchAttributeKeyInt64(workflows.AttrModelVersion).ValueSet(1))
}

// tag upserts search attributes and the memo of tags, as the run context
// does for a parent change.
func tag(ctx workflow.Context, tags map[string]string, updates ...temporal.SearchAttributeUpdate) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return err
	}
	return workflow.UpsertMemo(ctx, map[string]any{layout.MemoTags: tags, layout.MemoProperties: tags})
}
