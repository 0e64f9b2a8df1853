package fanout

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
// server, one that registered and one that skipped registration, written
// by TestEndToEnd with FANOUT_EXPORT_HISTORIES set. Add one whenever the
// workflow changes, and keep the old ones: they are the pipelines still
// running when a new worker starts.
func historyFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 2, "testdata/histories holds the registered and skipped histories")
	return files
}

// newReplayer returns a replayer with the run-context plugin, as a user
// builds one. This file is the example's replay test as a user writes it,
// against the public API alone; the project's own replay tests share
// internal/replaytest instead.
func newReplayer(t *testing.T) worker.WorkflowReplayer {
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{})
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{plugin}})
	require.NoError(t, err)
	return r
}

// TestReplay replays every committed history against the current workflow
// code; a non-deterministic change fails it.
func TestReplay(t *testing.T) {
	for _, f := range historyFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflow(FanoutPipeline)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestReplayCatchesNonDeterminism shows that TestReplay can fail: a copy of
// the workflow that sleeps before its first step is reported as
// non-deterministic on every history.
func TestReplayCatchesNonDeterminism(t *testing.T) {
	changed := func(ctx workflow.Context, in Input) (Result, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return Result{}, err
		}
		return FanoutPipeline(ctx, in)
	}
	for _, f := range historyFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "FanoutPipeline"})
			err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
			require.Error(t, err)
			// TMPRL1100 is the SDK's code for a non-determinism error.
			require.Contains(t, err.Error(), "TMPRL1100")
		})
	}
}
