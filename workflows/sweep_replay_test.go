package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/replaytest"
	"github.com/temporal-ml/runctx-pipeline/sweep"
)

// sweepHistories are committed histories of real sweeps on the dev server
// (testsuite's sweep tests write them with SWEEP_EXPORT_HISTORIES): a grid
// sweep, a random sweep with early termination, and a cancelled sweep;
// each also as recorded after the prepare and summary steps became eager
// (*-eager-prepare.json: the same commands, the steps started at once).
func sweepHistories(t *testing.T) []string {
	return replaytest.Histories(t, filepath.Join("testdata", "sweep-*.json"), 3)
}

// TestReplaySweepHistories replays the committed sweeps against the current
// workflow code.
func TestReplaySweepHistories(t *testing.T) {
	replaytest.Replay(t, "", sweepHistories(t), func(r worker.WorkflowReplayer) { r.RegisterWorkflow(HyperparameterSweep) }, false)
}

// TestReplaySweepCatchesPolicyChange: a sweep that decides differently
// (a policy where the grid had none: fold-by-fold activities) does not replay the
// early-termination history.
func TestReplaySweepCatchesPolicyChange(t *testing.T) {
	changed := func(ctx workflow.Context, in SweepInput) (SweepResult, error) {
		in.Policy = sweep.Policy{Kind: sweep.Bandit, SlackFactor: 0.0001, Interval: 1}
		return HyperparameterSweep(ctx, in)
	}
	r := replaytest.NewReplayer(t)
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: "HyperparameterSweep"})
	err := r.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", "sweep-grid.json"))
	require.Error(t, err)
}
