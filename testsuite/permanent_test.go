package testsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// TestPermanentErrorsFailAtOnce: a worker confined to its own local roots
// is given references another attempt cannot fix. Each pipeline ends as
// failed within seconds, with one attempt of the step, and `starter run`
// exits 1 with the error on stderr and in -o json, naming the worker's
// setting.
func TestPermanentErrorsFailAtOnce(t *testing.T) {
	roots := t.TempDir()
	outside := t.TempDir()
	file := filepath.Join(outside, "x.csv")
	require.NoError(t, os.WriteFile(file, []byte("5.1,3.5,1.4,0.2,Iris-setosa\n"), 0o644))
	fifo := filepath.Join(outside, "pipe.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	inRootsFifo := filepath.Join(roots, "pipe.csv")
	require.NoError(t, syscall.Mkfifo(inRootsFifo, 0o644))

	ns := newNamespace(t)
	store := datastore.Resolver{Blob: stack.store.Blob, Local: datastore.NewLocalRoots(roots)}
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: store})
	require.NoError(t, err)
	opts := stack.server.ClientOptions()
	opts.Namespace, opts.Plugins = ns, []client.Plugin{plugin}
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := app.NewWorker(c, workflows.TaskQueue, store, worker.Options{})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	tests := []struct{ name, data, want string }{
		{"file outside the roots", "file://" + file, "PIPELINE_LOCAL_ROOTS"},
		{"FIFO outside the roots", "file://" + fifo, "PIPELINE_LOCAL_ROOTS"},
		{"FIFO inside the roots", "file://" + inRootsFifo, "not a regular file"},
		{"missing blob", "azblob://datasets/none/missing.csv", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := time.Now()
			cmd := starterCmd(t, "run", "-o", "json", "--model-name", "it-permanent", "--no-pictures", "--data", tt.data)
			cmd.Env = append(cmd.Env, "TEMPORAL_NAMESPACE="+ns)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("the pipeline still runs after 20 s; stderr:\n%s", stderr.String())
			}
			elapsed := time.Since(started)
			assert.Equal(t, 1, cmd.ProcessState.ExitCode(), stderr.String())
			var out struct {
				WorkflowID string `json:"workflow_id"`
				Status     string `json:"status"`
				Error      string `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdout.String()), &out), stdout.String())
			assert.Equal(t, "Failed", out.Status)
			assert.Contains(t, out.Error, tt.want)
			assert.Contains(t, stderr.String(), "Failed in")
			assert.Equal(t, 1, trainAttempts(t, c, out.WorkflowID), "one attempt of the train step")
			t.Logf("%s: failed in %s: %s", tt.name, elapsed.Round(time.Millisecond), out.Error)
		})
	}
}

// trainAttempts returns the attempt of the last start of the pipeline's
// train step, from its history.
func trainAttempts(t *testing.T, c client.Client, workflowID string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	attempt := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			attempt = int(a.GetAttempt())
		}
	}
	require.NotZero(t, attempt, fmt.Sprintf("%s never started a step", workflowID))
	return attempt
}
