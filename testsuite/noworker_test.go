package testsuite

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// chanWriter hands a process's output to the test as it is written.
type chanWriter struct {
	ch chan string
}

func (b chanWriter) Write(p []byte) (int, error) {
	select {
	case b.ch <- string(p):
	default: // the test has stopped reading
	}
	return len(p), nil
}

// workerProcess starts the worker program against the test stack's
// server on namespace, as a user starts it, and returns it; it is killed
// when the test ends.
func workerProcess(t *testing.T, namespace string, env ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(workerBin.build(t))
	out := &lockedBuffer{}
	cmd.Env = append(append(os.Environ(),
		"TEMPORAL_ADDRESS="+stack.server.HostPort,
		"TEMPORAL_NAMESPACE="+namespace,
		"AZURE_STORAGE_CONNECTION_STRING="+stack.azurite.ConnectionString(),
		"PIPELINE_GRPC_COMPRESSION=none",
	), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, out
}

// pollers returns the identities the server lists as polling the
// pipelines' task queue of namespace.
func pollers(t *testing.T, namespace string) []string {
	t.Helper()
	res, err := stack.client.WorkflowService().DescribeTaskQueue(context.Background(), &workflowservice.DescribeTaskQueueRequest{
		Namespace: namespace, TaskQueue: &taskqueue.TaskQueue{Name: workflows.TaskQueue, Kind: enums.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enums.TASK_QUEUE_TYPE_WORKFLOW,
	})
	require.NoError(t, err)
	var ids []string
	for _, p := range res.GetPollers() {
		ids = append(ids, p.GetIdentity())
	}
	return ids
}

// startRun starts `starter run` on namespace and returns its stderr as
// it comes; the process is killed when the test ends.
func startRun(t *testing.T, namespace string, args ...string) (*exec.Cmd, chan string) {
	t.Helper()
	stderr := chanWriter{ch: make(chan string, 256)}
	cmd := starterCmd(t, append([]string{"run", "--namespace", namespace}, args...)...)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, stderr.ch
}

// readUntil reads ch until what it read contains want, or fails the test
// after within.
func readUntil(t *testing.T, ch chan string, want string, within time.Duration) string {
	t.Helper()
	var seen strings.Builder
	deadline := time.After(within)
	for !strings.Contains(seen.String(), want) {
		select {
		case s := <-ch:
			seen.WriteString(s)
		case <-deadline:
			t.Fatalf("no %q within %s; stderr:\n%s", want, within, seen.String())
		}
	}
	return seen.String()
}

// TestRunWarnsWithoutWorker: `starter run` says within seconds that no
// worker has picked up the pipeline, and how to start one, instead of
// waiting silently: on a namespace where no worker ever polled, and on one
// whose only worker was SIGKILLed (the server still lists its poller).
func TestRunWarnsWithoutWorker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		worker bool   // a worker polled, then was SIGKILLed
		says   string // what the warning says of the workers
	}{
		{"never polled", false, "no worker has polled this task queue in the last minutes"},
		{"worker killed", true, "the server still lists worker "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t)
			_, err := stack.client.OperatorService().AddSearchAttributes(context.Background(), &operatorservice.AddSearchAttributesRequest{
				Namespace: ns, SearchAttributes: map[string]enums.IndexedValueType{layout.ExperimentAttribute: enums.INDEXED_VALUE_TYPE_KEYWORD},
			})
			require.NoError(t, err)
			says := tc.says
			if tc.worker {
				w, out := workerProcess(t, ns)
				require.Eventually(t, func() bool { return len(pollers(t, ns)) > 0 }, time.Minute, 100*time.Millisecond, "the worker never polled:\n%s", out)
				require.NoError(t, w.Process.Signal(syscall.SIGKILL))
				_, _ = w.Process.Wait()
				require.NotEmpty(t, pollers(t, ns), "the server lists the dead worker's poller")
				says += strconv.Itoa(w.Process.Pid) + "@"
			}

			starterCmd(t) // built before the clock starts
			started := time.Now()
			_, stderr := startRun(t, ns, "--model-name", "it-no-worker")
			seen := readUntil(t, stderr, "go run ./worker", 10*time.Second) // the warning's last line
			t.Logf("warning after %s:\n%s", time.Since(started).Round(10*time.Millisecond), seen)
			assert.Contains(t, seen, `warning: no worker has picked up the pipeline's workflow task for `)
			assert.Contains(t, seen, `(task queue "ml-pipeline" of namespace `+ns+`); the pipeline waits for one.`)
			assert.Contains(t, seen, says)
			assert.Contains(t, seen, "start one: make up")
		})
	}
}

// TestRunWithLiveWorkerDoesNotWarn: with a live worker, a pipeline whose
// training step takes longer than the warning's delay completes without
// a warning.
func TestRunWithLiveWorkerDoesNotWarn(t *testing.T) {
	ns := newNamespace(t)
	acts := app.Activities(stack.store)
	w := app.NewWorkerWithTrain(pluginClient(t, ns), workflows.TaskQueue, stack.store, worker.Options{}, func(ctx context.Context, in activities.TrainInput) (activities.TrainResult, error) {
		select { // a long step: the warning's delay passes while it runs
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
			return activities.TrainResult{}, ctx.Err()
		}
		return acts.Train(ctx, in)
	})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	started := time.Now()
	cmd, stderr := startRun(t, ns, "--model-name", "it-live-worker", "--data", irisRef, "--threshold", "1.01", "--no-reuse")
	seen := readUntil(t, stderr, "Completed in ", time.Minute)
	require.NoError(t, cmd.Wait())
	t.Logf("pipeline took %s", time.Since(started).Round(10*time.Millisecond))
	assert.Greater(t, time.Since(started), 5*time.Second)
	assert.NotContains(t, seen, "warning")
}
