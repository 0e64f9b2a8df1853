package runctx_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// ---- Activity side: a step and its run ----

// trainResult is the train step's result. It carries the step's run
// summary (it has a RunSummary method), so the step's tags reach the
// workflow and its parent changes ride to the pipeline with it.
type trainResult struct {
	Step     runctx.Summary
	ModelRef string
}

func (r trainResult) RunSummary() runctx.Summary { return r.Step }

// train is a step: it gets its run, logs to it and to its parent, and
// returns the summary Complete gives it.
func train(ctx context.Context, data string) (trainResult, error) {
	run, err := runctx.FromContext(ctx) // Azure ML's Run.get_context()
	if err != nil {
		return trainResult{}, err
	}
	for _, loss := range []float64{0.9, 0.4, 0.2} {
		run.Log("loss", loss) // a repeated name makes a series
	}
	run.Log("accuracy", 0.93)
	if err := run.Tag("accuracy", "0.93"); err != nil { // the step's own tag, which the workflow reads
		return trainResult{}, err
	}
	// The pipeline's tag (a search attribute, once declared) and
	// write-once property (memo), as Azure ML's run.parent.
	if err := run.Parent().Tag("accuracy", "0.93"); err != nil {
		return trainResult{}, err
	}
	if err := run.Parent().AddProperties(map[string]string{"data": data}); err != nil {
		return trainResult{}, err
	}
	if err := run.Parent().Log("accuracy", 0.93); err != nil {
		return trainResult{}, err
	}
	s, err := run.Complete(ctx, nil) // the record goes to the datastore, the summary to history
	return trainResult{Step: s, ModelRef: run.OutputRef("model.json")}, err
}

// register is the second step; it runs only when the model is good enough.
func register(_ context.Context, modelRef string) (string, error) {
	return "iris-classifier:1", nil
}

// ---- Workflow side: the pipeline ----

func init() {
	// The pipeline's accuracy tag is the Accuracy search attribute (Double);
	// the plugin creates it on the namespace when a worker starts.
	runctx.Declare(irisPipeline, runctx.Attribute[float64]("accuracy", "Accuracy"))
}

// irisPipeline trains, reads the step's accuracy tag, and registers the
// model or skips registration.
func irisPipeline(ctx workflow.Context, threshold float64) (string, error) {
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
	if err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var tr trainResult
	err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train", Summary: "train on iris"}, train, "iris.csv").Get(ctx, &tr)
	if err != nil {
		return "", err
	}
	acc, err := tr.Step.FloatTag("accuracy")
	if err != nil {
		return "", err
	}
	if acc <= threshold {
		reason := fmt.Sprintf("accuracy %v <= %v", acc, threshold)
		return "not registered: " + reason, runctx.SkipStep(ctx, "register", reason)
	}
	var model string
	if err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "register"}, register, tr.ModelRef).Get(ctx, &model); err != nil {
		return "", err
	}
	return "registered " + model, nil
}

// quiet is the SDK's logger for the examples: the test environment logs to
// stdout otherwise.
var quiet = log.NewStructuredLogger(slog.New(slog.DiscardHandler))

// localPlugin returns a plugin whose runs record under file:///runs of a
// local store rooted in dir, so that the examples need no Azure Storage.
func localPlugin(dir string) (*runctx.Plugin, datastore.Resolver, error) {
	local := datastore.NewLocal(dir)
	store := datastore.Resolver{Local: local, Blob: local}
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: "file:///runs", Store: store})
	return plugin, store, err
}

// newEnv returns the SDK's test environment of a workflow, with the plugin
// attached, as ExampleExecuteStep shows.
func newEnv(plugin *runctx.Plugin) *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet)
	env := ts.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	return env
}

