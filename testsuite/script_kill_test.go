package testsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/registry"
)

// registerPy trains nothing: it waits, as a long step does, then uploads a
// model and registers it through the Python client (Azure ML's form).
const registerPy = `import time
from azureml.core import Model, Run
run = Run.get_context()
print("training", flush=True)
time.sleep(4)
with open("model.pkl", "w") as f:
    f.write("model")
run.upload_file("outputs/model.pkl", "model.pkl")
m = run.register_model(model_name="it-killed-script", model_path="outputs/model.pkl",
                       tags={"accuracy": 0.9}, model_framework=Model.Framework.SCIKITLEARN)
print("registered", m.version)
`

// TestScriptWorkerKilled: a `worker` process is SIGKILLed while a script
// step runs on it; the step runs again on the other worker once its
// heartbeat timeout passes, the pipeline completes, and the model is
// registered once.
func TestScriptWorkerKilled(t *testing.T) {
	ns := newNamespace(t)
	root := repoRoot(t)
	env := []string{"PIPELINE_SCRIPT_SNAPSHOTS=on", "PIPELINE_SCRIPT_CLIENT=" + filepath.Join(root, "python")}
	var pids []int
	var outs []*lockedBuffer
	for range 2 {
		cmd, out := workerProcess(t, ns, env...)
		pids, outs = append(pids, cmd.Process.Pid), append(outs, out)
	}
	// A worker creates the namespace's search attributes before it polls.
	require.Eventually(t, func() bool {
		return strings.Contains(outs[0].String(), "worker started") && strings.Contains(outs[1].String(), "worker started")
	}, time.Minute, 50*time.Millisecond, "the worker processes did not start")
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"train.py": registerPy})
	cmd := starterCmd(t, "submit", "-o", "json", "--namespace", ns, "--source-directory", src, "--script", "train.py", "--command", "/usr/bin/python3")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	opts := stack.server.ClientOptions()
	opts.Namespace = ns
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	ctx := context.Background()
	var killed int
	last := ""
	defer func() {
		if t.Failed() {
			t.Logf("starter: %s\nlast state: %s\nworker 1: %s\nworker 2: %s", stderr.String(), last, outs[0], outs[1])
		}
	}()
	require.Eventually(t, func() bool {
		// The starter says which pipeline it started.
		m := regexp.MustCompile(`(?m)^started (\S+)$`).FindStringSubmatch(stderr.String())
		if m == nil {
			return false
		}
		d, err := c.DescribeWorkflowExecution(ctx, m[1], "")
		if err != nil {
			last = err.Error()
			return false
		}
		last = fmt.Sprint(d.GetPendingActivities())
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() != enums.PENDING_ACTIVITY_STATE_STARTED {
				continue
			}
			for _, pid := range pids {
				if strings.HasPrefix(pa.GetLastWorkerIdentity(), strconv.Itoa(pid)+"@") {
					require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
					killed = pid
					return true
				}
			}
		}
		return false
	}, 2*time.Minute, 50*time.Millisecond, "no worker process ran the script")
	t.Logf("killed worker %d mid-script", killed)

	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatalf("the pipeline did not end 90 s after the kill: %s", stderr.String())
	}
	var out scriptsJSON
	require.NoError(t, json.Unmarshal([]byte(stdout.String()), &out), stdout.String()+stderr.String())
	assert.Equal(t, "Completed", out.Status, out.Error)
	assert.Equal(t, 2, trainAttempts(t, c, out.WorkflowID), "the step ran again")
	versions, err := registry.New(stack.store.Blob).Versions(ctx, "it-killed-script")
	require.NoError(t, err)
	assert.Len(t, versions, 1, "registered once")
}
