package testsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

func TestScheduleStartsPipelinesUntilDeleted(t *testing.T) {
	id := fmt.Sprintf("itsched-%d", time.Now().UnixNano())
	stdout, stderr, code := starter(t, "schedule", "create", "--id", id, "--every", "2s",
		"--experiment", "itsched", "--model-name", "it-sched", "--data", irisRef)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "created schedule "+id)
	assert.Contains(t, stdout, "next actions:")
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			starter(t, "schedule", "delete", id)
		}
	})

	// The worker from TestMain runs what the schedule starts.
	var done []listed
	require.Eventually(t, func() bool {
		done = starterList(t, "--experiment", "itsched", "--query", fmt.Sprintf(`TemporalScheduledById = %q AND ExecutionStatus = "Completed"`, id))
		return len(done) >= 2
	}, 60*time.Second, time.Second, "two scheduled pipelines completed")
	for _, e := range done {
		assert.Regexp(t, "^itsched-"+id+"-", e.WorkflowID, "workflow IDs start with the experiment")
		assert.Equal(t, "itsched", e.Experiment)
		assert.NotEmpty(t, e.BestModel)
	}

	stdout, stderr, code = starter(t, "schedule", "list", "--json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, scheduleIDs(t, stdout), id)

	stdout, stderr, code = starter(t, "schedule", "delete", id)
	require.Equal(t, 0, code, stderr)
	deleted = true
	assert.Contains(t, stdout, "deleted schedule "+id)
	require.Eventually(t, func() bool {
		stdout, stderr, code := starter(t, "schedule", "list", "--json")
		require.Equal(t, 0, code, stderr)
		return !contains(scheduleIDs(t, stdout), id)
	}, 10*time.Second, 250*time.Millisecond, "the deleted schedule leaves schedule list")
}

func scheduleIDs(t *testing.T, stdout string) []string {
	t.Helper()
	var entries []struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &entries), stdout)
	ids := []string{}
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestHistoryExportReplays(t *testing.T) {
	run, _, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "ithistory", ModelName: "it-history", Data: irisRef})
	require.NoError(t, err)

	file := filepath.Join(t.TempDir(), "history.json")
	stdout, stderr, code := starter(t, "history", "export", run.GetID(), file, "--run-id", run.GetRunID())
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, file)

	// Replayed as a user replays a pipeline: with the plugin, whose
	// workflow half looks reusable steps up before they are scheduled.
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Plugins: []worker.Plugin{stack.plugin}})
	require.NoError(t, err)
	r.RegisterWorkflow(workflows.TrainingPipeline)
	require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, file))

	// The file says what `temporal workflow show --output json` says.
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	cli := exec.Command(filepath.Join(root, ".tools", "bin", "temporal"), "workflow", "show", "--output", "json",
		"--address", stack.server.HostPort, "--namespace", stack.server.Namespace,
		"--workflow-id", run.GetID(), "--run-id", run.GetRunID())
	want, err := cli.Output()
	require.NoError(t, err)
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

// TestSchedulePipelineFile: a schedule of a pipeline file runs the
// snapshot taken when it was created, and schedule list names the file and
// the snapshot.
func TestSchedulePipelineFile(t *testing.T) {
	ns, c := scriptWorker(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"nightly.yml":   "experiment: it-sched-scripts\njobs:\n  hello:\n    code: ./src\n    command: python3 hello.py\n",
		"src/hello.py":  "from bridge import call\ncall('POST', '/v1/ops', {'ops': [{'op': 'tag', 'target': 'parent', 'key': 'said', 'value': 'hello'}]})\n",
		"src/bridge.py": bridgePy,
	})
	id := fmt.Sprintf("itsched-file-%d", time.Now().UnixNano())
	stdout, stderr, code := starterIn(t, ns, "schedule", "create", "--id", id, "--every", "2s", "--pipeline", filepath.Join(dir, "nightly.yml"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "created schedule "+id)
	t.Cleanup(func() { starterIn(t, ns, "schedule", "delete", id) })
	// What runs is the snapshot of now, whatever the folder holds later.
	writeFiles(t, dir, map[string]string{"src/hello.py": "raise SystemExit(3)\n"})

	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf(`TemporalScheduledById = %q AND ExecutionStatus = "Completed"`, id)})
		return err == nil && len(resp.GetExecutions()) >= 1
	}, 60*time.Second, time.Second, "a scheduled pipeline completed")

	stdout, stderr, code = starterIn(t, ns, "schedule", "list", "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "pipeline "+filepath.Join(dir, "nightly.yml")+", snapshot ")
	assert.Contains(t, stdout, `"workflow_type": "ScriptPipeline"`)
}
