package runctx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// scriptPipeline runs a training script as a step and reads the tag it
// set, as it would a Go step's.
func scriptPipeline(ctx workflow.Context, source string) (string, error) {
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
	if err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var res runctx.ScriptResult
	err = runctx.ExecuteScriptStep(ctx, runctx.ScriptStep{
		Source:    source,
		Script:    "train.sh",
		Command:   "sh",
		Arguments: []string{"--k", "5"},
		Outputs:   []string{"model"},
	}).Get(ctx, &res)
	if err != nil {
		return "", err
	}
	acc, err := res.Step.Tag("accuracy")
	return fmt.Sprintf("step %s: accuracy %s, exit %d, model output %t", res.Step.Name, acc, res.ExitCode, res.Outputs["model"] != ""), err
}

// A script step runs a script on a worker whose operator allows its
// source folder (PluginOptions.ScriptRoots, PIPELINE_SCRIPT_ROOTS); the script
// records through the bridge of internal/script/PROTOCOL.md (here with
// curl), and its result carries its summary and a reference per named
// output. Here the pipeline runs on the SDK's test environment, with the
// plugin attached as on a real worker.
func ExampleExecuteScriptStep() {
	dir, _ := os.MkdirTemp("", "runctx-example-")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "scripts", "iris")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "train.sh"), []byte(`
curl -sf -X POST -H "Authorization: Bearer $RUNCTX_BRIDGE_TOKEN" "$RUNCTX_BRIDGE_URL/v1/ops" \
  -d '{"ops": [{"op": "log", "name": "accuracy", "value": 0.93}, {"op": "tag", "key": "accuracy", "value": "0.93"}]}' >/dev/null
echo "k=$2" > "$AZUREML_DATAREFERENCE_model/params.txt"
`), 0o644)
	local := datastore.NewLocal(dir)
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{
		Runs:        "file:///runs",
		Store:       datastore.Resolver{Local: local, Blob: local},
		ScriptRoots: []string{filepath.Join(dir, "scripts")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet)
	env := ts.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	env.RegisterWorkflow(scriptPipeline)
	env.ExecuteWorkflow(scriptPipeline, src)
	var res string
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res)
	// Output:
	// step train: accuracy 0.93, exit 0, model output true
}

// On a worker whose operator did not turn script steps on, a script step
// fails at once with a non-retryable error that names the setting.
func ExamplePluginOptions_scriptStepsOff() {
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
	env.RegisterWorkflow(scriptPipeline)
	env.ExecuteWorkflow(scriptPipeline, dir)
	var app *temporal.ApplicationError
	if errors.As(env.GetWorkflowError(), &app) {
		fmt.Println(app.Type(), app.NonRetryable())
		fmt.Println(app.Message())
	}
	// Output:
	// ScriptRefused true
	// runctx: script steps are off on this worker: its operator turns them on with PIPELINE_SCRIPT_ROOTS (folders scripts may run from) or PIPELINE_SCRIPT_SNAPSHOTS=on (snapshots sent by starters)
}

// A script step's result carries its summary: the workflow reads its
// tags, and its parent changes reach the pipeline, as a Go step's do.
func ExampleScriptResult_RunSummary() {
	res := runctx.ScriptResult{
		Step:    runctx.Summary{RunID: "iris-1_train", Name: "train", Tags: map[string]string{"accuracy": "0.93"}},
		Outputs: map[string]string{"model": "azblob://runs/iris/iris-1/train/data/model"},
	}
	acc, _ := res.RunSummary().FloatTag("accuracy")
	fmt.Println(acc, res.Outputs["model"])
	// Output:
	// 0.93 azblob://runs/iris/iris-1/train/data/model
}

// A script step is the activity input: what goes into history is the
// step's description (no secret belongs in Env), never its retry policy,
// which the workflow sets on the activity.
func ExampleScriptStep() {
	s := runctx.ScriptStep{
		Source:      "/srv/scripts/iris",
		Script:      "train.py",
		Arguments:   []string{"--k", "5"},
		Inputs:      map[string]string{"data": "azblob://workspaceblobstore/data/sample_data.csv"},
		Outputs:     []string{"model"},
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 2},
	}
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	// Output:
	// {"name":"","source":"/srv/scripts/iris","script":"train.py","arguments":["--k","5"],"inputs":{"data":"azblob://workspaceblobstore/data/sample_data.csv"},"outputs":["model"]}
}