// runPipeline runs irisPipeline on the SDK's test environment with the
// plugin attached, and prints its result.
func runPipeline(plugin *runctx.Plugin, threshold float64) *testsuite.TestWorkflowEnvironment {
	env := newEnv(plugin)
	env.RegisterWorkflow(irisPipeline)
	env.RegisterActivity(train)
	env.RegisterActivity(register)
	env.ExecuteWorkflow(irisPipeline, threshold)
	var res string
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println("pipeline failed:", err)
		return env
	}
	fmt.Println(res)
	return env
}

// printSteps prints the pipeline's steps as its "steps" query returns them.
func printSteps(env *testsuite.TestWorkflowEnvironment) {
	v, err := env.QueryWorkflow(runctx.QuerySteps)
	if err != nil {
		fmt.Println(err)
		return
	}
	var steps []runctx.StepInfo
	if err := v.Get(&steps); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range steps {
		fmt.Printf("%s %s %s %v\n", s.Name, s.Status, s.Reason, s.Tags)
	}
}

// The workflow runs each step with one call, reads the tag the training
// step set, and decides. Here the pipeline runs on the SDK's test
// environment, with the plugin attached as on a real worker.
func ExampleExecuteStep() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	local := datastore.NewLocal(dir)
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: "file:///runs", Store: datastore.Resolver{Local: local, Blob: local}})
	if err != nil {
		fmt.Println(err)
		return
	}

	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet)
	env := ts.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	env.RegisterWorkflow(irisPipeline)
	env.RegisterActivity(train)
	env.RegisterActivity(register)
	env.ExecuteWorkflow(irisPipeline, 0.9)

	var res string
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res)
	printSteps(env)
	// Output:
	// registered iris-classifier:1
	// train Completed  map[accuracy:0.93]
	// register Completed  map[]
}

// A step the workflow decides not to run is recorded as skipped, with the
// reason.
func ExampleSkipStep() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	plugin, _, err := localPlugin(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	env := runPipeline(plugin, 0.95)
	printSteps(env)
	v, _ := env.QueryWorkflow(runctx.QuerySteps)
	var steps []runctx.StepInfo
	_ = v.Get(&steps)
	fmt.Println(steps[1].Status == runctx.StatusSkipped)
	// Output:
	// not registered: accuracy 0.93 <= 0.95
	// train Completed  map[accuracy:0.93]
	// register Skipped accuracy 0.93 <= 0.95 map[]
	// true
}

// The workflow reads a step's tags typed; a missing tag or one of another
// type is an error it can inspect.
func ExampleSummary_FloatTag() {
	s := runctx.Summary{RunID: "iris-1_train", Tags: map[string]string{"accuracy": "0.93", "best_model": "SVM", "folds": "3", "registered": "false"}}
	acc, err := s.FloatTag("accuracy")
	fmt.Println(acc, err)
	folds, _ := s.IntTag("folds")
	registered, _ := s.BoolTag("registered")
	model, _ := s.Tag("best_model")
	fmt.Println(folds, registered, model)

	_, err = s.FloatTag("best_model")
	fmt.Println(errors.Is(err, runctx.ErrInvalid), err)
	_, err = s.FloatTag("f1")
	fmt.Println(errors.Is(err, runctx.ErrNoTag), err)
	// Output:
	// 0.93 <nil>
	// 3 false SVM
	// true runctx: invalid argument: step iris-1_train: tag "best_model" = "SVM" is not a number
	// true runctx: no such tag: step iris-1_train has no tag "f1"
}

