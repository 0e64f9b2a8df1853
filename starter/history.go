package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// newHistoryCmd is `starter history export`: a workflow's history as a
// JSON file for replay tests.
func newHistoryCmd(c *cli) *cobra.Command {
	export := &cobra.Command{
		Use:   "export <workflow-id> <file>",
		Short: "Write a workflow's history as JSON, for replay tests",
		Long: `Writes the workflow's full history as JSON, the form of
'temporal workflow show --output json', for replay tests
(ReplayWorkflowHistoryFromJSONFile of a replayer built with the runctx
plugin in WorkflowReplayerOptions.Plugins). With -o
json: one object with workflow_id, run_id, file and events.`,
		Example: `  starter history export iris-20250101-120000-1a2b3c4d testsuite/histories/registered.json
  starter history export iris-20250101-120000-1a2b3c4d h.json --run-id <run-id>`,
		Args: exactArgs(2, "<workflow-id> <file>"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return nil, cobra.ShellCompDirectiveDefault // the file
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
	}
	runID := export.Flags().String("run-id", "", "run ID (default: the latest run)")
	export.RunE = func(_ *cobra.Command, args []string) error { return c.historyExport(args[0], args[1], *runID) }
	return c.groupCmd("history", "Workflow histories: export, for replay tests",
		`  starter history export <workflow-id> testsuite/histories/registered.json
  starter history export <workflow-id> h.json --run-id <run-id> -o json`, export)
}

// historyOutput is what `starter history export -o json` prints.
type historyOutput struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id,omitempty"`
	File       string `json:"file"`
	Events     int    `json:"events"`
}

// historyExport writes a workflow's full history in the JSON form of
// `temporal workflow show --output json`: protojson of history.History with
// payloads in full (no shorthand), which
// worker.WorkflowReplayer.ReplayWorkflowHistoryFromJSONFile reads.
func (c *cli) historyExport(workflowID, file, runID string) error {
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()

	hist := &historypb.History{}
	it := tc.GetWorkflowHistory(context.Background(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of %s: %w", workflowID, err)
		}
		hist.Events = append(hist.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		return fmt.Errorf("encode history of %s: %w", workflowID, err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write history of %s: %w", workflowID, err)
	}
	if c.json() {
		return c.printJSON(historyOutput{WorkflowID: workflowID, RunID: runID, File: file, Events: len(hist.Events)})
	}
	fmt.Fprintf(c.stdout, "wrote %d events of %s to %s\n", len(hist.Events), workflowID, file)
	return nil
}
