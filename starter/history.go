package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// historyCmd is `starter history export`: a workflow's history as a JSON
// file for replay tests.
func historyCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		return historyExport([]string{"-h"}, stdout)
	}
	if len(args) == 0 || args[0] != "export" {
		return usagef("want 'history export <workflow-id> <file> [--run-id R]'")
	}
	return historyExport(args[1:], stdout)
}

// historyExport writes a workflow's full history in the JSON form of
// `temporal workflow show --output json`: protojson of history.History with
// payloads in full (no shorthand), which
// worker.WorkflowReplayer.ReplayWorkflowHistoryFromJSONFile reads.
func historyExport(args []string, stdout io.Writer) error {
	fs := newFlags("history export")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: starter history export <workflow-id> <file> [--run-id R]

Writes the workflow's full history as JSON, the form of
'temporal workflow show --output json', for replay tests
(worker.NewWorkflowReplayer().ReplayWorkflowHistoryFromJSONFile).`)
		fs.PrintDefaults()
	}
	runID := fs.String("run-id", "", "run ID (default: the latest run)")
	// Flags may come before, between or after the two arguments.
	var pos []string
	for rest := args; ; {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if len(pos) != 2 {
		return usagef("want 'history export <workflow-id> <file> [--run-id R]'")
	}
	workflowID, file := pos[0], pos[1]
	_, c, err := connect()
	if err != nil {
		return err
	}
	defer c.Close()

	hist := &historypb.History{}
	it := c.GetWorkflowHistory(context.Background(), workflowID, *runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
	fmt.Fprintf(stdout, "wrote %d events of %s to %s\n", len(hist.Events), workflowID, file)
	return nil
}
