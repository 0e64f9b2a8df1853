package testsuite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/temporal-ml/runctx-pipeline/runctx"
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

// TestRunWarnsWithoutWorker: `starter run` on a namespace where no worker
// polls says so within seconds, and how to start one, instead of waiting
// silently.
func TestRunWarnsWithoutWorker(t *testing.T) {
	ns := newNamespace(t)
	_, err := stack.client.OperatorService().AddSearchAttributes(context.Background(), &operatorservice.AddSearchAttributesRequest{
		Namespace: ns, SearchAttributes: map[string]enums.IndexedValueType{runctx.ExperimentAttribute: enums.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)

	stderr := chanWriter{ch: make(chan string, 64)}
	cmd := starterCmd(t, "run", "--namespace", ns, "--model-name", "it-no-worker")
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var seen strings.Builder
	deadline := time.After(15 * time.Second)
	for !strings.Contains(seen.String(), "warning: no worker") {
		select {
		case s := <-stderr.ch:
			seen.WriteString(s)
		case <-deadline:
			t.Fatalf("no warning within 15 s; stderr:\n%s", seen.String())
		}
	}
	// Read the rest of the warning.
	for !strings.Contains(seen.String(), "go run ./worker") {
		select {
		case s := <-stderr.ch:
			seen.WriteString(s)
		case <-time.After(2 * time.Second):
			t.Fatalf("warning cut short:\n%s", seen.String())
		}
	}
	assert.Contains(t, seen.String(), `task queue "ml-pipeline" of namespace `+ns)
	assert.Contains(t, seen.String(), "make up")
}
