package testsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// bridgePy speaks the bridge protocol (internal/script/PROTOCOL.md) with
// the standard library only, so these tests need no client.
const bridgePy = `import json, os, sys, urllib.request

def call(method, path, body=None):
    req = urllib.request.Request(os.environ["RUNCTX_BRIDGE_URL"] + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + os.environ["RUNCTX_BRIDGE_TOKEN"], "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
`

// scriptWorker starts, on a namespace of its own, a worker of the product
// that runs snapshots (PIPELINE_SCRIPT_SNAPSHOTS=on), and returns the
// namespace.
func scriptWorker(t *testing.T) (string, client.Client) {
	t.Helper()
	ns := newNamespace(t)
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: stack.store, ParentLinger: 200 * time.Millisecond,
		ScriptSnapshots: true, ScriptDir: t.TempDir(), ScriptKillGrace: time.Second, ScriptClient: filepath.Join(repoRoot(t), "python")})
	require.NoError(t, err)
	opts := stack.server.ClientOptions()
	opts.Namespace, opts.Plugins = ns, []client.Plugin{plugin}
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := app.NewWorker(c, workflows.TaskQueue, stack.store, worker.Options{})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return ns, c
}

// starterIn runs the starter on namespace ns and returns its stdout,
// stderr and exit code.
func starterIn(t *testing.T, ns string, args ...string) (string, string, int) {
	t.Helper()
	cmd := starterCmd(t, args...)
	cmd.Env = append(cmd.Env, "TEMPORAL_NAMESPACE="+ns)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !assert.ErrorAs(t, err, &exit) {
		t.FailNow()
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

type scriptsJSON struct {
	WorkflowID string            `json:"workflow_id"`
	RunID      string            `json:"run_id"`
	Status     string            `json:"status"`
	StepRunID  string            `json:"step_run_id"`
	Snapshot   string            `json:"snapshot"`
	Outputs    map[string]string `json:"outputs"`
	Tags       map[string]string `json:"tags"`
	Properties map[string]string `json:"properties"`
	Error      string            `json:"error"`
	UIURL      string            `json:"ui_url"`
	Jobs       []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"jobs"`
}

// TestSubmitRunsAScript: `starter submit` snapshots a folder, runs its
// script as the one step of a pipeline on a worker that runs snapshots,
// with its input, its output and its arguments, and prints what the
// script recorded; the same folder is uploaded once.
func TestSubmitRunsAScript(t *testing.T) {
	ns, c := scriptWorker(t)
	require.NoError(t, put("azblob://datasets/submit/rows.csv", "1,2,3\n4,5,6\n"))
	src := filepath.Join(t.TempDir(), "trainer")
	writeFiles(t, src, map[string]string{
		"bridge.py": bridgePy,
		"train.py": `import os, sys
from bridge import call
rows = open(os.environ["AZUREML_DATAREFERENCE_rows"]).read().splitlines()
call("POST", "/v1/ops", {"ops": [
    {"op": "log", "name": "rows", "value": len(rows)},
    {"op": "tag", "target": "parent", "key": "accuracy", "value": "0.95"},
    {"op": "add_properties", "target": "parent", "properties": {"args": " ".join(sys.argv[1:])}},
]})
with open(os.path.join(os.environ["AZUREML_DATAREFERENCE_model"], "model.txt"), "w") as f:
    f.write("rows=%d\n" % len(rows))
print("trained on", len(rows), "rows")
`,
		"notes.log":  "not in the snapshot",
		".amlignore": "*.log\n",
	})
	args := []string{"submit", "-o", "json", "--source-directory", src, "--script", "train.py",
		"--input", "rows=azblob://datasets/submit/rows.csv", "--outputs", "model", "--", "--folds", "3"}
	stdout, stderr, code := starterIn(t, ns, args...)
	require.Equal(t, 0, code, stderr)
	var out scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "Completed", out.Status)
	assert.True(t, strings.HasPrefix(out.WorkflowID, "trainer-"), "the experiment is the folder's name: %s", out.WorkflowID)
	assert.Equal(t, out.WorkflowID+"_train", out.StepRunID)
	assert.Regexp(t, `^[0-9a-f]{64}$`, out.Snapshot)
	assert.Equal(t, "0.95", out.Tags["accuracy"])
	assert.Equal(t, "--folds 3", out.Properties["args"], "the arguments reach sys.argv verbatim")
	require.Contains(t, out.Outputs, "model")
	assert.Equal(t, "rows=2\n", readText(t, strings.TrimSuffix(out.Outputs["model"], "/")+"/model.txt"))
	assert.Contains(t, stderr, "snapshot "+out.Snapshot[:12])
	exportScripts(t, c, out.WorkflowID, out.RunID, "submit.json")
	assert.Contains(t, stderr, "3 files", ".amlignore, bridge.py and train.py: .amlignore excludes notes.log")

	show, stderr, code := starterIn(t, ns, "show", "-o", "json", out.WorkflowID)
	require.Equal(t, 0, code, stderr)
	var shown showJSON
	require.NoError(t, json.Unmarshal([]byte(show), &shown), show)
	require.Len(t, shown.Steps, 1)
	assert.Equal(t, out.Snapshot, shown.Steps[0].Properties["snapshot"], "starter show names the snapshot")

	logs, stderr, code := starterIn(t, ns, "logs", out.WorkflowID)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, logs, "trained on 2 rows", "starter logs prints the script's stdout")

	// The same folder again: the snapshot is already there, and the step
	// is reused (same script, arguments and input data).
	stdout, stderr, code = starterIn(t, ns, args...)
	require.Equal(t, 0, code, stderr)
	var again scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &again), stdout)
	assert.Equal(t, out.Snapshot, again.Snapshot)
}

type showJSON struct {
	Steps []struct {
		Name       string            `json:"name"`
		Status     string            `json:"status"`
		Properties map[string]string `json:"properties"`
	} `json:"steps"`
}

// TestSubmitRefusedWithoutSnapshots: the main test worker does not run
// snapshots; a submitted script fails at once, naming the setting.
func TestSubmitRefusedWithoutSnapshots(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"train.py": "print(1)\n"})
	started := time.Now()
	stdout, stderr, code := starter(t, "submit", "-o", "json", "--experiment", "it-nosnap", "--source-directory", src, "--script", "train.py")
	assert.Equal(t, 1, code, stderr)
	var out scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "Failed", out.Status)
	assert.Contains(t, out.Error, "PIPELINE_SCRIPT_SNAPSHOTS")
	assert.Less(t, time.Since(started), 20*time.Second)

	_, stderr, code = starter(t, "submit", "--source-directory", src, "--script", "missing.py")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "missing.py")
}

const pipelineYAML = `experiment: it-scripts
attributes:
  registered: RegisteredModel
  accuracy: {name: Accuracy, type: Double}
inputs:
  rows: azblob://datasets/submit/rows.csv
jobs:
  train:
    code: ./src
    command: python3 train.py --rows ${{inputs.rows}} --out ${{outputs.model}}
    inputs:
      rows: ${{parent.inputs.rows}}
    outputs:
      model: {}
  register:
    code: ./src
    command: python3 register.py
    display_name: register the model
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
    when: accuracy > 0.9 and best_model == "LR"
  deploy:
    code: ./src
    command: python3 register.py
    inputs:
      model: ${{parent.jobs.train.outputs.model}}
    when: accuracy > 0.99
  announce:
    code: ./src
    command: python3 register.py
    inputs:
      model: ${{parent.jobs.deploy.outputs.done}}
    outputs:
      none: {}
`

// TestRunPipelineFile runs a pipeline file: the register job runs after
// train and reads its output, because the accuracy tag train set on the
// pipeline passes its when; deploy's when fails, so it and the job that
// needs it are skipped with their reasons.
func TestRunPipelineFile(t *testing.T) {
	ns, c := scriptWorker(t)
	require.NoError(t, put("azblob://datasets/submit/rows.csv", "1,2,3\n4,5,6\n"))
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"src/bridge.py": bridgePy,
		"src/train.py": `import sys
from bridge import call
rows = open(sys.argv[2]).read().splitlines()
open(sys.argv[4] + "/model.txt", "w").write("LR %d" % len(rows))
call("POST", "/v1/ops", {"ops": [{"op": "tag", "target": "parent", "key": "accuracy", "value": "0.95"},
                                 {"op": "tag", "target": "parent", "key": "best_model", "value": "LR"}]})
`,
		"src/register.py": `import os
from bridge import call
model = open(os.path.join(os.environ["AZUREML_DATAREFERENCE_model"], "model.txt")).read()
call("POST", "/v1/ops", {"ops": [{"op": "tag", "target": "parent", "key": "registered", "value": model}]})
`,
	})
	// deploy has no output "done": add it so the file is valid.
	body := strings.Replace(pipelineYAML, "    when: accuracy > 0.99\n", "    when: accuracy > 0.99\n    outputs:\n      done: {}\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pipeline.yml"), []byte(body), 0o644))

	stdout, stderr, code := starterIn(t, ns, "run", "-o", "json", "--pipeline", filepath.Join(dir, "pipeline.yml"))
	require.Equal(t, 0, code, stderr)
	var out scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "Completed", out.Status)
	status := map[string]string{}
	reason := map[string]string{}
	for _, j := range out.Jobs {
		status[j.Name], reason[j.Name] = j.Status, j.Reason
	}
	assert.Equal(t, map[string]string{"train": "Completed", "register": "Completed", "deploy": "Skipped", "announce": "Skipped"}, status)
	assert.Equal(t, "LR 2", out.Tags["registered"], "register read train's output")
	assert.Contains(t, reason["deploy"], "when accuracy > 0.99: accuracy is 0.95")
	assert.Contains(t, reason["announce"], "needs deploy, which was Skipped")
	assert.True(t, strings.HasPrefix(out.WorkflowID, "it-scripts-"))
	exportScripts(t, c, out.WorkflowID, out.RunID, "pipeline-file-attributes.json")
	d, err := c.DescribeWorkflowExecution(context.Background(), out.WorkflowID, out.RunID)
	require.NoError(t, err)
	var registered string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["RegisteredModel"], &registered))
	assert.Equal(t, "LR 2", registered, "the file's attributes: the parent tag is a search attribute")

	// Again: the same jobs on the same data and snapshot are reused.
	stdout, stderr, code = starterIn(t, ns, "run", "-o", "json", "--pipeline", filepath.Join(dir, "pipeline.yml"))
	require.Equal(t, 0, code, stderr)
	var again scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &again), stdout)
	assert.Regexp(t, `(?m)^  train +Reused`, stderr, "the training job is reused")
	exportScripts(t, c, again.WorkflowID, again.RunID, "pipeline-file-attributes-reused.json")

	// A job that fails fails the pipeline, with its error; exit 1.
	failing := strings.Replace(body, "python3 register.py\n    display_name", "python3 fail.py\n    display_name", 1)
	writeFiles(t, dir, map[string]string{"failing.yml": failing, "src/fail.py": "raise ValueError('no model to register')\n"})
	stdout, stderr, code = starterIn(t, ns, "run", "-o", "json", "--pipeline", filepath.Join(dir, "failing.yml"))
	assert.Equal(t, 1, code, stderr)
	var failed scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &failed), stdout)
	assert.Equal(t, "Failed", failed.Status)
	assert.Contains(t, failed.Error, "ValueError: no model to register")
	exportScripts(t, c, failed.WorkflowID, failed.RunID, "pipeline-file-attributes-failed.json")

	// A bad file is refused before anything starts: exit 2, FILE:LINE:COL.
	bad := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(body, "accuracy > 0.99", "accuracy >> 0.99", 1)), 0o644))
	stdout, stderr, code = starterIn(t, ns, "run", "--pipeline", bad)
	assert.Equal(t, 2, code, stderr)
	assert.Empty(t, stdout)
	assert.Regexp(t, `bad\.yml:\d+:\d+: job deploy: when:`, stderr)
}

// TestExamplePipelineFile runs examples/scripts/pipeline.yml, the two
// Azure ML scripts on scikit-learn, through the starter: the same best
// model and accuracy as TrainingPipeline on the same data, the register
// job registers a version; under a when it cannot meet, the register job
// is skipped and nothing more is registered.
func TestExamplePipelineFile(t *testing.T) {
	// The scripts need Debian's python3 (scikit-learn, pandas), which
	// scripts/tools.sh installs; the worker's PATH finds it first, as the
	// demo's worker does.
	t.Setenv("PATH", "/usr/bin:"+os.Getenv("PATH"))
	ns, c := scriptWorker(t)
	root := repoRoot(t)
	file := filepath.Join(root, "examples", "scripts", "pipeline.yml")
	stdout, stderr, code := starterIn(t, ns, "run", "-o", "json", "--pipeline", file, "--input", "irisdata="+irisRef)
	require.Equal(t, 0, code, stderr)
	var out scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	require.Equal(t, "Completed", out.Status, out.Error)
	_, ref, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-example-ref", Data: irisRef, Threshold: 1.01, NoPictures: true})
	require.NoError(t, err)
	assert.Equal(t, ref.BestModel, out.Tags["best_model"], "the scripts and TrainingPipeline agree on the best model")
	acc, err := strconv.ParseFloat(out.Tags["accuracy"], 64)
	require.NoError(t, err)
	assert.InDelta(t, ref.Accuracy, acc, 1e-12, "and on its accuracy")
	assert.Equal(t, "true", out.Tags["model_registered"])
	exportScripts(t, c, out.WorkflowID, out.RunID, "example-registered.json")
	models, stderr, code := starterIn(t, ns, "models", "-o", "json", "iris_classifier_model")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, models, "ScikitLearn", "starter models shows the framework")
	before := strings.Count(models, `"version"`)

	high := filepath.Join(t.TempDir(), "pipeline.yml")
	body, err := os.ReadFile(file)
	require.NoError(t, err)
	body = []byte(strings.Replace(strings.Replace(string(body), "accuracy > 0.9", "accuracy > 0.99", 1), "./src", filepath.Join(root, "examples", "scripts", "src"), -1))
	require.NoError(t, os.WriteFile(high, body, 0o644))
	stdout, stderr, code = starterIn(t, ns, "run", "-o", "json", "--pipeline", high, "--input", "irisdata="+irisRef)
	require.Equal(t, 0, code, stderr)
	var skipped scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &skipped), stdout)
	require.Len(t, skipped.Jobs, 2)
	assert.Equal(t, "Skipped", skipped.Jobs[1].Status)
	assert.Contains(t, skipped.Jobs[1].Reason, "when accuracy > 0.99: accuracy is 0.966")
	models, _, _ = starterIn(t, ns, "models", "-o", "json", "iris_classifier_model")
	assert.Equal(t, before, strings.Count(models, `"version"`), "nothing more is registered")
	exportScripts(t, c, skipped.WorkflowID, skipped.RunID, "example-skipped.json")
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	return root
}

// exportScripts writes a script pipeline's history for the replay test in
// workflows, when PIPELINE_EXPORT_HISTORIES names a folder:
//
//	PIPELINE_EXPORT_HISTORIES=$PWD/workflows/testdata/scripts go test -run 'TestSubmitRunsAScript|TestRunPipelineFile' ./testsuite
func exportScripts(t *testing.T, c client.Client, workflowID, runID, name string) {
	if dir := os.Getenv(envExportPipelineHistories); dir != "" {
		exportHistoryFrom(t, c, workflowID, runID, filepath.Join(dir, name))
	}
}
