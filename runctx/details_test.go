package runctx

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// detailsPipeline runs train twice (a step run in parts, as a sweep's
// trial is), skips register, and tags the parent.
func detailsPipeline(ctx workflow.Context) error {
	ctx, p, err := StartPipeline(ctx, PipelineOptions{Experiment: "test"})
	if err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Hour, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	for range 2 {
		var r stepResult
		if err := ExecuteStep(ctx, StepOptions{Name: "train"}, summaryStep, "train").Get(ctx, &r); err != nil {
			return err
		}
	}
	if err := SkipStep(ctx, "register", "not better than the champion"); err != nil {
		return err
	}
	return p.Apply(ctx, ParentChange{Tags: map[string]string{"best_model": "LDA", "accuracy": "0.9667"}})
}

// TestCurrentDetailsTable: the Web UI's current details are the table of
// steps, one row each however often a step changed, with its status,
// headline metrics and reason, then the parent's tags.
func TestCurrentDetailsTable(t *testing.T) {
	env := newTestEnv(t)
	train := Summary{RunID: layout.StepRunID(testWorkflowID, "train"), Name: "train", Status: StatusCompleted,
		Metrics: map[string]float64{"loss": 0.25, "accuracy": 0.966666}}
	env.OnActivity(summaryStep, mock.Anything, "train").Return(func(context.Context, string) (stepResult, error) {
		return stepResult{Step: train}, nil
	})
	env.ExecuteWorkflow(detailsPipeline)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	v, err := env.QueryWorkflow("__temporal_workflow_metadata")
	require.NoError(t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	assert.Equal(t, "| step | status | metrics |\n|---|---|---|\n"+
		"| train | Completed | accuracy 0.9667, loss 0.25 |\n"+
		"| register | Skipped | not better than the champion |\n"+
		"\n**tags**: accuracy=0.9667, best_model=LDA\n", md.GetCurrentDetails())
}
