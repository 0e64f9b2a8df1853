package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// bridgePy is a minimal client of the bridge (PROTOCOL.md) with the
// standard library, as a script of any language could write one.
const bridgePy = `
import json, os, urllib.request, urllib.error

def call(method, path, body=None):
    req = urllib.request.Request(os.environ["RUNCTX_BRIDGE_URL"] + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + os.environ["RUNCTX_BRIDGE_TOKEN"], "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)

def ops(*ops):
    return call("POST", "/v1/ops", {"ops": list(ops)})
`

const trainPy = `
import json, os, sys
from bridge import call, ops

data = os.environ["AZUREML_DATAREFERENCE_data"]
assert data.endswith("/datasets/scripts/sample.csv"), data
rows = open(data).read().splitlines()
# Inputs are read-only (the mode; root, which tests may run as, ignores it).
assert os.stat(data).st_mode & 0o777 == 0o444, oct(os.stat(data).st_mode)
print("args", sys.argv[1:])
code, body = ops({"op": "log", "name": "accuracy", "value": 0.5},
                 {"op": "log", "name": "accuracy", "value": 0.75},
                 {"op": "tag", "target": "parent", "key": "best", "value": "0.75"},
                 {"op": "add_properties", "properties": {"algo": "knn"}})
assert code == 200 and body["applied"] == 4, (code, body)
code, body = ops({"op": "add_properties", "properties": {"algo": "svm"}})
assert code == 409 and body["error"]["type"] == "PropertyExists", (code, body)
code, body = ops({"op": "add_properties", "target": "parent", "properties": {"dataset": "sample"}})
assert code == 200, body
code, body = ops({"op": "add_properties", "target": "parent", "properties": {"dataset": "other"}})
assert code == 409, (code, body)
code, parent = call("GET", "/v1/parent")
assert code == 200 and parent["tags"]["best"] == "0.75", parent
code, run = call("GET", "/v1/run")
assert run["metrics"]["accuracy"] == [0.5, 0.75], run
out = os.environ["AZUREML_DATAREFERENCE_model"]
open(os.path.join(out, "model.txt"), "w").write("rows=%d" % len(rows))
open("outputs/report.txt", "w").write("ok")
print("trained on", len(rows), "rows")
`

// readTags is a shell step: it reads the parent's tags with curl and tags
// its own run with what it read.
const readTagsSh = `
set -e
auth="Authorization: Bearer $RUNCTX_BRIDGE_TOKEN"
best=$(curl -sf -H "$auth" "$RUNCTX_BRIDGE_URL/v1/parent" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"]["best"])')
children=$(curl -sf -H "$auth" "$RUNCTX_BRIDGE_URL/v1/children" | /usr/bin/python3 -c 'import json,sys; print(",".join(c["name"] for c in json.load(sys.stdin)["children"]))')
curl -sf -H "$auth" -H 'Content-Type: application/json' -X POST "$RUNCTX_BRIDGE_URL/v1/ops" \
  -d "{\"ops\":[{\"op\":\"tag\",\"key\":\"parent_best\",\"value\":\"$best\"},{\"op\":\"tag\",\"key\":\"children\",\"value\":\"$children\"},{\"op\":\"log\",\"target\":\"parent\",\"name\":\"steps\",\"value\":2}]}"
ls "$AZUREML_DATAREFERENCE_model"
echo "read best=$best"
`

// need skips t when a program a script of it runs is missing (the
// Makefile's tools install them).
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed: %v", p, err)
		}
	}
}

