package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// historyFiles are the committed histories of real pipelines on the dev
// server: one that registered, one that skipped registration, one that
// failed on bad data. See README "Replay tests" for when to add one.
func historyFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "testsuite", "histories", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "testsuite/histories holds the registered, skipped and bad-data histories")
	return files
}

// newReplayer returns a replayer with the run-context plugin, as a user
// builds one.
func newReplayer(t *testing.T) worker.WorkflowReplayer {
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{})
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{plugin}})
	require.NoError(t, err)
	return r
}

// TestReplayHistories replays every committed history against the current
// workflow code; a non-deterministic change fails it.
func TestReplayHistories(t *testing.T) {
	for _, f := range historyFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflow(TrainingPipeline)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
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
		for _, f := range historyFiles(t) {
			t.Run(name+"/"+filepath.Base(f), func(t *testing.T) {
				r := newReplayer(t)
				r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "TrainingPipeline"})
				err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
				require.Error(t, err)
				// TMPRL1100 is the SDK's code for a non-determinism error.
				require.Contains(t, err.Error(), "TMPRL1100")
			})
		}
	}
}