// The pipeline (the parent run) answers queries while it runs and after it
// ends: what its steps tagged, logged and set on it. Each step's full
// record is in the datastore.
func ExampleStartPipeline() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	plugin, store, err := localPlugin(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	env := runPipeline(plugin, 0.9)

	v, err := env.QueryWorkflow(runctx.QueryRun)
	if err != nil {
		fmt.Println(err)
		return
	}
	var rec runctx.ParentRecord
	if err := v.Get(&rec); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("experiment:", rec.Experiment)
	fmt.Println("tags:", rec.Tags)
	fmt.Println("properties:", rec.Properties)
	fmt.Println("metrics:", rec.Metrics)

	// The training step's record, <runs>/<experiment>/<workflow ID>/<step>/record.json,
	// as the "steps" query names it.
	var steps []runctx.StepInfo
	if v, err = env.QueryWorkflow(runctx.QuerySteps); err == nil {
		err = v.Get(&steps)
	}
	if err != nil || len(steps) == 0 {
		fmt.Println(err)
		return
	}
	ref := steps[0].RecordRef
	fmt.Println(ref)
	r, err := runctx.ReadRecord(context.Background(), store, ref)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.RunID == steps[0].RunID, r.RunID)
	fmt.Println(r.Status, r.Experiment, r.Tags)
	for _, p := range r.Metrics["loss"] {
		fmt.Printf("loss step %d: %v\n", p.Step, p.Value)
	}
	// Output:
	// registered iris-classifier:1
	// experiment: iris
	// tags: map[accuracy:0.93]
	// properties: map[data:iris.csv]
	// metrics: map[accuracy:[0.93]]
	// file:///runs/iris/default-test-workflow-id/train/record.json
	// true default-test-workflow-id_train
	// Completed iris map[accuracy:0.93]
	// loss step 0: 0.9
	// loss step 1: 0.4
	// loss step 2: 0.2
}

// Outside Temporal a step gets an offline run, as Azure ML's
// Run.get_context() outside a submitted run: it records to a local folder,
// and its parent does nothing.
func ExampleNewOffline() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	ctx := runctx.WithRun(context.Background(), runctx.NewOffline(dir))

	res, err := train(ctx, "iris.csv") // the step, called as a plain function
	if err != nil {
		fmt.Println(err)
		return
	}
	run, _ := runctx.FromContext(ctx)
	fmt.Println(run.IsOffline(), run.Parent().IsOffline(), strings.HasPrefix(run.ID(), "OfflineRun_"), run.Experiment() == "")
	fmt.Println(res.Step.Status == runctx.StatusCompleted, res.Step.Tags, res.Step.Metrics)
	fmt.Println(filepath.Base(res.Step.RecordRef) == run.ID()+".json", filepath.Dir(res.Step.RecordRef) == dir, run.Outputs() == dir)
	_, err = os.Stat(res.Step.RecordRef)
	fmt.Println("record written:", err == nil)
	// Output:
	// true true true true
	// true map[accuracy:0.93] map[accuracy:0.93 loss:0.2]
	// true true true
	// record written: true
}

// FromContext outside any activity returns the process's offline run,
// which records to ./outputs; WithRun gives a context a run of your own.
func ExampleFromContext() {
	run, err := runctx.FromContext(context.Background())
	fmt.Println(run.IsOffline(), run.Outputs(), err)

	mine := runctx.NewOffline(os.TempDir())
	got, _ := runctx.FromContext(runctx.WithRun(context.Background(), mine))
	fmt.Println(got == mine)
	// Output:
	// true outputs <nil>
	// true
}

// A step run from a workflow context that StartPipeline did not return
// fails, before anything is scheduled.
func ExampleExecuteStep_withoutPipeline() {
	notAPipeline := func(ctx workflow.Context) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train"}, train, "iris.csv").Get(ctx, nil)
		return fmt.Sprint(err), nil
	}
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet)
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(notAPipeline, workflow.RegisterOptions{Name: "notAPipeline"})
	env.RegisterActivity(train)
	env.ExecuteWorkflow("notAPipeline")
	var res string
	fmt.Println(env.GetWorkflowResult(&res), res)
	// Output:
	// <nil> step train: runctx: no pipeline in the workflow context (call StartPipeline first, and pass on the context it returns)
}

