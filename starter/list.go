package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// pipelineType is the workflow type name of workflows.TrainingPipeline.
const pipelineType = "TrainingPipeline"

// listEntry is one pipeline in `starter list -o json`.
type listEntry = app.ListEntry

// newListCmd is `starter list`: the pipelines of an experiment, newest
// first, from the visibility store. Visibility is eventually consistent (on
// the dev server's SQLite, by about a second), so a pipeline that has just
// finished may show its old status or lack its search attributes briefly.
func newListCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Pipelines, newest first, with their status and best model",
		Long: `Lists TrainingPipeline runs, newest first, with their status (Running,
Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut) and the
search attributes BestModel, Accuracy, ModelRegistered and ModelVersion.
--query is a visibility query ANDed to the rest. Visibility is eventually
consistent: a pipeline that finished a second ago may still show as Running,
without its attributes. With -o json: one array.`,
		Example: `  starter list --experiment iris
  starter list --query 'Accuracy > 0.9 AND ModelRegistered = true' --limit 10
  starter list -o json --query 'ExecutionStatus = "Failed"'`,
		Args:              exactArgs(0, "[flags]"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	experiment := cmd.Flags().String("experiment", "", "only pipelines of this experiment")
	query := cmd.Flags().String("query", "", "extra visibility query, e.g. 'Accuracy > 0.9 AND ModelRegistered = true'")
	limit := cmd.Flags().Int("limit", 20, "at most this many pipelines (0: all)")
	cmd.RunE = func(*cobra.Command, []string) error { return c.list(*experiment, *query, *limit) }
	return cmd
}

func (c *cli) list(experiment, query string, limit int) error {
	if experiment != "" {
		if err := datastore.ValidateName("experiment", experiment); err != nil {
			return usagef("--experiment: %v", err)
		}
	}
	if limit < 0 {
		return usagef("--limit %d: want 0 or more", limit)
	}
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()

	entries, err := listPipelines(context.Background(), tc, pipelineQuery(experiment, query), limit)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(entries)
	}
	printList(c.stdout, entries)
	return nil
}

// pipelineQuery is the visibility query of TrainingPipeline runs, narrowed
// to an experiment and by an extra query when they are given.
func pipelineQuery(experiment, extra string) string {
	q := fmt.Sprintf("WorkflowType = '%s'", pipelineType)
	if experiment != "" {
		q += fmt.Sprintf(" AND Experiment = %q", experiment)
	}
	if strings.TrimSpace(extra) != "" {
		q += " AND (" + extra + ")"
	}
	return q
}

// listPipelines reads every page of the query and returns the pipelines
// newest first, at most limit of them (0: all). SQL visibility cannot sort
// by start time, so the sorting is done here.
func listPipelines(ctx context.Context, c client.Client, query string, limit int) ([]listEntry, error) {
	entries := []listEntry{}
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list workflows where %s: %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			e, err := newListEntry(info)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	slices.SortStableFunc(entries, func(a, b listEntry) int { return b.StartTime.Compare(a.StartTime) })
	if limit > 0 && len(entries) > limit {
		entries = entries[:limit]
	}
	return entries, nil
}

func newListEntry(info *workflowpb.WorkflowExecutionInfo) (listEntry, error) {
	e := listEntry{
		WorkflowID: info.GetExecution().GetWorkflowId(),
		RunID:      info.GetExecution().GetRunId(),
		Status:     info.GetStatus().String(),
		StartTime:  info.GetStartTime().AsTime(),
	}
	if info.GetCloseTime() != nil {
		t := info.GetCloseTime().AsTime()
		e.CloseTime = &t
	}
	fields := info.GetSearchAttributes().GetIndexedFields()
	for name, target := range map[string]any{
		layout.ExperimentAttribute:    &e.Experiment,
		workflows.AttrBestModel:       &e.BestModel,
		workflows.AttrAccuracy:        &e.Accuracy,
		workflows.AttrModelRegistered: &e.Registered,
		workflows.AttrModelVersion:    &e.ModelVersion,
	} {
		if err := decodeAttribute(fields[name], target); err != nil {
			return e, fmt.Errorf("workflow %s: search attribute %s: %w", e.WorkflowID, name, err)
		}
	}
	return e, nil
}

// decodeAttribute decodes a search attribute's payload with the default
// data converter; a missing attribute leaves target at its zero value.
func decodeAttribute(p *commonpb.Payload, target any) error {
	if p == nil || len(p.GetData()) == 0 || string(p.GetData()) == "null" {
		return nil
	}
	return converter.GetDefaultDataConverter().FromPayload(p, target)
}

func printList(w io.Writer, entries []listEntry) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tSTATUS\tSTARTED\tBEST MODEL\tACCURACY\tREGISTERED\tVERSION")
	for _, e := range entries {
		acc, reg, ver := "-", "-", "-"
		if e.BestModel != "" {
			acc, reg = fmt.Sprintf("%.4f", e.Accuracy), fmt.Sprint(e.Registered)
		}
		if e.ModelVersion > 0 {
			ver = fmt.Sprint(e.ModelVersion)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.WorkflowID, e.Status,
			e.StartTime.Local().Format(time.DateTime), dash(e.BestModel), acc, reg, ver)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
