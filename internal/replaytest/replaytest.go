// Package replaytest replays committed histories in the project's replay
// tests: the replayer a user builds (the run-context plugin in its
// options), one subtest per history. examples/fanout keeps its own copy on
// purpose: it shows what a user writes, against the public API alone.
package replaytest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Histories returns the history files pattern matches (a filepath.Glob
// pattern); it fails t when there are fewer than atLeast.
func Histories(t *testing.T, pattern string, atLeast int) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), atLeast, "%s matches at least %d histories", pattern, atLeast)
	return files
}

// NewReplayer returns a replayer with the run-context plugin, as a user
// builds one.
func NewReplayer(t *testing.T) worker.WorkflowReplayer {
	t.Helper()
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{})
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{plugin}})
	require.NoError(t, err)
	return r
}

// Replay replays each history against the workflow register registers on
// a fresh replayer, in a subtest named for the file (prefixed by name, if
// any). With wantNonDeterminism it requires each replay to fail with the
// SDK's non-determinism error (TMPRL1100), else to succeed.
func Replay(t *testing.T, name string, files []string, register func(worker.WorkflowReplayer), wantNonDeterminism bool) {
	t.Helper()
	for _, f := range files {
		sub := filepath.Base(f)
		if name != "" {
			sub = name + "/" + sub
		}
		t.Run(sub, func(t *testing.T) {
			r := NewReplayer(t)
			register(r)
			err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
			if !wantNonDeterminism {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), "TMPRL1100", "the SDK's code for a non-determinism error")
		})
	}
}
