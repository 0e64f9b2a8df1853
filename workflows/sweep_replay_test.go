package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/sweep"
)

// sweepHistories are committed histories of real sweeps on the dev server
// (testsuite's sweep tests write them with SWEEP_EXPORT_HISTORIES): a grid
// sweep, a random sweep with early termination, and a cancelled sweep.
func sweepHistories(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "sweep-*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "workflows/testdata holds the grid, early-termination and cancelled sweeps")
	return files
}

// TestReplaySweepHistories replays the committed sweeps against the current
// workflow code.
func TestReplaySweepHistories(t *testing.T) {
	for _, f := range sweepHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := newReplayer(t)
			r.RegisterWorkflow(HyperparameterSweep)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestReplaySweepCatchesPolicyChange: a sweep that decides differently
// (a policy where the grid had none: fold-by-fold activities) does not replay the
// early-termination history.
func TestReplaySweepCatchesPolicyChange(t *testing.T) {
	changed := func(ctx workflow.Context, in SweepInput) (SweepResult, error) {
		in.Policy = sweep.Policy{Kind: sweep.Bandit, SlackFactor: 0.0001, Interval: 1}
		return HyperparameterSweep(ctx, in)
	}
	r := newReplayer(t)
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "HyperparameterSweep"})
	err := r.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", "sweep-grid.json"))
	require.Error(t, err)
}
