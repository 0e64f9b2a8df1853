package scripts_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// exportHistory writes run's history to testdata/<name> when
// PIPELINE_EXPORT_HISTORIES is set, for the replay test:
//
//	PIPELINE_EXPORT_HISTORIES=1 go test -run TestScriptsAgreeWithTrainingPipeline ./examples/scripts
func exportHistory(t *testing.T, c client.Client, run client.WorkflowRun, name string) {
	if os.Getenv("PIPELINE_EXPORT_HISTORIES") == "" {
		return
	}
	h := &historypb.History{}
	it := c.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644))
}
