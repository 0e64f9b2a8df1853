package testsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// reuseData uploads the project's iris CSV to a reference of the test's
// own, so that its training step has reuse entries of its own, and
// returns the reference.
func reuseData(t *testing.T) string {
	t.Helper()
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	require.NoError(t, err)
	ref := fmt.Sprintf("azblob://datasets/reuse/%s-%d.csv", strings.ToLower(t.Name()), time.Now().UnixNano())
	require.NoError(t, put(ref, string(b)))
	return ref
}

// trainStep returns the training step of a finished pipeline.
func trainStep(t *testing.T, res workflows.PipelineResult) runctx.StepInfo {
	t.Helper()
	for _, s := range res.Steps {
		if s.Name == activities.StepTrain {
			return s
		}
	}
	t.Fatalf("no %s step in %+v", activities.StepTrain, res.Steps)
	return runctx.StepInfo{}
}

func readRecord(t *testing.T, ref string) *runctx.Record {
	t.Helper()
	rec, err := runctx.ReadRecord(context.Background(), stack.store, ref)
	require.NoError(t, err)
	return rec
}

// reuseEntries lists the training step's reuse entries whose data is ref.
func reuseEntries(t *testing.T, data string) []string {
	t.Helper()
	prefix, err := datastore.ParsePrefix(layout.ReuseEntryRef(settings.DefaultRuns, activities.StepTrain, "x"))
	require.NoError(t, err)
	infos, err := stack.store.Blob.List(context.Background(), prefix.Container, strings.TrimSuffix(prefix.Path, "x.json"))
	require.NoError(t, err)
	var out []string
	for _, info := range infos {
		ref := "azblob://" + prefix.Container + "/" + info.Name
		if strings.Contains(readText(t, ref), `"ref":"`+data+`"`) {
			out = append(out, ref)
		}
	}
	return out
}

func mustRef(t *testing.T, s string) datastore.Ref {
	t.Helper()
	ref, err := datastore.ParseRef(s)
	require.NoError(t, err)
	return ref
}

