package testsuite

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// program is one of the repository's programs, built once into the
// stack's folder for the tests that run it.
type program struct {
	pkg  string // "./starter"
	once sync.Once
	path string
	err  error
}

// build builds the program on first use and returns its path.
func (p *program) build(t *testing.T) string {
	t.Helper()
	p.once.Do(func() {
		root, err := devstack.RepoRoot()
		if err != nil {
			p.err = err
			return
		}
		p.path = filepath.Join(stack.dir, filepath.Base(p.pkg))
		cmd := exec.Command("go", "build", "-o", p.path, p.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			p.err = errors.New("go build " + p.pkg + ": " + err.Error() + "\n" + string(out))
		}
	})
	require.NoError(t, p.err)
	return p.path
}

// starterBin and workerBin are the starter and worker programs.
var (
	starterBin = &program{pkg: "./starter"}
	workerBin  = &program{pkg: "./worker"}
)

// starter runs the starter program against the test stack and returns its
// stdout, stderr and exit code.
func starter(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := starterCmd(t, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// starterCmd returns the starter program's command against the test stack,
// built once.
func starterCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(starterBin.build(t), args...)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+stack.server.HostPort,
		"TEMPORAL_NAMESPACE="+stack.server.Namespace,
		"AZURE_STORAGE_CONNECTION_STRING="+stack.azurite.ConnectionString(),
	)
	return cmd
}

// listed is one pipeline of `starter list -o json`.
type listed = app.ListEntry

// starterList runs `starter list -o json` with args and decodes its one
// JSON value.
func starterList(t *testing.T, args ...string) []listed {
	t.Helper()
	stdout, stderr, code := starter(t, append([]string{"list", "-o", "json"}, args...)...)
	require.Equal(t, 0, code, stderr)
	var got []listed
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	return got
}

func find(entries []listed, workflowID string) *listed {
	for i := range entries {
		if entries[i].WorkflowID == workflowID {
			return &entries[i]
		}
	}
	return nil
}

func TestListFiltersByExperimentAndQuery(t *testing.T) {
	run, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "itlist", ModelName: "it-list", Data: irisRef})
	require.NoError(t, err)

	// Visibility is eventually consistent: wait until the closed run and its
	// final search attributes are indexed.
	var got *listed
	require.Eventually(t, func() bool {
		got = find(starterList(t, "--experiment", "itlist", "--query", "Accuracy > 0.5"), run.GetID())
		return got != nil && got.Status == "Completed"
	}, 10*time.Second, 250*time.Millisecond, "the pipeline shows up in starter list")
	assert.Equal(t, run.GetRunID(), got.RunID)
	assert.Equal(t, "itlist", got.Experiment)
	assert.Equal(t, res.BestModel, got.BestModel)
	assert.Equal(t, res.Accuracy, got.Accuracy)
	assert.Equal(t, res.Registered, got.Registered)
	assert.EqualValues(t, res.ModelVersion, got.ModelVersion)
	require.NotNil(t, got.CloseTime)
	assert.False(t, got.CloseTime.Before(got.StartTime))

	assert.Nil(t, find(starterList(t, "--experiment", "itlist", "--query", "Accuracy > 1.5"), run.GetID()))
	assert.Nil(t, find(starterList(t, "--experiment", "other"), run.GetID()))

	// Newest first.
	run2, _, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "itlist", ModelName: "it-list", Data: irisRef})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		all := starterList(t, "--experiment", "itlist", "--limit", "1")
		return len(all) == 1 && all[0].WorkflowID == run2.GetID()
	}, 10*time.Second, 250*time.Millisecond, "the newer pipeline comes first")

	stdout, stderr, code := starter(t, "list", "--experiment", "itlist")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "WORKFLOW ID")
	assert.Contains(t, stdout, run.GetID())
}

func TestListUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"schedule", "create", "--id", "x", "--cron", "@daily", "--every", "1h"},
		{"schedule", "create", "--id", "x"},
		{"schedule", "create", "--every", "1h"},
		{"list", "--experiment", "bad name"},
		{"list", "--no-such-flag"},
		{"history", "export", "only-an-id"},
		{"show"},
		{"models", "a", "b"},
		{"data", "ls"},
		{"schedule", "delete"},
		{"codec-server", "--port", "0"},
	} {
		stdout, stderr, code := starter(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout, "%v", args)
	}
}
