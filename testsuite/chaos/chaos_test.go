package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// newID returns a workflow ID (and model name) no other case uses.
func newID(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000_000)
}

// start starts TrainingPipeline with workflow ID id.
func start(t *testing.T, id string, in workflows.PipelineInput) client.WorkflowRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := stack.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, workflows.TrainingPipeline, in)
	require.NoError(t, err)
	return run
}

// result waits (through faults) for the pipeline to close and returns its
// result or error.
func result(t *testing.T, run client.WorkflowRun, timeout time.Duration) (workflows.PipelineResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := waitClosed(ctx, run.GetID()); err != nil {
		return workflows.PipelineResult{}, err
	}
	var res workflows.PipelineResult
	err := run.Get(ctx, &res)
	return res, err
}

// uploadData uploads iris data (times repeats, jitter) under a new name.
func uploadData(t *testing.T, name string, times int, jitter float64) string {
	t.Helper()
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	ref := "azblob://datasets/chaos/" + name + ".csv"
	require.NoError(t, put(ref, irisCSV(root, times, jitter)))
	return ref
}

// checkRegistry asserts that model's versions are 1..n without gaps, each
// made by a different run, each better than the one before, the champion
// the last; it returns n.
func checkRegistry(t *testing.T, model string) int {
	t.Helper()
	vs, err := stack.registry.Versions(context.Background(), model)
	require.NoError(t, err)
	runs := map[string]bool{}
	for i, v := range vs {
		assert.Equal(t, i+1, v.Version, "versions without gaps")
		assert.False(t, runs[v.Run.RunID], "run %s registered twice", v.Run.RunID)
		runs[v.Run.RunID] = true
		if i > 0 {
			assert.Greater(t, v.Accuracy, vs[i-1].Accuracy)
		}
	}
	if len(vs) > 0 {
		ch, err := stack.registry.Champion(context.Background(), model)
		require.NoError(t, err)
		assert.Equal(t, len(vs), ch.Version, "the champion is the last version")
	}
	return len(vs)
}

// 1. A worker is SIGKILLed while it trains, on successive attempts of the
// step; a new worker is started each time. The step is retried once its
// heartbeat timeout passes, and the pipeline registers one version.
func TestWorkerKilledDuringTraining(t *testing.T) {
	var detail string
	report(t, &detail)
	kills := pick(1, 5)
	// About three seconds of training: long enough to be caught running.
	data := uploadData(t, newID("kill"), 200, 0.2)
	model := newID("chaos-kill")
	w := startWorker(t)
	run := start(t, model, workflows.PipelineInput{Experiment: "chaos", ModelName: model, Data: data, NoReuse: true})
	ctx := context.Background()
	var waits []string
	for i := 1; i <= kills; i++ {
		began := time.Now()
		deadline := began.Add(workflows.StepHeartbeatTimeout + 90*time.Second)
		for pendingAttempt(ctx, run.GetID(), "Train") != int32(i) {
			require.True(t, time.Now().Before(deadline), "training attempt %d never started; worker log:\n%s", i, w.tail())
			time.Sleep(20 * time.Millisecond)
		}
		waits = append(waits, time.Since(began).Round(100*time.Millisecond).String())
		w.kill()
		w = startWorker(t)
	}
	res, err := result(t, run, 5*time.Minute)
	require.NoError(t, err, "worker log:\n%s", w.tail())
	assert.True(t, res.Registered)
	assert.Equal(t, 1, res.ModelVersion)
	assert.Equal(t, 1, checkRegistry(t, model), "one version")
	attempts, err := startedAttempts(ctx, run.GetID())
	require.NoError(t, err)
	assert.Equal(t, int32(kills+1), attempts["Train"], "each kill hit a running training step")
	detail = fmt.Sprintf("SIGKILL ×%d during training (attempt started after %s); completed on attempt %d, v%d registered once",
		kills, strings.Join(waits, ", "), attempts["Train"], res.ModelVersion)
}

// 2. The dev server is SIGKILLed while pipelines run and restarted on the
// same SQLite file and ports; the worker reconnects, every pipeline
// completes and each registers once.
func TestDevServerKilledAndRestarted(t *testing.T) {
	var detail string
	report(t, &detail)
	n, kills := pick(3, 6), pick(1, 2)
	w := startWorker(t)
	var runs []client.WorkflowRun
	var models []string
	for i := range n {
		data := uploadData(t, newID(fmt.Sprintf("server-%d", i)), 40, 0.1)
		model := newID(fmt.Sprintf("chaos-server-%d", i))
		models = append(models, model)
		runs = append(runs, start(t, model, workflows.PipelineInput{Experiment: "chaos", ModelName: model, Data: data, NoReuse: true}))
	}
	ctx := context.Background()
	var downs []string
	for k := range kills {
		deadline := time.Now().Add(time.Minute)
		for pendingAttempt(ctx, runs[k%n].GetID(), "Train") == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		began := time.Now()
		stack.server.Kill()
		time.Sleep(2 * time.Second)
		require.NoError(t, stack.server.Restart())
		downs = append(downs, time.Since(began).Round(100*time.Millisecond).String())
	}
	for i, run := range runs {
		res, err := result(t, run, 4*time.Minute)
		require.NoError(t, err, "pipeline %s; worker log:\n%s", run.GetID(), w.tail())
		assert.True(t, res.Registered)
		assert.Equal(t, 1, checkRegistry(t, models[i]))
	}
	detail = fmt.Sprintf("%d pipelines; dev server SIGKILLed ×%d during training, down %s each; all completed, one version each",
		n, kills, strings.Join(downs, ", "))
}

