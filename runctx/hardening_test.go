package runctx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Issue 15 (hardening): names that become paths are refused, never
// cleaned, and steps with a heartbeat timeout heartbeat on their own.

// namedPipeline starts a pipeline with opts and runs writeStep in it.
func namedPipeline(ctx workflow.Context, opts PipelineOptions) error {
	ctx, _, err := StartPipeline(ctx, opts)
	if err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	return workflow.ExecuteActivity(ctx, writeStep).Get(ctx, nil)
}

// plainWorkflow runs writeStep without a pipeline.
func plainWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	return workflow.ExecuteActivity(ctx, writeStep).Get(ctx, nil)
}

// writeStep uploads one file into its run's outputs.
func writeStep(ctx context.Context) error {
	run, err := FromContext(ctx)
	if err != nil {
		return err
	}
	_, err = run.Upload(ctx, "out.txt", "text/plain", strings.NewReader("x"))
	return err
}

// envOn returns a test environment whose runs record under a temporary
// folder, and that folder's root.
func envOn(t *testing.T) (*testsuite.TestWorkflowEnvironment, string) {
	root := t.TempDir()
	local := datastore.NewLocal(root)
	plugin, err := NewPlugin(PluginOptions{Runs: "file:///runs/a/b", Store: datastore.Resolver{Local: local, Blob: local}})
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	env.RegisterActivity(writeStep)
	return env, root
}

// files lists the files under root, relative to it.
func files(t *testing.T, root string) []string {
	var out []string
	require.NoError(t, filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	return out
}

// TestStartPipelineRefusesPathNames: a workflow ID, experiment or outputs
// that would escape the pipeline's folder fails the pipeline with a
// non-retryable InvalidName error before any step runs; nothing is written.
func TestStartPipelineRefusesPathNames(t *testing.T) {
	tests := []struct {
		name, id string
		opts     PipelineOptions
		want     string
	}{
		{"workflow ID with ..", "a/../victim", PipelineOptions{Experiment: "iris"}, "workflow ID"},
		{"workflow ID up to the registry", "../../models/x", PipelineOptions{Experiment: "iris"}, "workflow ID"},
		{"experiment with ..", "wf", PipelineOptions{Experiment: "../models"}, "experiment"},
		{"outputs with ..", "wf", PipelineOptions{Experiment: "iris", Outputs: "azblob://runs/a/../../models"}, "outputs"},
		{"outputs of unknown scheme", "wf", PipelineOptions{Experiment: "iris", Outputs: "s3://x/y"}, "outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, root := envOn(t)
			env.RegisterWorkflow(namedPipeline)
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: tt.id})
			env.ExecuteWorkflow(namedPipeline, tt.opts)
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app), "want an application error, got %v", err)
			assert.Equal(t, errTypeInvalidName, app.Type())
			assert.True(t, app.NonRetryable())
			assert.Contains(t, app.Error(), tt.want, "the error names the field")
			assert.Empty(t, files(t, root), "nothing written")
		})
	}
}

// TestInterceptorRefusesPathNames: a step of a workflow whose ID would
// escape the runs folder is refused by the plugin before its outputs path
// is built, pipeline or not; a valid ID writes inside its own folder.
func TestInterceptorRefusesPathNames(t *testing.T) {
	for _, id := range []string{"a/../victim", "../../models/x", ".."} {
		t.Run(id, func(t *testing.T) {
			env, root := envOn(t)
			env.RegisterWorkflow(plainWorkflow)
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
			env.ExecuteWorkflow(plainWorkflow)
			err := env.GetWorkflowError()
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app), "want an application error, got %v", err)
			assert.Equal(t, errTypeInvalidName, app.Type())
			assert.Contains(t, app.Error(), "workflow ID")
			assert.Empty(t, files(t, root), "nothing written")
		})
	}
	env, root := envOn(t)
	env.RegisterWorkflow(plainWorkflow)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "ok-1"})
	env.ExecuteWorkflow(plainWorkflow)
	require.NoError(t, env.GetWorkflowError())
	for _, f := range files(t, root) {
		assert.True(t, strings.HasPrefix(f, "runs/a/b/ok-1/"), "%s outside the run's folder", f)
	}
}

// TestUploadRefusesDotDot: an artifact name cannot leave the run's folder.
func TestUploadRefusesDotDot(t *testing.T) {
	run := newRun("r", "step")
	run.outputs, run.store = filepath.Join(t.TempDir(), "run"), localStorage{}
	_, err := run.Upload(context.Background(), "../escaped.txt", "text/plain", strings.NewReader("x"))
	require.ErrorIs(t, err, ErrInvalid)
	_, err = os.Stat(filepath.Join(filepath.Dir(run.outputs), "escaped.txt"))
	assert.True(t, os.IsNotExist(err))
}

// slowStep runs for a while without a heartbeat of its own, after
// recording progress once; on a later attempt it returns the progress
// its previous attempt left.
func slowStep(ctx context.Context, d time.Duration, fail bool) (string, error) {
	if activity.HasHeartbeatDetails(ctx) {
		var prev string
		err := activity.GetHeartbeatDetails(ctx, &prev)
		return prev, err
	}
	activity.RecordHeartbeat(ctx, "progress-1")
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if fail {
		return "", errors.New("fail once")
	}
	return "done", nil
}

func slowWorkflow(ctx workflow.Context, d time.Duration, fail bool) (string, error) {
	attempts := int32(1)
	if fail {
		attempts = 2
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, HeartbeatTimeout: 300 * time.Millisecond,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: attempts, InitialInterval: time.Millisecond}})
	var s string
	err := workflow.ExecuteActivity(ctx, slowStep, d, fail).Get(ctx, &s)
	return s, err
}

// TestStepHeartbeatsOnItsOwn: a step that runs four times its heartbeat
// timeout without heartbeating completes on a worker with the plugin (it
// timed out before), and the automatic heartbeats keep the progress the
// step recorded itself.
func TestStepHeartbeatsOnItsOwn(t *testing.T) {
	t.Run("completes", func(t *testing.T) {
		env := newTestEnv(t)
		env.RegisterActivity(slowStep)
		env.RegisterWorkflow(slowWorkflow)
		env.ExecuteWorkflow(slowWorkflow, 1200*time.Millisecond, false)
		require.NoError(t, env.GetWorkflowError())
		var s string
		require.NoError(t, env.GetWorkflowResult(&s))
		assert.Equal(t, "done", s)
	})
	t.Run("keeps the step's details", func(t *testing.T) {
		env := newTestEnv(t)
		env.RegisterActivity(slowStep)
		env.RegisterWorkflow(slowWorkflow)
		env.ExecuteWorkflow(slowWorkflow, 700*time.Millisecond, true)
		require.NoError(t, env.GetWorkflowError())
		var s string
		require.NoError(t, env.GetWorkflowResult(&s))
		assert.Equal(t, "progress-1", s, "the second attempt sees the first one's progress")
	})
}

func TestHeartbeatInterval(t *testing.T) {
	assert.Equal(t, 100*time.Millisecond, heartbeatInterval(300*time.Millisecond))
	assert.Equal(t, 5*time.Second, heartbeatInterval(20*time.Second), "at most maxHeartbeatInterval apart")
	assert.Equal(t, 10*time.Millisecond, heartbeatInterval(time.Millisecond))
}