func TestPythonAndShellSteps(t *testing.T) {
	need(t, "/usr/bin/python3", "curl")
	put(t, "azblob://datasets/scripts/sample.csv", "1,2,a\n3,4,b\n")
	src := source(t, map[string]string{"bridge.py": bridgePy, "train.py": trainPy, "read_tags.sh": readTagsSh})
	start := time.Now()
	out, err := runPipeline(t, queueOn,
		runctx.ScriptStep{Source: src, Script: "train.py", Command: "/usr/bin/python3", Arguments: []string{"--k", "3 5"},
			Inputs: map[string]string{"data": "azblob://datasets/scripts/sample.csv"}, Outputs: []string{"model"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	train := out.Steps[0]
	t.Logf("python step pipeline in %v", time.Since(start))

	if train.Step.Name == "" || train.Step.Metrics["accuracy"] != 0.75 || train.Step.Properties["algo"] != "knn" {
		t.Errorf("train summary %+v", train.Step)
	}
	if out.Parent.Tags["best"] != "0.75" || out.Parent.Properties["dataset"] != "sample" {
		t.Errorf("parent %+v", out.Parent)
	}
	if got := read(t, train.Outputs["model"]+"/model.txt"); got != "rows=2" {
		t.Errorf("output model.txt %q", got)
	}
	if got := read(t, train.Log); !strings.Contains(got, "args ['--k', '3 5']") || !strings.Contains(got, "trained on 2 rows") {
		t.Errorf("std_log.txt %q", got)
	}
	if got := read(t, strings.TrimSuffix(train.Log, "logs/std_log.txt")+"outputs/report.txt"); got != "ok" {
		t.Errorf("outputs/report.txt %q", got)
	}

	// A later shell step reads the parent's tags the python step set, and
	// takes the python step's output as its input.
	start = time.Now()
	out, err = runPipeline(t, queueOn,
		runctx.ScriptStep{Source: src, Script: "train.py", Command: "/usr/bin/python3",
			Inputs: map[string]string{"data": "azblob://datasets/scripts/sample.csv"}, Outputs: []string{"model"}},
		runctx.ScriptStep{Name: "read", Source: src, Script: "read_tags.sh", Command: "sh", Inputs: map[string]string{"model": train.Outputs["model"]}},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("python + shell pipeline in %v", time.Since(start))
	rd := out.Steps[1]
	if rd.Step.Tags["parent_best"] != "0.75" || rd.Step.Tags["children"] != "train,read" {
		t.Errorf("read step's tags %v", rd.Step.Tags)
	}
	if out.Parent.Metrics["steps"][0] != 2 {
		t.Errorf("parent metrics %v", out.Parent.Metrics)
	}
	if got := read(t, rd.Log); !strings.Contains(got, "model.txt") || !strings.Contains(got, "read best=0.75") {
		t.Errorf("read's log %q", got)
	}
}

func TestScriptFails(t *testing.T) {
	need(t, "/usr/bin/python3")
	src := source(t, map[string]string{
		"fail.sh":  "echo working\necho 'first problem' >&2\necho 'RuntimeError: the last line' >&2\nexit 1\n",
		"raise.py": "def f():\n    raise ValueError('bad value 42')\nf()\n",
	})
	tests := []struct {
		name, script, command, want string
	}{
		{"exit 1", "fail.sh", "sh", "RuntimeError: the last line"},
		{"raises", "raise.py", "/usr/bin/python3", "ValueError: bad value 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := runPipeline(t, queueOn, runctx.ScriptStep{Source: src, Script: tt.script, Command: tt.command})
			app := appError(t, err)
			if app.Type() != "ScriptFailed" || !strings.Contains(app.Error(), "exited with status 1: "+tt.want) {
				t.Errorf("error %s: %v", app.Type(), app)
			}
			if rs := retryState(err); rs != enums.RETRY_STATE_NON_RETRYABLE_FAILURE {
				t.Errorf("retry state %v: a failing script is not retried by default", rs)
			}
			t.Logf("failed in %v", time.Since(start))
		})
	}
}

func TestScriptRefused(t *testing.T) {
	src := source(t, map[string]string{"ok.sh": "exit 0\n", "big.sh": "head -c 2000000 /dev/zero > \"$AZUREML_DATAREFERENCE_out/big\"\n"})
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "ok.sh"), []byte("exit 0\n"), 0o644)
	tests := []struct {
		name  string
		queue string
		step  runctx.ScriptStep
		want  string
	}{
		{"scripts off", queueOff, runctx.ScriptStep{Source: src, Script: "ok.sh", Command: "sh"}, settings.EnvScriptRoots},
		{"snapshots off", queueOn, runctx.ScriptStep{Source: "snapshot:abc", Script: "ok.sh", Command: "sh"}, settings.EnvScriptSnapshots + "=on"},
		{"source outside the roots", queueOn, runctx.ScriptStep{Source: outside, Script: "ok.sh", Command: "sh"}, "outside the script roots"},
		{"input outside the roots", queueOn, runctx.ScriptStep{Source: src, Script: "ok.sh", Command: "sh", Inputs: map[string]string{"x": "file:///etc/passwd"}}, "outside the configured roots"},
		{"missing input", queueOn, runctx.ScriptStep{Source: src, Script: "ok.sh", Command: "sh", Inputs: map[string]string{"x": "azblob://datasets/none/none.csv"}}, "not found"},
		{"output over the limit", queueOn, runctx.ScriptStep{Source: src, Script: "big.sh", Command: "sh", Outputs: []string{"out"}}, "more than the limit of 1048576 bytes"},
		{"no such command", queueOn, runctx.ScriptStep{Source: src, Script: "ok.sh", Command: "no-such-interpreter"}, "executable file not found"},
		{"bad env", queueOn, runctx.ScriptStep{Source: src, Script: "ok.sh", Command: "sh", Env: map[string]string{"RUNCTX_BRIDGE_URL": "x"}}, "run context's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := runPipeline(t, tt.queue, tt.step)
			app := appError(t, err)
			if app.Type() != "ScriptRefused" || !app.NonRetryable() || !strings.Contains(app.Error(), tt.want) {
				t.Errorf("error %s (non-retryable %v): %v; want it to name %q", app.Type(), app.NonRetryable(), app, tt.want)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("refused after %v", d)
			}
			t.Logf("refused in %v", time.Since(start))
		})
	}
}