func readText(t *testing.T, ref string) string {
	t.Helper()
	rc, _, err := stack.store.Read(context.Background(), mustRef(t, ref))
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// TestStepReuse: a resubmitted pipeline's training step is Reused from the
// first run's, with its metrics and the same decision; changed data, a
// per-run opt-out, deleted outputs and a corrupt entry each make it
// compute again.
func TestStepReuse(t *testing.T) {
	data := reuseData(t)
	in := workflows.PipelineInput{Experiment: "itreuse", ModelName: "it-reuse", Data: data, Threshold: 1.01}

	firstRun, first, err := runPipeline(t, workflows.TaskQueue, in)
	require.NoError(t, err)
	computed := trainStep(t, first)
	require.Equal(t, runctx.StatusCompleted, computed.Status)

	secondRun, second, err := runPipeline(t, workflows.TaskQueue, in)
	require.NoError(t, err)
	reused := trainStep(t, second)
	exportPipeline(t, firstRun, "skipped-reuse-lookup-miss.json")
	exportPipeline(t, secondRun, "skipped-reused-summary.json")

	// The Web UI's line for each step: the activity's summary.
	from := firstRun.GetID() + "/" + activities.StepTrain
	assert.Equal(t, "train: six classifiers on "+data, activitySummary(t, firstRun, activities.StepTrain), "a step that ran keeps its summary")
	assert.Equal(t, "train: reused from "+from, activitySummary(t, secondRun, activities.StepTrain))
	assert.Equal(t, from, layout.ReusedFromName(reused.Name, reused.ReusedFrom))
	assert.Equal(t, runctx.StatusReused, reused.Status)
	assert.Equal(t, computed.RunID, reused.ReusedFrom)
	assert.NotEqual(t, computed.RunID, reused.RunID, "a reused step is a child run of the new pipeline")
	assert.Equal(t, first.Accuracy, second.Accuracy)
	assert.Equal(t, first.BestModel, second.BestModel)
	assert.Equal(t, first.ModelRef, second.ModelRef, "the outputs stay the first run's")
	assert.Equal(t, []float64{first.Accuracy}, second.Metrics["accuracy"], "the parent got the same changes")
	rec := readRecord(t, reused.RecordRef)
	assert.Equal(t, runctx.StatusReused, rec.Status)
	assert.Equal(t, computed.RunID, rec.ReusedFrom)
	assert.Equal(t, readRecord(t, computed.RecordRef).Metrics["LDA_accuracy"][0].Value, rec.Metrics["LDA_accuracy"][0].Value)
	assert.Len(t, reuseEntries(t, data), 1)

	t.Run("starter", func(t *testing.T) {
		stdout, stderr, code := starter(t, "show", secondRun.GetID(), "-o", "json")
		require.Equal(t, 0, code, stderr)
		var shown struct {
			Steps []struct {
				Name, Status string
				ReusedFrom   string `json:"reused_from"`
			} `json:"steps"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &shown))
		require.NotEmpty(t, shown.Steps)
		assert.Equal(t, activities.StepTrain, shown.Steps[0].Name)
		assert.Equal(t, runctx.StatusReused, shown.Steps[0].Status)
		assert.Equal(t, computed.RunID, shown.Steps[0].ReusedFrom)
		stdout, stderr, code = starter(t, "show", secondRun.GetID())
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "step train ("+reused.RunID+")  Reused: reused from "+from+"\n")

		stdout, stderr, code = starter(t, "reuse", "ls", activities.StepTrain, "-o", "json")
		require.Equal(t, 0, code, stderr)
		var entries []struct {
			Key   string `json:"key"`
			RunID string `json:"run_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &entries))
		var key string
		for _, e := range entries {
			if e.RunID == computed.RunID {
				key = e.Key
			}
		}
		require.NotEmpty(t, key, "starter reuse ls lists the entry the first run made")
		_, stderr, code = starter(t, "reuse", "rm", activities.StepTrain, key)
		require.Equal(t, 0, code, stderr)
		_, res, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		computed = trainStep(t, res)
		assert.Equal(t, runctx.StatusCompleted, computed.Status, "with its entry removed the step computes again")
	})

	t.Run("opted out", func(t *testing.T) {
		off := in
		off.NoReuse = true
		_, res, err := runPipeline(t, workflows.TaskQueue, off)
		require.NoError(t, err)
		assert.Equal(t, runctx.StatusCompleted, trainStep(t, res).Status)
	})

	t.Run("data changed", func(t *testing.T) {
		// One row differs: the petal width of the first data row.
		lines := strings.Split(readText(t, data), "\n")
		lines[1] = strings.Replace(lines[1], "0.2,", "0.3,", 1)
		require.NoError(t, put(data, strings.Join(lines, "\n")))
		_, res, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		st := trainStep(t, res)
		assert.Equal(t, runctx.StatusCompleted, st.Status)
		_, again, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		assert.Equal(t, st.RunID, trainStep(t, again).ReusedFrom, "the entry was replaced by the run on the new data")
		assert.Len(t, reuseEntries(t, data), 1)
	})

	t.Run("outputs deleted", func(t *testing.T) {
		_, res, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		model := mustRef(t, res.ModelRef)
		require.NoError(t, stack.store.Blob.Delete(context.Background(), model.Container, model.Path))
		_, again, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		st := trainStep(t, again)
		assert.Equal(t, runctx.StatusCompleted, st.Status, "an entry whose outputs are gone is a miss")
		_, third, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err)
		assert.Equal(t, st.RunID, trainStep(t, third).ReusedFrom, "and is replaced")
	})

	t.Run("corrupt entry", func(t *testing.T) {
		entries := reuseEntries(t, data)
		require.Len(t, entries, 1)
		require.NoError(t, put(entries[0], `{"key": truncated`))
		_, res, err := runPipeline(t, workflows.TaskQueue, in)
		require.NoError(t, err, "a corrupt entry never fails the pipeline")
		assert.Equal(t, runctx.StatusCompleted, trainStep(t, res).Status)
	})
}

// TestStepReuseConcurrent: two pipelines start the same step on the same
// new data at once; both complete with the same figures and exactly one
// reuse entry results.
func TestStepReuseConcurrent(t *testing.T) {
	data := reuseData(t)
	in := workflows.PipelineInput{Experiment: "itreuse", ModelName: "it-reuse-concurrent", Data: data, Threshold: 1.01}
	var wg sync.WaitGroup
	results := make([]workflows.PipelineResult, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i], errs[i] = runPipeline(t, workflows.TaskQueue, in)
		}()
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
	}
	assert.Equal(t, results[0].Accuracy, results[1].Accuracy)
	assert.Len(t, reuseEntries(t, data), 1)
}

// TestFailedStepLeavesNoReuseEntry: a step that fails on bad data leaves
// no entry, so the next run computes (and fails) again.
func TestFailedStepLeavesNoReuseEntry(t *testing.T) {
	data := fmt.Sprintf("azblob://datasets/reuse/bad-%d.csv", time.Now().UnixNano())
	require.NoError(t, put(data, "sepal-length,sepal-width,petal-length,petal-width,class\n5.1,3.5,1.4\n"))
	in := workflows.PipelineInput{Experiment: "itreuse", ModelName: "it-reuse-bad", Data: data}
	for range 2 {
		_, _, err := runPipeline(t, workflows.TaskQueue, in)
		require.Error(t, err)
		assert.ErrorContains(t, err, "expected 5 fields")
	}
	assert.Empty(t, reuseEntries(t, data))
}

// envExportPipelineHistories names a folder to which the reuse test
// writes the histories of its first two pipelines, for the replay test in
// workflows:
//
//	PIPELINE_EXPORT_HISTORIES=$PWD/testsuite/histories go test -run 'TestStepReuse$' ./testsuite
const envExportPipelineHistories = "PIPELINE_EXPORT_HISTORIES"

func exportPipeline(t *testing.T, run client.WorkflowRun, name string) {
	if dir := os.Getenv(envExportPipelineHistories); dir != "" {
		exportHistoryTo(t, run.GetID(), run.GetRunID(), filepath.Join(dir, name))
	}
}

// activitySummary returns the summary the Web UI shows for a step of a
// pipeline: the user metadata of its ActivityTaskScheduled event.
func activitySummary(t *testing.T, run client.WorkflowRun, step string) string {
	t.Helper()
	it := stack.client.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityId() == step {
			var s string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(e.GetUserMetadata().GetSummary(), &s))
			return s
		}
	}
	t.Fatalf("%s scheduled no activity %s", run.GetID(), step)
	return ""
}
