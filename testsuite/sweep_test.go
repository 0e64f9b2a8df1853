package testsuite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/sweep"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// envExportSweepHistories names a folder to which the sweep tests write
// the histories of their sweeps, for the replay test in workflows:
//
//	SWEEP_EXPORT_HISTORIES=$PWD/workflows/testdata go test -run 'TestSweep' ./testsuite
const envExportSweepHistories = "SWEEP_EXPORT_HISTORIES"

func sweepInput(t *testing.T, model, sampling string, trials int, policy string, params ...string) workflows.SweepInput {
	t.Helper()
	sp := sweep.Space{Model: model, Sampling: sampling, Trials: trials, Seed: 11}
	for _, p := range params {
		pp, err := sweep.ParseParam(p)
		require.NoError(t, err)
		sp.Params = append(sp.Params, pp)
	}
	pol, err := sweep.ParsePolicy(policy)
	require.NoError(t, err)
	return workflows.SweepInput{Experiment: "sweeps", ModelName: "sweep-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
		Data: irisRef, Space: sp, Policy: pol, MaxConcurrent: 4}
}

func startSweep(t *testing.T, in workflows.SweepInput) client.WorkflowRun {
	t.Helper()
	run, err := stack.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                    fmt.Sprintf("sweeps-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes(in.Experiment),
	}, workflows.HyperparameterSweep, in)
	require.NoError(t, err)
	return run
}

func exportSweep(t *testing.T, run client.WorkflowRun, name string) {
	if dir := os.Getenv(envExportSweepHistories); dir != "" {
		exportHistoryTo(t, run.GetID(), run.GetRunID(), filepath.Join(dir, name))
	}
}

// TestSweepGrid: the grid (SVC, C × gamma, 9 trials) completes;
// every trial has its three fold scores and accuracy, the best is the best
// of them, the sweep is tagged with it and registers it.
func TestSweepGrid(t *testing.T) {
	in := sweepInput(t, "SVC", sweep.Grid, 0, "none", "C=0.1,1,10", "gamma=scale,0.01,0.1")
	run := startSweep(t, in)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.SweepResult
	require.NoError(t, run.Get(ctx, &res))
	require.Len(t, res.Trials, 9)
	best := res.Trials[0]
	for i, tr := range res.Trials {
		assert.Equal(t, workflows.TrialID(i), tr.TrialID)
		assert.Equal(t, workflows.TrialCompleted, tr.Status)
		assert.Len(t, tr.CVScores, 3)
		assert.NotEmpty(t, tr.ModelRef)
		if tr.Accuracy > best.Accuracy {
			best = tr
		}
	}
	assert.Equal(t, map[string]string{"C": "0.1", "gamma": "scale"}, res.Trials[0].Params)
	assert.Equal(t, map[string]string{"C": "10", "gamma": "0.1"}, res.Trials[8].Params)
	require.NotNil(t, res.Best)
	assert.Equal(t, best.TrialID, res.Best.TrialID)
	assert.True(t, res.Registered, res.Reason)
	assert.Equal(t, 1, res.ModelVersion)

	sa, memo := describe(t, run)
	assert.Equal(t, best.TrialID, sa[workflows.AttrBestModel])
	assert.InDelta(t, best.Accuracy, sa[workflows.AttrAccuracy], 1e-12)
	assert.Equal(t, true, sa[workflows.AttrModelRegistered])
	assert.Equal(t, "SVM", memo[layout.MemoTags][activities.TagBestModel])

	// The best trial's run: its fold series and its confusion matrix.
	rec, err := runctx.ReadRecord(context.Background(), stack.store, best.RecordRef)
	require.NoError(t, err)
	require.Len(t, rec.Metrics[activities.MetricCVScore], 3)
	assert.Len(t, rec.ConfusionMatrices, 1)
	exportSweep(t, run, "sweep-grid.json")
}

// TestSweepEarlyTermination: a random KNN sweep with truncation stops
// some trials fold by fold; each stopped trial is recorded with the fold
// it reached, and no trial is counted twice.
func TestSweepEarlyTermination(t *testing.T) {
	in := sweepInput(t, "KNN", sweep.Random, 12, "truncation:percentage=50,interval=1,delay=1",
		"n_neighbors=uniform(1,60)", "weights=uniform,distance")
	in.MaxConcurrent = 3
	run := startSweep(t, in)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.SweepResult
	require.NoError(t, run.Get(ctx, &res))
	require.Len(t, res.Trials, 12)
	stopped := 0
	for _, tr := range res.Trials {
		switch tr.Status {
		case workflows.TrialEarlyTerminated:
			stopped++
			assert.Equal(t, tr.Fold, len(tr.CVScores))
			assert.Less(t, tr.Fold, 4)
			assert.Contains(t, tr.Reason, "truncation at fold")
		case workflows.TrialCompleted:
			assert.Len(t, tr.CVScores, 3)
		default:
			t.Errorf("%s: %s %s", tr.TrialID, tr.Status, tr.Reason)
		}
	}
	assert.Positive(t, stopped, "truncation at 50%% stops some of 12 trials")
	exportSweep(t, run, "sweep-random-truncation.json")
}

// TestSweepBadParams: an unknown hyperparameter fails the sweep before any
// trial, listing the valid names.
func TestSweepBadParams(t *testing.T) {
	in := sweepInput(t, "SVC", sweep.Grid, 0, "none", "C=1")
	in.Space.Params = append(in.Space.Params, sweep.Param{Name: "shrinking", Kind: sweep.Choice, Values: []string{"3"}})
	run := startSweep(t, in)
	err := run.Get(context.Background(), nil)
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Contains(t, app.Message(), `no hyperparameter "shrinking"; valid: C`)
	assert.Empty(t, activityTypes(t, run))
}

// TestSweepCancel: a cancelled sweep ends Canceled within seconds, its
// running trials are asked to stop.
func TestSweepCancel(t *testing.T) {
	in := sweepInput(t, "KNN", sweep.Grid, 0, "none", "n_neighbors=1..40", "weights=uniform,distance")
	in.MaxConcurrent = 2
	run := startSweep(t, in)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		v, err := stack.client.QueryWorkflow(ctx, run.GetID(), "", workflows.QuerySweep)
		if err != nil {
			return false
		}
		var pr workflows.SweepProgress
		return v.Get(&pr) == nil && pr.Done >= 2
	}, time.Minute, 100*time.Millisecond)
	began := time.Now()
	require.NoError(t, stack.client.CancelWorkflow(ctx, run.GetID(), ""))
	err := run.Get(ctx, nil)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled)
	assert.Less(t, time.Since(began), 10*time.Second)
	d, err := stack.client.DescribeWorkflowExecution(ctx, run.GetID(), "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_CANCELED, d.GetWorkflowExecutionInfo().GetStatus())
	exportSweep(t, run, "sweep-cancelled.json")
}

// exportHistoryTo writes a workflow's history as the temporal CLI's JSON.
func exportHistoryTo(t *testing.T, workflowID, runID, file string) {
	t.Helper()
	exportHistoryFrom(t, stack.client, workflowID, runID, file)
}

// exportHistoryFrom writes the history of a workflow that c reaches to file.
func exportHistoryFrom(t *testing.T, c client.Client, workflowID, runID, file string) {
	t.Helper()
	h := &historypb.History{}
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, append(b, '\n'), 0o644))
	t.Logf("wrote the history of %s (%d events, %d bytes) to %s", workflowID, len(h.Events), len(b), file)
}