// In an activity of a worker without the plugin, FromContext says so,
// and how to add it.
func ExampleFromContext_withoutPlugin() {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet)
	env := ts.NewTestActivityEnvironment() // no plugin
	env.RegisterActivityWithOptions(func(ctx context.Context) (string, error) {
		_, err := runctx.FromContext(ctx)
		if errors.Is(err, runctx.ErrNoPlugin) {
			return "no run context: " + strings.SplitN(err.Error(), "; ", 2)[1], nil
		}
		return "a run", err
	}, activity.RegisterOptions{Name: "step"})
	v, err := env.ExecuteActivity("step")
	var s string
	if err == nil {
		err = v.Get(&s)
	}
	fmt.Println(s, err)
	// Output:
	// no run context: add runctx.NewPlugin(…) to the Plugins of the client (or worker) options, or give it a run with runctx.WithRun(ctx, runctx.NewOffline(dir)) to run it outside Temporal <nil>
}

// Log appends to a metric's series, as Azure ML's run.log; the summary
// that goes to history keeps the last value, the record every point.
func ExampleRun_Log() {
	run := runctx.NewOffline(os.TempDir())
	for _, loss := range []float64{0.9, 0.4, 0.2} {
		run.Log("loss", loss)
	}
	run.Log("accuracy", 0.93)
	if err := run.LogList("fold_accuracy", []float64{0.9, 0.95, 0.94}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(run.GetMetrics())
	fmt.Println(run.Summary().Metrics, run.Summary().Status == runctx.StatusRunning)
	var points []runctx.Point = run.Record().Metrics["loss"]
	for _, p := range points {
		fmt.Println(p.Step, p.Value)
	}
	// Output:
	// map[accuracy:[0.93] fold_accuracy:[0.9 0.95 0.94] loss:[0.9 0.4 0.2]]
	// map[accuracy:0.93 loss:0.2] true
	// 0 0.9
	// 1 0.4
	// 2 0.2
}

// Tables are logged row by row (log_row) or whole (log_table), and stored
// by columns.
func ExampleRun_LogRow() {
	run := runctx.NewOffline(os.TempDir())
	for _, r := range []struct {
		model string
		mean  float64
	}{{"LR", 0.95}, {"SVM", 0.97}} {
		if err := run.LogRow("cross-validation", map[string]any{"model": r.model, "mean": r.mean}); err != nil {
			fmt.Println(err)
		}
	}
	err := run.LogRow("cross-validation", map[string]any{"model": "KNN"})
	fmt.Println(errors.Is(err, runctx.ErrInvalid), err)
	if err := run.LogTable("split", map[string][]any{"set": {"train", "validation"}, "rows": {120, 30}}); err != nil {
		fmt.Println(err)
	}
	tables := run.Record().Tables
	cv := tables["cross-validation"]
	fmt.Println(cv["model"], cv["mean"])
	fmt.Println(tables["split"]["set"], tables["split"]["rows"])
	// Output:
	// true runctx: invalid argument: table "cross-validation": row lacks column "mean"
	// [LR SVM] [0.95 0.97]
	// [train validation] [120 30]
}

// A confusion matrix is stored in Azure ML's schema, so tools that read
// Azure ML's form read it.
func ExampleRun_LogConfusionMatrix() {
	run := runctx.NewOffline(os.TempDir())
	labels := []string{"setosa", "versicolor", "virginica"}
	if err := run.LogConfusionMatrix("SVM", labels, [][]int{{10, 0, 0}, {0, 9, 1}, {0, 0, 10}}); err != nil {
		fmt.Println(err)
	}
	var cm runctx.ConfusionMatrix = run.Record().ConfusionMatrices["SVM"]
	fmt.Println(cm.SchemaType, cm.SchemaVersion, cm.Data.ClassLabels, cm.Data.Matrix)
	fmt.Println(run.LogConfusionMatrix("ragged", labels, [][]int{{1}}))
	// Output:
	// confusion_matrix 1.0.0 [setosa versicolor virginica] [[10 0 0] [0 9 1] [0 0 10]]
	// runctx: invalid argument: confusion matrix "ragged": 1 rows for 3 labels
}

// Artifacts go to the run's outputs folder: a prefix in the datastore in a
// pipeline, a local folder offline.
func ExampleRun_Upload() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	run := runctx.NewOffline(dir)
	ref, err := run.Upload(context.Background(), "model.json", "application/json", strings.NewReader(`{"type":"SVM"}`))
	fmt.Println(ref == run.OutputRef("model.json"), err)
	png := append([]byte("\x89PNG\r\n\x1a\n"), 0)
	fmt.Println(run.LogImage(context.Background(), "roc", png))
	fmt.Println(filepath.Rel(dir, run.Record().Images["roc"]))
	// Output:
	// true <nil>
	// <nil>
	// images/roc.png <nil>
}

