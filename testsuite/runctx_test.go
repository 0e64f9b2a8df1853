package testsuite

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// startWorkerWithTrain starts a worker of the real pipeline on its own task
// queue, with the training step replaced by train (which may call the real
// one), and stops it when the test ends.
func startWorkerWithTrain(t *testing.T, taskQueue string, train func(context.Context, activities.TrainInput) (activities.TrainResult, error)) {
	t.Helper()
	w := app.NewWorkerWithTrain(stack.client, taskQueue, stack.store, worker.Options{}, train)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

// TestRetriedStepRecordsOnce: the training step fails on its first attempt
// after logging and tagging its parent, and succeeds on retry; the stored
// record, the memo, the search attributes and the parent's metrics hold
// each value once.
func TestRetriedStepRecordsOnce(t *testing.T) {
	acts := app.Activities(stack.store)
	attempts := 0
	startWorkerWithTrain(t, "retry-tq", func(ctx context.Context, in activities.TrainInput) (activities.TrainResult, error) {
		attempts++
		res, err := acts.Train(ctx, in)
		if activity.GetInfo(ctx).Attempt == 1 {
			return activities.TrainResult{}, errors.New("injected failure after logging")
		}
		return res, err
	})
	run, res, err := runPipeline(t, "retry-tq", workflows.PipelineInput{Experiment: "iris", ModelName: "it-retry", Data: irisRef, Threshold: 1.01, NoReuse: true})
	require.NoError(t, err)
	assert.Equal(t, 2, attempts)

	rec, err := runctx.ReadRecord(context.Background(), stack.store, res.TrainRecord)
	require.NoError(t, err)
	assert.Equal(t, runctx.StatusCompleted, rec.Status)
	assert.EqualValues(t, 2, rec.Attempt)
	assert.Len(t, rec.Metrics["accuracy"], 1, "the retry's record replaces the failed attempt's")
	assert.Len(t, rec.ConfusionMatrices, 6)
	assert.Len(t, rec.Tables["cross-validation"]["model"], 6)

	assert.Equal(t, []float64{res.Accuracy}, res.Metrics["accuracy"], "the failed attempt sent its parent change by update; the retry's, riding in its summary with the same ID, was applied once")
	sa, memo := describe(t, run)
	assert.Equal(t, res.Accuracy, sa["Accuracy"])
	assert.Equal(t, res.BestModel, memo["properties"]["best_model"])
	assert.Equal(t, res.BestModel, memo["tags"]["best_model"])
}

// TestHistorySizeDoesNotGrowWithLoggedValues: a step that logs 100,000
// values leaves a history as small as one that logs ten.
func TestHistorySizeDoesNotGrowWithLoggedValues(t *testing.T) {
	acts := app.Activities(stack.store)
	historyBytes := map[int]int64{}
	for _, n := range []int{10, 100_000} {
		tq := "bulk-tq-" + string(rune('a'+len(historyBytes)))
		startWorkerWithTrain(t, tq, func(ctx context.Context, in activities.TrainInput) (activities.TrainResult, error) {
			r, err := runctx.FromContext(ctx)
			if err != nil {
				return activities.TrainResult{}, err
			}
			for i := range n {
				r.Log("loss", float64(i))
			}
			return acts.Train(ctx, in)
		})
		run, res, err := runPipeline(t, tq, workflows.PipelineInput{Experiment: "iris", ModelName: "it-bulk", Data: irisRef, Threshold: 1.01, NoReuse: true})
		require.NoError(t, err)
		rec, err := runctx.ReadRecord(context.Background(), stack.store, res.TrainRecord)
		require.NoError(t, err)
		require.Len(t, rec.Metrics["loss"], n, "every value is in the stored record")

		d, err := stack.client.DescribeWorkflowExecution(context.Background(), run.GetID(), run.GetRunID())
		require.NoError(t, err)
		historyBytes[n] = d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
		t.Logf("%d values logged: history %d bytes, %d events", n, historyBytes[n], d.GetWorkflowExecutionInfo().GetHistoryLength())
	}
	// The histories differ only in IDs and in how the server batched
	// workflow tasks (an extra task is a few hundred bytes), never by the
	// series: 100,000 points would be megabytes.
	assert.InDelta(t, historyBytes[10], historyBytes[100_000], 2048)
}