// 3. Azurite is stopped while concurrent pipelines register the same
// model, and restarted on its data after the outage: every pipeline
// completes; versions are unique and gapless.
func TestAzuriteStoppedDuringRegistration(t *testing.T) {
	var detail string
	report(t, &detail)
	n, outage := pick(4, 8), pick(5*time.Second, 30*time.Second)
	model := newID("chaos-outage")
	startWorker(t)
	w := startWorker(t)
	var datas []string
	for i := range n {
		datas = append(datas, uploadData(t, newID(fmt.Sprintf("outage-%d", i)), 2, 0.15+0.04*float64(n-1-i)))
	}
	// All start at once: their registrations overlap.
	var runs []client.WorkflowRun
	for i := range n {
		runs = append(runs, start(t, fmt.Sprintf("%s-%d", model, i), workflows.PipelineInput{Experiment: "chaos", ModelName: model, Data: datas[i], NoReuse: true}))
	}
	// Stop Azurite as soon as a pipeline's register step runs.
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	trigger := ""
	for trigger == "" && time.Now().Before(deadline) {
		for _, r := range runs {
			if pendingAttempt(ctx, r.GetID(), "RegisterModel") > 0 {
				trigger = "a register step ran"
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.NotEmpty(t, trigger, "no register step seen")
	began := time.Now()
	stack.azurite.Stop()
	stopped := time.Since(began)
	open, registering := 0, 0
	for _, r := range runs {
		if d, err := stack.client.DescribeWorkflowExecution(ctx, r.GetID(), ""); err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() == nil {
			open++
			for _, a := range d.GetPendingActivities() {
				if a.GetActivityType().GetName() == "RegisterModel" {
					registering++
				}
			}
		}
	}
	time.Sleep(max(0, outage-stopped))
	require.NoError(t, stack.azurite.Restart())
	back := time.Now()
	down := back.Sub(began).Round(100 * time.Millisecond)

	retried, registered, after := 0, 0, 0
	for _, run := range runs {
		res, err := result(t, run, 5*time.Minute)
		require.NoError(t, err, "pipeline %s; worker log:\n%s", run.GetID(), w.tail())
		if res.Registered {
			registered++
		}
		attempts, err := startedAttempts(ctx, run.GetID())
		require.NoError(t, err)
		if attempts["RegisterModel"] > 1 || attempts["Train"] > 1 {
			retried++
		}
		if d, err := stack.client.DescribeWorkflowExecution(ctx, run.GetID(), ""); err == nil && d.GetWorkflowExecutionInfo().GetCloseTime().AsTime().After(back) {
			after++
		}
	}
	versions := checkRegistry(t, model)
	assert.Equal(t, registered, versions, "each registered pipeline made one version")
	assert.Positive(t, after, "a pipeline waited for Azurite")
	detail = fmt.Sprintf("%d pipelines, one model, 2 workers; Azurite stopped when %s (%d open, %d registering), down %s; %d finished after it came back, %d with a step retried by Temporal (others by the Azure SDK's retries); v1..v%d gapless",
		n, trigger, open, registering, down, after, retried, versions)
}

// 4. Many pipelines register the same model name at once, on two workers:
// versions are unique and gapless, and the champion is the best of all.
func TestConcurrentRegistration(t *testing.T) {
	var detail string
	report(t, &detail)
	n := pick(5, 20)
	model := newID("chaos-concurrent")
	startWorker(t)
	w := startWorker(t)
	var runs []client.WorkflowRun
	for i := range n {
		// Later starts get better data (less jitter): more of them register.
		data := uploadData(t, newID(fmt.Sprintf("concurrent-%d", i)), 2, 0.15+0.04*float64(n-1-i))
		runs = append(runs, start(t, fmt.Sprintf("%s-%d", model, i), workflows.PipelineInput{Experiment: "chaos", ModelName: model, Data: data, NoReuse: true}))
	}
	best := 0.0
	seen := map[int]string{}
	registered := 0
	for _, run := range runs {
		res, err := result(t, run, 5*time.Minute)
		require.NoError(t, err, "pipeline %s; worker log:\n%s", run.GetID(), w.tail())
		best = max(best, res.Accuracy)
		if res.Registered {
			registered++
			assert.Empty(t, seen[res.ModelVersion], "v%d registered by %s and %s", res.ModelVersion, seen[res.ModelVersion], run.GetID())
			seen[res.ModelVersion] = run.GetID()
		}
	}
	versions := checkRegistry(t, model)
	assert.Equal(t, registered, versions)
	ch, err := stack.registry.Champion(context.Background(), model)
	require.NoError(t, err)
	assert.Equal(t, best, ch.Accuracy, "the champion is the best of all")
	detail = fmt.Sprintf("%d pipelines, one model, 2 workers; %d registered as v1..v%d, unique and gapless; champion accuracy %.4f = best", n, registered, versions, ch.Accuracy)
}

// 5. Malformed inputs fail fast with a clear, non-retryable error that
// names what was wrong; nothing is written outside the run's folder and
// nothing is registered.
func TestMalformedInputs(t *testing.T) {
	var detail string
	report(t, &detail)
	startWorker(t)
	short := "azblob://datasets/chaos/" + newID("short-row") + ".csv"
	require.NoError(t, put(short, "sepal-length,sepal-width,petal-length,petal-width,class\n5.1,3.5,1.4,0.2,setosa\n4.9,3.0\n"))
	nan := "azblob://datasets/chaos/" + newID("not-number") + ".csv"
	require.NoError(t, put(nan, "sepal-length,sepal-width,petal-length,petal-width,class\n5.1,3.5,abc,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n"))
	corruptModel := newID("chaos-corrupt")
	_, err := stack.store.Blob.Write(context.Background(), registry.Container, corruptModel+"/champion.json", strings.NewReader(`{"version": 3, "accur`), datastore.WriteOptions{})
	require.NoError(t, err)

	good := workflows.PipelineInput{Experiment: "chaosbad", Data: irisRef}
	cases := []struct {
		name, id string
		edit     func(*workflows.PipelineInput)
		errType  string
		want     string // in the error message
	}{
		{"folds 1", "", func(in *workflows.PipelineInput) { in.Folds = 1 }, activities.ErrTypeBadData, "folds = 1, need at least 2"},
		{"folds 101", "", func(in *workflows.PipelineInput) { in.Folds = 101 }, activities.ErrTypeBadData, "more than the limit of 100"},
		{"workflow ID a/../victim", "chaosbad-a/../victim", nil, "InvalidName", "workflow ID"},
		{"workflow ID ../../models/x", "../../models/x", nil, "InvalidName", "workflow ID"},
		{"data of unknown scheme", "", func(in *workflows.PipelineInput) { in.Data = "s3://bucket/iris.csv" }, activities.ErrTypeBadData, "data"},
		{"data with ..", "", func(in *workflows.PipelineInput) { in.Data = "azblob://datasets/chaos/../../models/x.csv" }, activities.ErrTypeBadData, "data"},
		{"outputs with ..", "", func(in *workflows.PipelineInput) { in.Outputs = "azblob://runs/a/../../models" }, activities.ErrTypeBadData, "outputs"},
		{"data file with a short row", "", func(in *workflows.PipelineInput) { in.Data = short }, activities.ErrTypeBadData, ".csv:3: expected 5 fields, got 2"},
		{"data file with a word for a number", "", func(in *workflows.PipelineInput) { in.Data = nan }, activities.ErrTypeBadData, ".csv:2: field 3: not a number"},
		{"corrupt champion.json", "", func(in *workflows.PipelineInput) { in.ModelName = corruptModel }, activities.ErrTypeBadData, "champion.json"},
	}
	before := blobs(t)
	var slowest time.Duration
	var ids []string
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := good
			in.ModelName = fmt.Sprintf("chaos-bad-%d-%d", i, time.Now().UnixNano()%1e9)
			if c.edit != nil {
				c.edit(&in)
			}
			id := c.id
			if id == "" {
				id = newID(fmt.Sprintf("chaosbad-%d", i))
			}
			ids = append(ids, id)
			began := time.Now()
			run := start(t, id, in)
			_, err := result(t, run, 30*time.Second)
			took := time.Since(began)
			slowest = max(slowest, took)
			require.Error(t, err)
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app), "want an application error, got %v", err)
			assert.Equal(t, c.errType, app.Type(), "%v", err)
			assert.Contains(t, err.Error(), c.want)
			assert.Less(t, took, 5*time.Second, "a clear error within 5 seconds")
			vs, err := stack.registry.Versions(context.Background(), in.ModelName)
			if in.ModelName != corruptModel {
				require.NoError(t, err)
			}
			assert.Empty(t, vs, "nothing registered")
			t.Logf("%s: %s in %s", c.name, app.Error(), took.Round(10*time.Millisecond))
		})
	}
	// Only the training steps of the bad data files and of the corrupt
	// champion ran; they wrote only in their own runs' folders, and the
	// latter its reuse entry (runs/.reuse/, the cache of step results).
	var outside []string
	for b := range blobs(t) {
		if before[b] {
			continue
		}
		inside := strings.HasPrefix(b, "runs/"+layout.ReuseFolder+"/train/")
		for _, id := range ids {
			inside = inside || strings.HasPrefix(b, "runs/chaosbad/"+id+"/")
		}
		if !inside {
			outside = append(outside, b)
		}
	}
	assert.Empty(t, outside, "written outside the runs' folders")
	detail = fmt.Sprintf("%d malformed inputs (folds, IDs with .., refs, data files, corrupt champion): each a non-retryable error naming it, slowest %s; nothing outside the runs' folders, nothing registered",
		len(cases), slowest.Round(10*time.Millisecond))
}
