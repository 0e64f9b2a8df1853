// Package scripts tests script steps (runctx.ExecuteScriptStep) on the
// real stack: a Temporal dev server, Azurite, and workers of the runctx
// plugin in this process, one with script steps on and one with them off.
package scripts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Task queues of the two workers.
const (
	queueOn  = "scripts-on"
	queueOff = "scripts-off"
)

// maxOutput is the script worker's bound on each uploaded folder.
const maxOutput = 1 << 20

// workerSecrets are in the worker's environment; no script may see them.
var workerSecrets = map[string]string{
	"AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleQ==",
	"AZURE_STORAGE_KEY":               "c2VjcmV0LWtleQ==",
	"AZURE_STORAGE_SAS_TOKEN":         "sv=2022-11-02&sig=c2VjcmV0",
	"TEMPORAL_API_KEY":                "secret-temporal-api-key",
}

var stack struct {
	dir     string // the test's folder
	roots   string // the script root: sources live under it
	data    string // the local data root
	store   datastore.Resolver
	client  client.Client
	clients []client.Client
}

func TestMain(m *testing.M) {
	code, err := runTests(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "script stack:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runTests(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "pipeline-scripts-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	stack.dir, stack.roots, stack.data = dir, filepath.Join(dir, "scripts"), filepath.Join(dir, "data")
	for _, d := range []string{stack.roots, stack.data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	for k, v := range workerSecrets {
		os.Setenv(k, v)
	}
	az, err := devstack.StartAzurite(filepath.Join(dir, "azurite"))
	if err != nil {
		return 0, err
	}
	defer az.Discard()
	srv, err := devstack.StartDevServer(dir, devstack.DevServerOptions{})
	if err != nil {
		return 0, err
	}
	defer srv.Stop()
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: az.ConnectionString()})
	if err != nil {
		return 0, err
	}
	stack.store = datastore.Resolver{Blob: blob, Local: datastore.NewLocalRoots(stack.data)}
	on := runctx.PluginOptions{ScriptRoots: []string{stack.roots}, ScriptMaxOutputBytes: maxOutput, ScriptKillGrace: time.Second, ScriptDir: filepath.Join(dir, "steps")}
	for _, w := range []struct {
		queue string
		opts  runctx.PluginOptions
	}{{queueOn, on}, {queueOff, runctx.PluginOptions{}}} {
		w.opts.Store, w.opts.ParentLinger = stack.store, 200*time.Millisecond
		plugin, err := runctx.NewPlugin(w.opts)
		if err != nil {
			return 0, err
		}
		opts := srv.ClientOptions()
		opts.Plugins = []client.Plugin{plugin}
		c, err := client.Dial(opts)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		wk := worker.New(c, w.queue, worker.Options{})
		wk.RegisterWorkflowWithOptions(ScriptPipeline, workflow.RegisterOptions{Name: "ScriptPipeline"})
		if err := wk.Start(); err != nil {
			return 0, err
		}
		defer wk.Stop()
		stack.clients = append(stack.clients, c)
	}
	stack.client = stack.clients[0]
	if err := os.MkdirAll(filepath.Join(dir, "steps"), 0o755); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// PipelineInput is ScriptPipeline's input: script steps run one after
// the other.
type PipelineInput struct {
	Steps []runctx.ScriptStep
}

// PipelineResult is each step's result and the pipeline's record.
type PipelineResult struct {
	Steps  []runctx.ScriptResult
	Parent runctx.ParentRecord
}

// ScriptPipeline runs its script steps in order.
func ScriptPipeline(ctx workflow.Context, in PipelineInput) (PipelineResult, error) {
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "scripts"})
	if err != nil {
		return PipelineResult{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 2 * time.Minute, HeartbeatTimeout: 3 * time.Second})
	var out PipelineResult
	for _, s := range in.Steps {
		var r runctx.ScriptResult
		if err := runctx.ExecuteScriptStep(ctx, s).Get(ctx, &r); err != nil {
			return out, err
		}
		out.Steps = append(out.Steps, r)
	}
	out.Parent = p.Record()
	return out, nil
}

// source writes files into a new source folder under the script root.
func source(t *testing.T, files map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp(stack.roots, "src-")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runPipeline starts the pipeline on queue and waits for it.
func runPipeline(t *testing.T, queue string, steps ...runctx.ScriptStep) (PipelineResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := clientOptions("scripts-" + strings.ReplaceAll(t.Name(), "/", "-"))
	o.TaskQueue = queue
	run, err := stack.client.ExecuteWorkflow(ctx, o, "ScriptPipeline", PipelineInput{Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	var out PipelineResult
	err = run.Get(ctx, &out)
	return out, err
}

// clientOptions starts a pipeline with a new ID on the script worker.
func clientOptions(prefix string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: prefix + "-" + fmt.Sprint(time.Now().UnixNano()), TaskQueue: queueOn}
}