// Properties are write-once: the same value again is a no-op (a retried
// step is safe), another value an error.
func ExampleRun_AddProperties() {
	run := runctx.NewOffline(os.TempDir())
	fmt.Println(run.AddProperties(map[string]string{"best_model": "SVM"}))
	fmt.Println(run.AddProperties(map[string]string{"best_model": "SVM"}))
	err := run.AddProperties(map[string]string{"best_model": "LR"})
	fmt.Println(errors.Is(err, runctx.ErrPropertyExists))
	fmt.Println(run.GetProperties())
	// Output:
	// <nil>
	// <nil>
	// true
	// map[best_model:SVM]
}

// Tags are mutable.
func ExampleRun_Tag() {
	run := runctx.NewOffline(os.TempDir())
	_ = run.Tag("stage", "dev")
	_ = run.SetTags(map[string]string{"stage": "prod", "owner": "ml"})
	run.RemoveTags("owner")
	fmt.Println(run.GetTags(), run.Name())
	// Output:
	// map[stage:prod] offline
}

// Complete ends the run: it writes the record, once, and returns the
// summary to return in the step's result. A failed step's record says so.
func ExampleRun_Complete() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	run := runctx.NewOffline(dir)
	run.Log("accuracy", 0.5)
	s, err := run.Complete(context.Background(), errors.New("data has no rows"))
	fmt.Println(s.Status, s.RecordRef == run.RecordRef(), err)
	var rec runctx.Record = run.Record()
	fmt.Println(rec.Status == runctx.StatusFailed, rec.Error, rec.Offline)
	// Output:
	// Failed true <nil>
	// true data has no rows true
}

// Parent is the pipeline run, as Azure ML's run.parent. Offline it does
// nothing, so a step runs the same outside Temporal.
func ExampleRun_Parent() {
	run := runctx.NewOffline(os.TempDir())
	parent := run.Parent()
	fmt.Println(parent.IsOffline())
	fmt.Println(parent.Tag("accuracy", "0.93"), parent.Flush())
	// Output:
	// true
	// <nil> <nil>
}

// A long step sends its parent changes as it goes (Flush), instead of
// letting them wait to ride in its result; the pipeline's verdict comes
// back (a write-once property given another value is refused).
func ExampleParent_Flush() {
	longStep := func(ctx context.Context, epochs int) (trainResult, error) {
		run, err := runctx.FromContext(ctx)
		if err != nil {
			return trainResult{}, err
		}
		parent := run.Parent()
		for epoch := range epochs {
			_ = parent.Log("epoch", float64(epoch))
			_ = parent.SetTags(map[string]string{"stage": "training", "epoch": fmt.Sprint(epoch)})
			if err := parent.Flush(); err != nil { // the Web UI shows it now
				return trainResult{}, err
			}
			activity.RecordHeartbeat(ctx, epoch)
		}
		_ = parent.RemoveTags("stage", "epoch")
		_ = parent.Apply(runctx.ParentChange{Tags: map[string]string{"accuracy": "0.93"}, Properties: map[string]string{"epochs": fmt.Sprint(epochs)}})
		if errors.Is(parent.Flush(), runctx.ErrPropertyExists) {
			return trainResult{}, temporal.NewNonRetryableApplicationError("another run trained this pipeline", "Conflict", nil)
		}
		s, err := run.Complete(ctx, nil)
		return trainResult{Step: s}, err
	}
	_ = longStep
}