func TestScriptEnvHoldsNoWorkerCredential(t *testing.T) {
	src := source(t, map[string]string{"env.sh": "env > \"$AZUREML_DATAREFERENCE_env/env.txt\"\ncat \"$AZUREML_DATAREFERENCE_local\" >> \"$AZUREML_DATAREFERENCE_env/env.txt\"\n"})
	if err := os.WriteFile(filepath.Join(stack.data, "local.csv"), []byte("LOCAL_INPUT_READ\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := "file://" + filepath.ToSlash(filepath.Join(stack.data, "local.csv"))
	out, err := runPipeline(t, queueOn, runctx.ScriptStep{Source: src, Script: "env.sh", Command: "sh", Outputs: []string{"env"}, Env: map[string]string{"MODE": "test"},
		Inputs: map[string]string{"local": local}})
	if err != nil {
		t.Fatal(err)
	}
	env := read(t, out.Steps[0].Outputs["env"]+"/env.txt")
	for k, v := range workerSecrets {
		if strings.Contains(env, k) || strings.Contains(env, v) {
			t.Errorf("the script sees the worker's %s", k)
		}
	}
	for _, want := range []string{"MODE=test", "AZUREML_RUN_ID=" + out.Steps[0].Step.RunID, "AZUREML_EXPERIMENT_NAME=scripts", "AZUREML_RUN_NAME=env", "RUNCTX_BRIDGE_TOKEN=", "LOCAL_INPUT_READ",
		"AZUREML_DATAREFERENCE_local=" + "/", filepath.Join(stack.data, "local.csv") + "\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %s:\n%s", want, env)
		}
	}
}

