package testsuite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// bigTrainResult is the training step's result with a large table beside
// it; the workflow decodes the TrainResult part and ignores the table.
type bigTrainResult struct {
	activities.TrainResult
	Predictions [][]string `json:"predictions"`
}

// bigTable returns a table of random rows of about size bytes as JSON.
func bigTable(size int) [][]string {
	r := rand.New(rand.NewPCG(1, 2))
	var rows [][]string
	for n := 0; n < size; {
		row := []string{fmt.Sprint(len(rows)), fmt.Sprintf("%.6f", r.Float64()), fmt.Sprintf("%x", r.Uint64()), fmt.Sprintf("%x", r.Uint64())}
		rows = append(rows, row)
		n += 16 + len(row[0]) + len(row[1]) + len(row[2]) + len(row[3])
	}
	return rows
}

func tableDigest(t *testing.T, rows [][]string) [32]byte {
	t.Helper()
	b, err := json.Marshal(rows)
	require.NoError(t, err)
	return sha256.Sum256(b)
}

// startBigResultWorker runs the real pipeline on taskQueue through c, with
// the training step returning the real result plus table; it returns a
// channel closed when the step function first returns.
func startBigResultWorker(t *testing.T, c client.Client, taskQueue string, table [][]string) <-chan struct{} {
	t.Helper()
	acts := app.Activities(stack.store)
	returned := make(chan struct{})
	var once sync.Once
	w := app.NewWorkerWithTrain(c, taskQueue, stack.store, worker.Options{}, func(ctx context.Context, in activities.TrainInput) (bigTrainResult, error) {
		defer once.Do(func() { close(returned) })
		res, err := acts.Train(ctx, in)
		return bigTrainResult{TrainResult: res, Predictions: table}, err
	})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return returned
}

// trainResultPayload returns the training step's result payload as the
// server stores it (raw history, nothing resolved by the SDK).
func trainResultPayload(t *testing.T, workflowID, runID string) *commonpb.Payload {
	t.Helper()
	var events []*historypb.HistoryEvent
	var token []byte
	for {
		resp, err := stack.client.WorkflowService().GetWorkflowExecutionHistory(context.Background(), &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: stack.server.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID}, NextPageToken: token,
		})
		require.NoError(t, err)
		events = append(events, resp.GetHistory().GetEvents()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	trainScheduled := map[int64]bool{}
	for _, e := range events {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "Train" {
			trainScheduled[e.GetEventId()] = true
		}
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil && trainScheduled[a.GetScheduledEventId()] {
			require.Len(t, a.GetResult().GetPayloads(), 1)
			return a.GetResult().GetPayloads()[0]
		}
	}
	t.Fatal("no completed Train activity in history")
	return nil
}

// TestLargeStepResultIsOffloaded: a training step whose result carries a
// 5 MiB table (over the server's 2 MiB payload limit) completes through the
// real pipeline; the history holds a claim, not the table, and stays small;
// the claim resolves, through the driver and through the codec server the
// Web UI calls, to the table intact.
func TestLargeStepResultIsOffloaded(t *testing.T) {
	table := bigTable(5 << 20)
	want := tableDigest(t, table)
	startBigResultWorker(t, stack.client, "extstore-tq", table)

	run, res, err := runPipeline(t, "extstore-tq", workflows.PipelineInput{Experiment: "iris", ModelName: "it-extstore", Data: irisRef, Threshold: 1.01, NoReuse: true})
	require.NoError(t, err)
	assert.NotEmpty(t, res.BestModel)
	assert.False(t, res.Registered)

	d, err := stack.client.DescribeWorkflowExecution(context.Background(), run.GetID(), run.GetRunID())
	require.NoError(t, err)
	historyBytes := d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
	t.Logf("5 MiB table offloaded: history %d bytes, %d events", historyBytes, d.GetWorkflowExecutionInfo().GetHistoryLength())
	assert.Less(t, historyBytes, int64(1<<20))

	// In history: a storage reference naming the azblob driver.
	ref := trainResultPayload(t, run.GetID(), run.GetRunID())
	assert.Equal(t, "json/protobuf", string(ref.GetMetadata()["encoding"]))
	var sref sdkpb.ExternalStorageReference
	require.NoError(t, protojson.Unmarshal(ref.GetData(), &sref))
	assert.Equal(t, extstore.DefaultDriverName, sref.GetDriverName())
	claim, err := extstore.ParseClaim(sref.GetClaimData())
	require.NoError(t, err)
	t.Logf("claim: %s (%d bytes in history for a %d byte payload)", claim, len(ref.GetData()), ref.GetExternalPayloads()[0].GetSizeBytes())

	// Through the driver.
	driver := stack.extStorage.Drivers[0]
	got, err := driver.Retrieve(converter.StorageDriverRetrieveContext{Context: context.Background()},
		[]converter.StorageDriverClaim{{ClaimData: sref.GetClaimData()}})
	require.NoError(t, err)
	var back bigTrainResult
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(got[0], &back))
	assert.Equal(t, want, tableDigest(t, back.Predictions), "the table reads back intact")
	assert.Equal(t, res.BestModel, back.Step.Tags["best_model"])

	// Through the codec server, as the Web UI asks it.
	h, err := extstore.NewCodecHandler(stack.extStorage, stack.server.UIURL())
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{ref}})
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", stack.server.Namespace)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(b, &decoded))
	var viaCodec bigTrainResult
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(decoded.Payloads[0], &viaCodec))
	assert.Equal(t, want, tableDigest(t, viaCodec.Predictions))
}

// TestLargeStepResultWithoutOffload: the same step on a worker without
// external storage does not complete: its 5 MiB result is over the
// server's message limit, so the step stays started (until its
// start-to-close timeout, then it is retried, again and again) while the
// pipeline waits.
func TestLargeStepResultWithoutOffload(t *testing.T) {
	// The run context, without External Storage.
	plain, err := client.Dial(client.Options{HostPort: stack.server.HostPort, Namespace: stack.server.Namespace, Plugins: []client.Plugin{stack.plugin}})
	require.NoError(t, err)
	t.Cleanup(plain.Close) // after the worker stops
	returned := startBigResultWorker(t, plain, "no-extstore-tq", bigTable(5<<20))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := stack.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    fmt.Sprintf("iris-%s-%d", t.Name(), time.Now().UnixNano()),
		TaskQueue:             "no-extstore-tq",
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword("Experiment").ValueSet("iris")),
	}, workflows.TrainingPipeline, workflows.PipelineInput{Experiment: "iris", ModelName: "it-no-extstore", Data: irisRef, Threshold: 1.01, NoReuse: true})
	require.NoError(t, err)
	defer func() {
		_ = stack.client.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "test done")
	}()

	select {
	case <-returned:
	case <-ctx.Done():
		t.Fatal("the training step did not run")
	}
	// With offload the whole pipeline ends within about a second of the
	// step returning; give it three.
	time.Sleep(3 * time.Second)
	d, err := stack.client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	info := d.GetWorkflowExecutionInfo()
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, info.GetStatus())
	var train *workflowpb.PendingActivityInfo
	for _, pa := range d.GetPendingActivities() {
		if pa.GetActivityType().GetName() == "Train" {
			train = pa
		}
	}
	require.NotNil(t, train, "the training step has not completed")
	t.Logf("5 MiB table not offloaded, 3 s after the step returned: workflow %s, Train %s (attempt %d), history %d bytes, %d events",
		info.GetStatus(), train.GetState(), train.GetAttempt(), info.GetHistorySizeBytes(), info.GetHistoryLength())
}
