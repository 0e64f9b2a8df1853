package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
	"github.com/temporal-ml/runctx-pipeline/internal/replaytest"
)

// TestReplayScriptPipelines replays the committed histories of script
// pipelines (pipeline files: completed with a skipped branch, reused,
// failed, the example's registered and skipped; starter submit's one
// script), and shows that a changed workflow fails on them.
func TestReplayScriptPipelines(t *testing.T) {
	files := replaytest.Histories(t, filepath.Join("testdata", "scripts", "*.json"), 6)
	replaytest.Replay(t, "", files, func(r worker.WorkflowReplayer) { r.RegisterWorkflow(ScriptPipeline) }, false)
	replaytest.Replay(t, "extra timer", files, func(r worker.WorkflowReplayer) {
		r.RegisterWorkflowWithOptions(func(ctx workflow.Context, pl pipelinefile.Pipeline) (ScriptPipelineResult, error) {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				return ScriptPipelineResult{}, err
			}
			return ScriptPipeline(ctx, pl)
		}, workflow.RegisterOptions{Name: "ScriptPipeline"})
	}, true)
}
