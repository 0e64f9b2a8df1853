package scripts_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/examples/scripts"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// TestReplay replays the committed histories of IrisScripts (one that
// registered, one that skipped the register step) with the plugin, as a
// user's replay test does.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			plugin, err := runctx.NewPlugin(runctx.PluginOptions{})
			require.NoError(t, err)
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{plugin}})
			require.NoError(t, err)
			r.RegisterWorkflow(scripts.IrisScripts)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
