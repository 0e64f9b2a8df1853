package testsuite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// runPipeline starts TrainingPipeline on the real stack and waits for it.
func runPipeline(t *testing.T, taskQueue string, in workflows.PipelineInput) (client.WorkflowRun, workflows.PipelineResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := stack.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    fmt.Sprintf("%s-%s-%d", in.Experiment, strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()),
		TaskQueue:             taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword("Experiment").ValueSet(in.Experiment)),
	}, workflows.TrainingPipeline, in)
	require.NoError(t, err)
	var res workflows.PipelineResult
	err = run.Get(ctx, &res)
	return run, res, err
}

// describe returns the finished workflow's search attributes and memo.
func describe(t *testing.T, run client.WorkflowRun) (map[string]any, map[string]map[string]string) {
	t.Helper()
	d, err := stack.client.DescribeWorkflowExecution(context.Background(), run.GetID(), run.GetRunID())
	require.NoError(t, err)
	sa := map[string]any{}
	for k, p := range d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		var v any
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &v))
		sa[k] = v
	}
	memo := map[string]map[string]string{}
	for k, p := range d.GetWorkflowExecutionInfo().GetMemo().GetFields() {
		var v map[string]string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &v))
		memo[k] = v
	}
	return sa, memo
}

// activityTypes lists the activities in a workflow's history: those
// scheduled on the task queue, and local ones (recorded as markers) with a
// "local:" prefix.
func activityTypes(t *testing.T, run client.WorkflowRun) []string {
	t.Helper()
	var types []string
	it := stack.client.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			types = append(types, a.GetActivityType().GetName())
		}
		if m := e.GetMarkerRecordedEventAttributes(); m.GetMarkerName() == "LocalActivity" {
			var details struct{ ActivityType string }
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["data"], &details))
			types = append(types, "local:"+details.ActivityType)
		}
	}
	return types
}

func TestPipelineRegistersOnlyWhenBetter(t *testing.T) {
	model := "it-better"
	run, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: model, Data: sampleFormRef})
	require.NoError(t, err)
	assert.Contains(t, []string{"LR", "LDA", "KNN", "CART", "NB", "SVM"}, res.BestModel)
	assert.Greater(t, res.Accuracy, 0.8, "iris is easy for the six classifiers")
	require.True(t, res.Registered, "the first pipeline of a model name registers: %s", res.Reason)
	assert.Equal(t, 1, res.ModelVersion)

	sa, memo := describe(t, run)
	assert.Equal(t, res.Accuracy, sa["Accuracy"])
	assert.Equal(t, res.BestModel, sa["BestModel"])
	assert.Equal(t, "iris", sa["Experiment"])
	assert.Equal(t, true, sa["ModelRegistered"])
	assert.Equal(t, res.BestModel, memo["properties"]["best_model"])
	assert.NotEmpty(t, memo["properties"]["accuracy"])

	versions, err := stack.registry.Versions(context.Background(), model)
	require.NoError(t, err)
	require.Len(t, versions, 1, "registered exactly when the result says so")
	assert.Equal(t, run.GetRunID(), versions[0].Run.RunID)
	assert.Equal(t, res.Accuracy, versions[0].Accuracy)

	// The same data again cannot beat the champion it made.
	run2, res2, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: model, Data: irisRef})
	require.NoError(t, err)
	assert.False(t, res2.Registered)
	assert.Zero(t, res2.ModelVersion)
	assert.NotContains(t, activityTypes(t, run2), "RegisterModel")
	versions, err = stack.registry.Versions(context.Background(), model)
	require.NoError(t, err)
	assert.Len(t, versions, 1)
}

func TestPipelineThresholdAboveOneSkipsRegistration(t *testing.T) {
	run, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-threshold", Data: irisRef, Threshold: 1.01})
	require.NoError(t, err)
	assert.False(t, res.Registered)
	// The reuse lookup before the training step, the step, the champion lookup; no registration.
	assert.Equal(t, []string{"local:" + layout.ReuseLookupActivity, "Train", "local:LookupChampion"}, activityTypes(t, run), "no register-model step in the history")
	sa, _ := describe(t, run)
	assert.Equal(t, false, sa["ModelRegistered"])
	v, err := stack.registry.Champion(context.Background(), "it-threshold")
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestPipelineBadDataFailsFast(t *testing.T) {
	require.NoError(t, put("azblob://datasets/bad/short-row.csv", "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,Iris-setosa\n"))
	run, _, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-bad", Data: "azblob://datasets/bad/short-row.csv"})
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), err.Error())
	assert.Equal(t, activities.ErrTypeBadData, appErr.Type())
	assert.Contains(t, err.Error(), "short-row.csv:2")
	assert.NotContains(t, activityTypes(t, run), "RegisterModel")
	v, err := stack.registry.Champion(context.Background(), "it-bad")
	require.NoError(t, err)
	assert.Nil(t, v, "nothing registered")
}
