package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// envExportHistories names a folder to which TestEndToEnd writes the
// histories of its two pipelines, registered.json and skipped.json, for
// the replay test:
//
//	FANOUT_EXPORT_HISTORIES=$PWD/testdata/histories go test -run TestEndToEnd .
const envExportHistories = "FANOUT_EXPORT_HISTORIES"

// output is what the starter prints with --json.
type output struct {
	WorkflowID   string  `json:"workflow_id"`
	Status       string  `json:"status"`
	BestModel    string  `json:"best_model"`
	Accuracy     float64 `json:"accuracy"`
	Registered   bool    `json:"registered"`
	ModelVersion int     `json:"model_version"`
	Reason       string  `json:"reason"`
	Error        string  `json:"error"`
}

// TestEndToEnd runs the starter twice against two worker processes on the
// dev server and Azurite: the first pipeline of a fresh model name
// registers, the second (same data, same seed) is not better than the
// champion it made and skips registration.
func TestEndToEnd(t *testing.T) {
	startStack(t)
	const model = "fanout-e2e"
	var identities []string

	first := runStarter(t, "--model-name", model, "--threshold", "0")
	assert.Equal(t, "Completed", first.Status, first.Error)
	checkBest(t, first)
	assert.True(t, first.Registered, "a fresh model name registers: %s", first.Reason)
	assert.Equal(t, 1, first.ModelVersion)
	identities = append(identities, checkOverlap(t, first.WorkflowID)...)

	second := runStarter(t, "--model-name", model, "--threshold", "0")
	assert.Equal(t, "Completed", second.Status, second.Error)
	checkBest(t, second)
	assert.False(t, second.Registered)
	assert.Zero(t, second.ModelVersion)
	assert.Contains(t, second.Reason, "not above champion v1")
	assert.NotContains(t, activityTypes(t, second.WorkflowID), "Register", "no register step in the history")
	identities = append(identities, checkOverlap(t, second.WorkflowID)...)

	slices.Sort(identities)
	assert.Len(t, slices.Compact(identities), 2, "both worker processes took train steps")

	if dir := os.Getenv(envExportHistories); dir != "" {
		exportHistory(t, first.WorkflowID, filepath.Join(dir, "registered.json"))
		exportHistory(t, second.WorkflowID, filepath.Join(dir, "skipped.json"))
	}
}

// TestEndToEndBadData: a CSV with a short row fails the pipeline at once,
// naming the file and line, and the starter exits 1.
func TestEndToEndBadData(t *testing.T) {
	startStack(t)
	ref := "azblob://datasets/bad/short-row.csv"
	put(t, ref, "sepal-length,sepal-width,petal-length,petal-width,class\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,setosa\n")
	out, code := starter(t, "--data", ref, "--model-name", "fanout-bad")
	assert.Equal(t, 1, code)
	assert.Equal(t, "Failed", out.Status)
	assert.Contains(t, out.Error, "short-row.csv:3")
	assert.Equal(t, []string{"Prepare"}, activityTypes(t, out.WorkflowID))
}

// TestStarterSummary: without --json the starter prints a short summary;
// a threshold of 1 is never beaten, so nothing is registered.
func TestStarterSummary(t *testing.T) {
	startStack(t)
	cmd := exec.Command(stack.starter, "--model-name", "fanout-summary", "--threshold", "1")
	cmd.Env = stack.env
	b, err := cmd.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 4, "%s", b)
	assert.Regexp(t, `^started fanout-\S+ \(run \S+\)$`, lines[0])
	assert.Regexp(t, `^fanout-\S+: Completed$`, lines[1])
	assert.Regexp(t, `^best model (LR|LDA|KNN|CART|NB|SVM), accuracy 0\.\d{4}$`, lines[2])
	assert.Regexp(t, `^not registered: accuracy 0\.\d{4} is not above the threshold 1\.0000$`, lines[3])
}

func TestStarterUsage(t *testing.T) {
	startStack(t)
	for _, args := range [][]string{{"--threshold", "2"}, {"--nope"}, {"extra"}} {
		cmd := exec.Command(stack.starter, args...)
		cmd.Env = stack.env
		err := cmd.Run()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "%v: %v", args, err)
		assert.Equal(t, 2, exit.ExitCode(), "%v", args)
	}
}

// runStarter runs the starter with --json and the given flags and
// requires it to exit 0.
func runStarter(t *testing.T, args ...string) output {
	t.Helper()
	out, code := starter(t, args...)
	require.Equal(t, 0, code, "starter: %+v", out)
	return out
}

func starter(t *testing.T, args ...string) (output, int) {
	t.Helper()
	began := time.Now()
	cmd := exec.Command(stack.starter, append(args, "--json")...)
	cmd.Env = stack.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	var out output
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "stdout %q, stderr %q", stdout.String(), stderr.String())
	t.Logf("starter %s: %s in %s", strings.Join(args, " "), out.Status, time.Since(began).Round(time.Millisecond))
	return out, cmd.ProcessState.ExitCode()
}