func TestScriptForkedChildEnds(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	src := source(t, map[string]string{"fork.sh": "(trap '' TERM; exec sleep 300) &\necho $! > \"$PIDFILE\"\necho forked\n"})
	start := time.Now()
	if _, err := runPipeline(t, queueOn, runctx.ScriptStep{Source: src, Script: "fork.sh", Command: "sh", Env: map[string]string{"PIDFILE": pidFile}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("pipeline in %v", time.Since(start))
	devstack.WaitGone(t, devstack.ReadPid(t, pidFile, 30*time.Second), 2*time.Second)
}

func TestScriptCancelled(t *testing.T) {
	dir := t.TempDir()
	src := source(t, map[string]string{"hang.sh": "trap '' TERM\nsleep 300 &\necho $! > \"$DIR/child.pid\"\necho $$ > \"$DIR/main.pid\"\necho waiting for the child\nwait\n"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := stack.client.ExecuteWorkflow(ctx, clientOptions("scripts-cancel"), "ScriptPipeline",
		PipelineInput{Steps: []runctx.ScriptStep{{Source: src, Script: "hang.sh", Command: "sh", Env: map[string]string{"DIR": dir}}}})
	if err != nil {
		t.Fatal(err)
	}
	main := devstack.ReadPid(t, filepath.Join(dir, "main.pid"), 30*time.Second)
	child := devstack.ReadPid(t, filepath.Join(dir, "child.pid"), 30*time.Second)
	// The script's last line is the step's heartbeat detail: its progress.
	if got := progress(t, run.GetID()); got != "waiting for the child" {
		t.Errorf("heartbeat details %q", got)
	}
	start := time.Now()
	if err := stack.client.CancelWorkflow(ctx, run.GetID(), run.GetRunID()); err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); !temporal.IsCanceledError(err) {
		t.Errorf("pipeline: %v, want cancelled", err)
	}
	devstack.WaitGone(t, main, 15*time.Second)
	devstack.WaitGone(t, child, 2*time.Second)
	t.Logf("process group gone %v after the cancel", time.Since(start))
}

// TestScriptWorkerStops stops the worker running a script: the script's
// process group ends with it, and the step runs again on another worker.
func TestScriptWorkerStops(t *testing.T) {
	const queue = "scripts-stop"
	newWorker := func() worker.Worker {
		w := worker.New(stack.client, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(ScriptPipeline, workflow.RegisterOptions{Name: "ScriptPipeline"})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	dir := t.TempDir()
	src := source(t, map[string]string{"once.sh": `
if [ ! -f "$DIR/started" ]; then
  touch "$DIR/started"
  trap '' TERM
  sleep 300 &
  echo $! > "$DIR/child.pid"
  wait
fi
echo "attempt $AZUREML_RUN_ID ran to the end"
`})
	first := newWorker()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := clientOptions("scripts-stop")
	o.TaskQueue = queue
	run, err := stack.client.ExecuteWorkflow(ctx, o, "ScriptPipeline",
		PipelineInput{Steps: []runctx.ScriptStep{{Source: src, Script: "once.sh", Command: "sh", Env: map[string]string{"DIR": dir}}}})
	if err != nil {
		t.Fatal(err)
	}
	child := devstack.ReadPid(t, filepath.Join(dir, "child.pid"), 30*time.Second)
	start := time.Now()
	first.Stop()
	devstack.WaitGone(t, child, 5*time.Second)
	t.Logf("process group gone %v after the worker's stop", time.Since(start))
	second := newWorker()
	defer second.Stop()
	var out PipelineResult
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("the step ran again and the pipeline ended %v after the stop", time.Since(start))
	if got := read(t, out.Steps[0].Log); !strings.Contains(got, "ran to the end") {
		t.Errorf("second attempt's log %q", got)
	}
}

func TestScriptReadsModels(t *testing.T) {
	need(t, "curl")
	reg := registry.New(stack.store.Blob)
	if _, err := reg.Register(context.Background(), registry.RegisterRequest{Name: "iris-script", Model: []byte(`{"k":5}`), Accuracy: 0.9,
		Framework: "ScikitLearn", Tags: map[string]string{"k": "5"}, Run: registry.RunRef{WorkflowID: "wf", RunID: "r1", StepRunID: "wf_train"}, FirstAttempt: true}); err != nil {
		t.Fatal(err)
	}
	src := source(t, map[string]string{"models.sh": `
auth="Authorization: Bearer $RUNCTX_BRIDGE_TOKEN"
code() { curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$@"; }
curl -sf -H "$auth" "$RUNCTX_BRIDGE_URL/v1/models/iris-script" > "$AZUREML_DATAREFERENCE_out/model.json"
echo "v1 $(code "$RUNCTX_BRIDGE_URL/v1/models/iris-script?version=1")" >> "$AZUREML_DATAREFERENCE_out/codes.txt"
echo "v2 $(code "$RUNCTX_BRIDGE_URL/v1/models/iris-script?version=2")" >> "$AZUREML_DATAREFERENCE_out/codes.txt"
echo "none $(code "$RUNCTX_BRIDGE_URL/v1/models/none")" >> "$AZUREML_DATAREFERENCE_out/codes.txt"
echo "register $(code -X POST -d '{"model_name":"m","model_path":"outputs/none.pkl"}' "$RUNCTX_BRIDGE_URL/v1/models")" >> "$AZUREML_DATAREFERENCE_out/codes.txt"
`})
	out, err := runPipeline(t, queueOn, runctx.ScriptStep{Source: src, Script: "models.sh", Command: "sh", Outputs: []string{"out"}})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name      string
		Version   int
		RunID     string `json:"run_id"`
		Framework string
		Tags      map[string]string
	}
	if err := json.Unmarshal([]byte(read(t, out.Steps[0].Outputs["out"]+"/model.json")), &m); err != nil {
		t.Fatal(err)
	}
	if m.Name != "iris-script" || m.Version != 1 || m.RunID != "wf_train" || m.Framework != "ScikitLearn" || m.Tags["k"] != "5" {
		t.Errorf("model %+v", m)
	}
	if got, want := read(t, out.Steps[0].Outputs["out"]+"/codes.txt"), "v1 200\nv2 404\nnone 404\nregister 404\n"; got != want {
		t.Errorf("answers %q, want %q", got, want)
	}
}

// progress waits for the heartbeat details of the pipeline's running
// step and returns its line.
func progress(t *testing.T, workflowID string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		d, err := stack.client.DescribeWorkflowExecution(context.Background(), workflowID, "")
		if err != nil {
			t.Fatal(err)
		}
		if pa := d.GetPendingActivities(); len(pa) == 1 && pa[0].GetHeartbeatDetails() != nil {
			var p struct{ Line string } // the script step's heartbeat detail
			if err := converter.GetDefaultDataConverter().FromPayloads(pa[0].GetHeartbeatDetails(), &p); err == nil && p.Line != "" {
				return p.Line
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ""
}

func TestScriptReused(t *testing.T) {
	need(t, "curl")
	count := filepath.Join(t.TempDir(), "runs")
	src := source(t, map[string]string{"count.sh": `
echo run >> "$COUNT"
curl -sf -X POST -H "Authorization: Bearer $RUNCTX_BRIDGE_TOKEN" "$RUNCTX_BRIDGE_URL/v1/ops" \
  -d '{"ops":[{"op":"tag","key":"n","value":"1"},{"op":"tag","target":"parent","key":"counted","value":"yes"}]}' >/dev/null
echo 1 > "$AZUREML_DATAREFERENCE_out/n.txt"
`})
	put(t, "azblob://datasets/scripts/reuse.csv", "a\n1\n")
	step := runctx.ScriptStep{Source: src, Script: "count.sh", Command: "sh", Reuse: true, Env: map[string]string{"COUNT": count},
		Inputs: map[string]string{"data": "azblob://datasets/scripts/reuse.csv"}, Outputs: []string{"out"}}
	first, err := runPipeline(t, queueOn, step)
	if err != nil {
		t.Fatal(err)
	}
	second, err := runPipeline(t, queueOn, step)
	if err != nil {
		t.Fatal(err)
	}
	s := second.Steps[0]
	if s.Step.Status != runctx.StatusReused || s.Step.ReusedFrom != first.Steps[0].Step.RunID || s.Step.Tags["n"] != "1" {
		t.Errorf("second run's step %+v, want it reused from %s", s.Step, first.Steps[0].Step.RunID)
	}
	if second.Parent.Tags["counted"] != "yes" || s.Outputs["out"] != first.Steps[0].Outputs["out"] {
		t.Errorf("second run: parent tags %v, outputs %v", second.Parent.Tags, s.Outputs)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "run") != 1 {
		t.Errorf("the script ran %d times, want once", strings.Count(string(b), "run"))
	}
	// New input data (another ETag) runs the script again.
	put(t, "azblob://datasets/scripts/reuse.csv", "a\n2\n")
	if _, err := runPipeline(t, queueOn, step); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "run") != 2 {
		t.Errorf("after the data changed the script ran %d times in all, want 2", strings.Count(string(b), "run"))
	}
}

func put(t *testing.T, ref, body string) {
	t.Helper()
	r, err := datastore.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stack.store.Write(context.Background(), r, strings.NewReader(body), datastore.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, ref string) string {
	t.Helper()
	r, err := datastore.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := stack.store.Read(context.Background(), r)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		t.Fatalf("error %v, want an application error", err)
	}
	return app
}

func retryState(err error) enums.RetryState {
	var act *temporal.ActivityError
	if errors.As(err, &act) {
		return act.RetryState()
	}
	return enums.RETRY_STATE_UNSPECIFIED
}
