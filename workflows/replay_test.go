package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/replaytest"
)

// historyFiles are the committed histories of real pipelines on the dev
// server: one that registered, one that skipped registration, one that
// failed on bad data. See README "Replay tests" for when to add one.
func historyFiles(t *testing.T) []string {
	return replaytest.Histories(t, filepath.Join("..", "testsuite", "histories", "*.json"), 3)
}

// TestReplayHistories replays every committed history against the current
// workflow code; a non-deterministic change fails it.
func TestReplayHistories(t *testing.T) {
	replaytest.Replay(t, "", historyFiles(t), func(r worker.WorkflowReplayer) { r.RegisterWorkflow(TrainingPipeline) }, false)
}

// TestReplayCatchesNonDeterminism shows the replay test can fail: copies of
// the workflow with an extra timer or an extra activity before the training
// step are reported as non-deterministic on every history.
func TestReplayCatchesNonDeterminism(t *testing.T) {
	changed := map[string]func(workflow.Context, PipelineInput) (PipelineResult, error){
		"extra timer": func(ctx workflow.Context, in PipelineInput) (PipelineResult, error) {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				return PipelineResult{}, err
			}
			return TrainingPipeline(ctx, in)
		},
		"extra activity": func(ctx workflow.Context, in PipelineInput) (PipelineResult, error) {
			ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
			if err := workflow.ExecuteActivity(ctx, "Validate", in).Get(ctx, nil); err != nil {
				return PipelineResult{}, err
			}
			return TrainingPipeline(ctx, in)
		},
	}
	for name, wf := range changed {
		replaytest.Replay(t, name, historyFiles(t), func(r worker.WorkflowReplayer) {
			r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "TrainingPipeline"})
		}, true)
	}
}