// checkBest checks the pipeline's best model against the train steps'
// stored records: the argmax (first strictly greater, in ml.Names order)
// of the accuracies they logged. Each logged accuracy is checked in turn
// against the step's stored model file, scored on the stored validation
// set (30 rows: a fifth of iris).
func checkBest(t *testing.T, out output) {
	t.Helper()
	ctx := context.Background()
	outputs := layout.PipelineOutputs(settings.DefaultRuns, Experiment, out.WorkflowID)
	val := readDataset(t, outputs+"/prepare/validation.csv")
	require.Len(t, val.X, 30)
	best, bestAcc := "", -1.0
	for _, model := range ml.Names {
		step := outputs + "/train-" + model
		rec, err := runctx.ReadRecord(ctx, stack.store, layout.StepRecordRef(outputs, "train-"+model))
		require.NoError(t, err)
		require.Equal(t, runctx.StatusCompleted, rec.Status)
		require.Len(t, rec.Metrics["accuracy"], 1)
		acc := rec.Metrics["accuracy"][0].Value
		assert.Equal(t, model, rec.Tags[TagModel])
		assert.NotEmpty(t, rec.ConfusionMatrices["confusion_matrix"].Data.Matrix)

		m, c, err := ml.Load(readRef(t, step+"/model.json"))
		require.NoError(t, err)
		pred, err := c.Predict(val.X)
		require.NoError(t, err)
		y, err := relabel(val, m.Classes)
		require.NoError(t, err)
		assert.Equal(t, ml.Accuracy(y, pred), acc, "%s: the stored model scores what its step logged", model)

		if acc > bestAcc {
			best, bestAcc = model, acc
		}
	}
	assert.Equal(t, best, out.BestModel)
	assert.Equal(t, bestAcc, out.Accuracy)
	assert.Greater(t, out.Accuracy, 0.8, "iris is easy for the six classifiers")
	assert.LessOrEqual(t, out.Accuracy, 1.0)

	// What the Web UI shows: the pipeline's tags as search attributes.
	d, err := stack.client.DescribeWorkflowExecution(ctx, out.WorkflowID, "")
	require.NoError(t, err)
	sa := map[string]any{}
	for k, p := range d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		var v any
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &v))
		sa[k] = v
	}
	assert.Equal(t, out.BestModel, sa["BestModel"])
	assert.Equal(t, out.Accuracy, sa["Accuracy"])
	assert.Equal(t, Experiment, sa["Experiment"])
}

func readRef(t *testing.T, ref string) io.Reader {
	t.Helper()
	r, err := datastore.ParseRef(ref)
	require.NoError(t, err)
	rc, _, err := stack.store.Read(context.Background(), r)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return bytes.NewReader(b)
}

func readDataset(t *testing.T, ref string) *ml.Dataset {
	t.Helper()
	d, err := ml.LoadCSV(readRef(t, ref), ref)
	require.NoError(t, err)
	return d
}

// step is one activity of a history, by its started and closed events.
type step struct {
	started, closed time.Time
	identity        string
}

// trainSteps returns the train steps of a workflow's history by name.
func trainSteps(t *testing.T, workflowID string) map[string]*step {
	t.Helper()
	names := map[int64]string{} // scheduled event ID → activity ID
	steps := map[string]*step{}
	for _, e := range history(t, workflowID).GetEvents() {
		switch {
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			names[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityId()
		case e.GetActivityTaskStartedEventAttributes() != nil:
			a := e.GetActivityTaskStartedEventAttributes()
			steps[names[a.GetScheduledEventId()]] = &step{started: e.GetEventTime().AsTime(), identity: a.GetIdentity()}
		case e.GetActivityTaskCompletedEventAttributes() != nil:
			steps[names[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]].closed = e.GetEventTime().AsTime()
		}
	}
	for name := range steps {
		if !strings.HasPrefix(name, "train-") {
			delete(steps, name)
		}
	}
	return steps
}

// checkOverlap checks that the six train steps ran at the same time: at
// least two started before the first of them completed. It returns the
// identities of the workers that took them.
func checkOverlap(t *testing.T, workflowID string) []string {
	t.Helper()
	steps := trainSteps(t, workflowID)
	require.Len(t, steps, len(ml.Names))
	var firstStarted, firstClosed time.Time
	for _, s := range steps {
		if firstStarted.IsZero() || s.started.Before(firstStarted) {
			firstStarted = s.started
		}
		if firstClosed.IsZero() || s.closed.Before(firstClosed) {
			firstClosed = s.closed
		}
	}
	var startedBefore int
	var identities []string
	for _, model := range ml.Names {
		s := steps["train-"+model]
		t.Logf("%s train-%-4s ran from +%3dms to +%3dms on %s", workflowID, model,
			s.started.Sub(firstStarted).Milliseconds(), s.closed.Sub(firstStarted).Milliseconds(), s.identity)
		if s.started.Before(firstClosed) {
			startedBefore++
		}
		identities = append(identities, s.identity)
	}
	assert.GreaterOrEqual(t, startedBefore, 2, "train steps started before the first one completed")
	return identities
}

// activityTypes lists the activity types scheduled in a workflow's history.
func activityTypes(t *testing.T, workflowID string) []string {
	t.Helper()
	var types []string
	for _, e := range history(t, workflowID).GetEvents() {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && !slices.Contains(types, a.GetActivityType().GetName()) {
			types = append(types, a.GetActivityType().GetName())
		}
	}
	return types
}

func history(t *testing.T, workflowID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := stack.client.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	return h
}

// exportHistory writes a workflow's history in the JSON form of `temporal
// workflow show --output json`, which the replayer reads.
func exportHistory(t *testing.T, workflowID, file string) {
	t.Helper()
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history(t, workflowID))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, append(b, '\n'), 0o644))
	t.Logf("wrote the history of %s to %s", workflowID, file)
}

func put(t *testing.T, ref, body string) {
	t.Helper()
	r, err := datastore.ParseRef(ref)
	require.NoError(t, err)
	_, err = stack.store.Write(context.Background(), r, strings.NewReader(body), datastore.WriteOptions{ContentType: "text/csv"})
	require.NoError(t, err)
}
