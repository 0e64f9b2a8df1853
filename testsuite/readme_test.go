package testsuite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// readmeSection is the README section whose first Go block is the program a
// newcomer copies.
const readmeSection = "## Your own pipeline"

// readmeMaxLines is the program's budget: it must stay under it.
const readmeMaxLines = 80

// TestReadmeProgram copies the program of the README's "Your own pipeline"
// section into a module of its own, as a newcomer would (with a replace
// directive to this repository), builds it, and runs it against the test
// stack: it must print its workflow ID and "deployed", and the pipeline it
// started must have completed with the Experiment and Accuracy search
// attributes set and its two steps recorded.
func TestReadmeProgram(t *testing.T) {
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	src, err := goBlockUnder(string(readme), readmeSection)
	require.NoError(t, err)
	lines := strings.Count(src, "\n")
	require.Less(t, lines, readmeMaxLines, "the README program has %d lines", lines)
	t.Logf("README program: %d lines", lines)

	dir := t.TempDir()
	gomod := fmt.Sprintf("module example.com/mypipeline\n\ngo 1.26.0\n\nrequire github.com/temporal-ml/runctx-pipeline v0.0.0\n\nreplace github.com/temporal-ml/runctx-pipeline => %s\n", root)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))

	bin := filepath.Join(dir, "mypipeline")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build of the README program:\n%s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, bin)
	run.Dir = dir
	run.Env = append(programEnv(),
		"TEMPORAL_ADDRESS="+stack.server.HostPort,
		"TEMPORAL_NAMESPACE="+stack.server.Namespace,
		"AZURE_STORAGE_CONNECTION_STRING="+stack.azurite.ConnectionString(),
	)
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	start := time.Now()
	err = run.Run()
	require.NoError(t, err, "the README program failed\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	t.Logf("the README program ran in %v", time.Since(start).Round(time.Millisecond))

	// The SDK's default logger writes to stdout too; the program's own line
	// is "<workflow ID> deployed".
	var workflowID string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if m := resultLine.FindStringSubmatch(sc.Text()); m != nil {
			workflowID = m[1]
		}
	}
	require.NotEmpty(t, workflowID, "no result line in the program's output:\n%s", stdout.String())

	d, err := stack.client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	info := d.GetWorkflowExecutionInfo()
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, info.GetStatus())
	assert.Equal(t, "MyPipeline", info.GetType().GetName())
	assert.Equal(t, "my-pipeline", info.GetTaskQueue())
	sa, memo := describe(t, stack.client.GetWorkflow(context.Background(), workflowID, ""))
	assert.Equal(t, 0.93, sa["Accuracy"], "the train step's parent tag, declared as a Double attribute")
	assert.Equal(t, "my-experiment", sa["Experiment"])
	assert.Equal(t, "0.93", memo["tags"]["accuracy"])

	assert.Equal(t, []string{"Train", "Deploy"}, activityTypes(t, stack.client.GetWorkflow(context.Background(), workflowID, "")))

	// The train step's record is in Azurite, under the default runs root.
	ref := layout.StepRecordRef(layout.PipelineOutputs(settings.DefaultRuns, "my-experiment", workflowID), "train")
	rec, err := runctx.ReadRecord(context.Background(), stack.store, ref)
	require.NoError(t, err)
	assert.Equal(t, runctx.StatusCompleted, rec.Status)
	require.Len(t, rec.Metrics["accuracy"], 1)
	assert.Equal(t, 0.93, rec.Metrics["accuracy"][0].Value)
}

// resultLine is the program's result line.
var resultLine = regexp.MustCompile(`^(\S+) deployed$`)

// goBlockUnder returns the first ```go block of the markdown section that
// heading opens, before the next section.
func goBlockUnder(md, heading string) (string, error) {
	_, section, ok := strings.Cut(md, "\n"+heading+"\n")
	if !ok {
		return "", fmt.Errorf("README has no section %q", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, block, ok := strings.Cut(section, "\n```go\n")
	if !ok {
		return "", fmt.Errorf("section %q has no ```go block", heading)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		return "", fmt.Errorf("section %q: the ```go block is not closed", heading)
	}
	return block + "\n", nil
}

// programEnv is the test's environment without the settings of Temporal,
// Azure Storage and the pipeline that a developer's shell may hold, so the
// program reaches the test stack only.
func programEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TEMPORAL_") || strings.HasPrefix(kv, "AZURE_STORAGE_") || strings.HasPrefix(kv, "PIPELINE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