// NewPlugin is the run context as a Temporal plugin: added once to the
// client's options, it gives every worker of that client the run context,
// the client External Storage, and the worker the search attributes its
// pipelines declare. The SDK calls its ConfigureClient, NewClient,
// ConfigureWorker, StartWorker and ConfigureWorkflowReplayer; you never do.
func ExampleNewPlugin() {
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{
		Runs:            "azblob://runs/ml-team",                                                  // default azblob://runs
		Azure:           datastore.AzureOptions{AccountURL: "https://acct.blob.core.windows.net"}, // default Azurite
		ExternalStorage: extstore.Config{Enabled: true, Threshold: extstore.DefaultThreshold, Container: extstore.DefaultContainer},
		ParentLinger:    4 * time.Second, // default 2 s
	})
	if err != nil {
		panic(err)
	}
	c, err := client.Dial(client.Options{HostPort: "localhost:7233", Plugins: []client.Plugin{plugin}})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	w := worker.New(c, "ml", worker.Options{})
	w.RegisterWorkflow(irisPipeline)
	w.RegisterActivity(train)
	w.RegisterActivity(register)
	if err := w.Run(worker.InterruptCh()); err != nil {
		fmt.Println(err) // e.g. the search attributes the pipelines declare cannot be created: ask an admin
	}
}

// NewPluginFromEnv reads the plugin's settings from the environment, as
// the project's programs do. The replayer of replay tests takes the same
// plugin, so that histories of pipelines replay as they ran.
func ExampleNewPluginFromEnv() {
	plugin, err := runctx.NewPluginFromEnv()
	if err != nil {
		panic(err)
	}
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{plugin}})
	if err != nil {
		panic(err)
	}
	replayer.RegisterWorkflow(irisPipeline)
	if err := replayer.ReplayWorkflowHistoryFromJSONFile(quiet, "testdata/pipeline.json"); err != nil {
		panic(err)
	}
}

// NewPluginFromEnv reads PIPELINE_RUNS, PIPELINE_LOCAL_ROOTS, the storage
// account (AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL)
// and the PIPELINE_EXTERNAL_STORAGE* settings; NewPlugin gives the same
// defaults to options left empty.
func ExampleNewPluginFromEnv_settings() {
	defer restoreEnv("PIPELINE_RUNS", "PIPELINE_LOCAL_ROOTS", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_URL", extstore.EnvDriver)()
	os.Setenv("PIPELINE_RUNS", "file:///srv/runs")
	os.Setenv("PIPELINE_LOCAL_ROOTS", "/srv/datasets:/mnt/shared")
	os.Setenv(extstore.EnvDriver, "off")
	os.Unsetenv("AZURE_STORAGE_CONNECTION_STRING")
	os.Unsetenv("AZURE_STORAGE_ACCOUNT_URL")
	plugin, err := runctx.NewPluginFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plugin.Name(), plugin.Runs(), plugin.Store().Local != nil)

	defaults, _ := runctx.NewPlugin(runctx.PluginOptions{})
	fmt.Println(defaults.Runs())
	// Output:
	// runctx file:///srv/runs true
	// azblob://runs
}

func restoreEnv(names ...string) func() {
	saved := map[string]*string{}
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			saved[n] = &v
		} else {
			saved[n] = nil
		}
	}
	return func() {
		for n, v := range saved {
			if v == nil {
				os.Unsetenv(n)
			} else {
				os.Setenv(n, *v)
			}
		}
	}
}

// modelPipeline is a pipeline that publishes four of its tags.
func modelPipeline(ctx workflow.Context) error { return nil }

// Declare maps a pipeline's parent tags to typed search attributes, once,
// from an init function. Tags that are not numbers where a number is
// declared are refused by the pipeline.
func ExampleDeclare() {
	attrs := []runctx.TagAttribute{
		runctx.Attribute[float64]("accuracy", "Accuracy"),
		runctx.Attribute[string]("best_model", "BestModel"),
		runctx.Attribute[bool]("registered", "ModelRegistered"),
		runctx.Attribute[int64]("version", "ModelVersion"),
	}
	runctx.Declare(modelPipeline, attrs...) // in an init function of the pipeline's package
	for _, a := range attrs {
		fmt.Println(a.Tag, "→", a.Attribute)
	}
	// Output:
	// accuracy → Accuracy
	// best_model → BestModel
	// registered → ModelRegistered
	// version → ModelVersion
}

