package workflows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
)

// TestReplayScriptPipelines replays the committed histories of script
// pipelines (a pipeline file with a when that skips, and starter submit's
// one script), and shows that a changed workflow fails on them.
func TestReplayScriptPipelines(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scripts", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 2, "testdata/scripts holds a pipeline file's and a submit's history")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflow(ScriptPipeline)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))

			changed := newReplayer(t)
			changed.RegisterWorkflowWithOptions(func(ctx workflow.Context, pl pipelinefile.Pipeline) (ScriptPipelineResult, error) {
				if err := workflow.Sleep(ctx, time.Second); err != nil {
					return ScriptPipelineResult{}, err
				}
				return ScriptPipeline(ctx, pl)
			}, workflow.RegisterOptions{Name: "ScriptPipeline"})
			assert.Error(t, changed.ReplayWorkflowHistoryFromJSONFile(nil, f), "a changed workflow does not replay")
		})
	}
}