// A starter sets the pipeline's Experiment search attribute; the pipeline
// is then found by experiment, and read through its queries, memo and
// search attributes.
func ExampleExperimentSearchAttributes() {
	ctx := context.Background()
	c, err := client.Dial(client.Options{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "iris-nightly-1", TaskQueue: "ml",
		TypedSearchAttributes: runctx.ExperimentSearchAttributes("iris"),
	}, irisPipeline, 0.9)
	if err != nil {
		panic(err)
	}
	var steps []runctx.StepInfo
	if v, err := c.QueryWorkflow(ctx, run.GetID(), "", runctx.QuerySteps); err == nil {
		_ = v.Get(&steps)
	}
	d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), "")
	if err != nil {
		panic(err)
	}
	memo := d.GetWorkflowExecutionInfo().GetMemo().GetFields()
	fmt.Println(memo["tags"], memo["properties"]) // the pipeline's tags and properties, JSON objects
	query := `Experiment = "iris" AND Accuracy > 0.9`
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		panic(err)
	}
	for _, e := range list.GetExecutions() {
		fmt.Println(e.GetExecution().GetWorkflowId())
	}
}

// Steps run in parallel; a selector picks the one that ends first.
func ExampleStepFuture_Future() {
	pipeline := func(ctx workflow.Context) error {
		ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
		if err != nil {
			return err
		}
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		lr := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train-lr"}, train, "lr")
		svm := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train-svm"}, train, "svm")
		var first trainResult
		sel := workflow.NewSelector(ctx)
		for _, f := range []*runctx.StepFuture{lr, svm} {
			sel.AddFuture(f.Future(), func(workflow.Future) { err = f.Get(ctx, &first) })
		}
		sel.Select(ctx)
		for _, f := range []*runctx.StepFuture{lr, svm} {
			if !f.IsReady() {
				_ = f.Get(ctx, nil) // wait for the other, and record its end
			}
		}
		return err
	}
	_ = pipeline
}

// A local step is a small step inside the workflow task; a child step a
// child workflow whose ID is the step's run ID.
func ExampleExecuteLocalStep() {
	lookup := func(ctx context.Context, model string) (float64, error) { return 0.9, nil }
	pipeline := func(ctx workflow.Context) error {
		ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{})
		if err != nil {
			return err
		}
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
		var champion float64
		if err := runctx.ExecuteLocalStep(lctx, runctx.StepOptions{Name: "lookup-champion"}, lookup, "iris").Get(ctx, &champion); err != nil {
			return err
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{})
		var res string
		return runctx.ExecuteChildStep(cctx, runctx.StepOptions{Name: "sweep"}, irisPipeline, champion).Get(ctx, &res)
	}
	_ = pipeline
}

// A step run by other means than ExecuteStep (here a plain activity) is
// recorded by hand; ExecuteStep and SkipStep make these calls.
func ExamplePipeline_StepEnded() {
	pipeline := func(ctx workflow.Context) (runctx.ParentRecord, error) {
		ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
		if err != nil {
			return runctx.ParentRecord{}, err
		}
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{ActivityID: "train", StartToCloseTimeout: time.Minute})
		p.StepStarted(ctx, "train")
		var tr trainResult
		err = workflow.ExecuteActivity(ctx, train, "iris.csv").Get(ctx, &tr)
		if err := p.StepEnded(ctx, "train", tr.RunSummary(), err); err != nil {
			return p.Record(), err
		}
		p.StepSkipped(ctx, "register", "dry run")
		err = p.Apply(ctx, runctx.ParentChange{Tags: map[string]string{"dry_run": "true"}})
		return p.Record(), err
	}
	_ = pipeline
}
