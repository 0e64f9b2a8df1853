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
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// scheduleEntry is one schedule in `starter schedule list -o json`, and the
// object `schedule create -o json` prints.
type scheduleEntry struct {
	ID              string      `json:"id"`
	Spec            []string    `json:"spec,omitempty"`
	Paused          bool        `json:"paused"`
	Note            string      `json:"note,omitempty"`
	WorkflowType    string      `json:"workflow_type,omitempty"`
	RecentWorkflows []string    `json:"recent_workflows"`
	NextActionTimes []time.Time `json:"next_action_times"`
}

// newScheduleCmd is `starter schedule create|list|delete`, the counterpart
// of Azure ML's Pipeline.publish plus Schedule, on Temporal Schedules.
func newScheduleCmd(c *cli) *cobra.Command {
	create := &cobra.Command{
		Use:   "create --id <id> (--cron <expr> | --every <duration>)",
		Short: "Create a Temporal Schedule that starts pipelines",
		Long: `Creates a Temporal Schedule that starts TrainingPipeline with the pipeline
flags' input (those of 'starter run'); the workflow IDs start with
<experiment>-<id>-. The overlap policy is Skip: an action that falls due
while the schedule's previous pipeline still runs is skipped, so two
trainings of the same schedule never run at once. With --pipeline it
schedules a pipeline file instead (Azure ML's Pipeline.publish plus
Schedule): its code folders are snapshotted when the schedule is created,
each action runs those snapshots, and the schedule's note names the file
and the snapshots. Prints the next action times; with -o json, one object.`,
		Example: `  starter schedule create --id nightly --cron '0 3 * * *' --model-name iris-classifier
  starter schedule create --id often --every 10m --experiment iris-often
  starter schedule create --id scripts --cron @daily --pipeline examples/scripts/pipeline.yml`,
		Args:              exactArgs(0, "--id <id> (--cron <expr> | --every <duration>)"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	in := pipelineFlags(create.Flags())
	id := create.Flags().String("id", "", "schedule ID (required)")
	cron := create.Flags().String("cron", "", "cron expression, e.g. '0 3 * * *' or '@daily' (UTC)")
	every := create.Flags().Duration("every", 0, "interval between pipelines, e.g. 24h")
	file := create.Flags().String("pipeline", "", "a pipeline file (YAML) to schedule instead of TrainingPipeline: its snapshots are taken now, and each action runs those")
	inputs := create.Flags().StringArray("input", nil, "NAME=REF: with --pipeline, overrides the pipeline input NAME (repeatable)")
	create.RunE = func(cmd *cobra.Command, _ []string) error {
		if *file != "" {
			return c.scheduleCreatePipeline(cmd, *file, *inputs, *id, *cron, *every)
		}
		return c.scheduleCreate(*in, *id, *cron, *every)
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the namespace's schedules",
		Long: `Lists the namespace's schedules with their spec, whether paused, and the
next action. Like workflow listing, it reads the eventually consistent
visibility store. With -o json: one array.`,
		Example: `  starter schedule list
  starter schedule list -o json`,
		Args:              exactArgs(0, ""),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              func(*cobra.Command, []string) error { return c.scheduleList() },
	}
	del := &cobra.Command{
		Use:   "delete <id>",
		Short: "Delete a schedule; the pipelines it started keep running",
		Example: `  starter schedule delete nightly
  starter schedule delete often -o json`,
		Args:              exactArgs(1, "<id>"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              func(_ *cobra.Command, args []string) error { return c.scheduleDelete(args[0]) },
	}
	return c.groupCmd("schedule", "Temporal Schedules of pipelines: create, list, delete", `  starter schedule create --id nightly --cron '0 3 * * *'
  starter schedule list
  starter schedule delete nightly`, create, list, del)
}

// scheduleCreate creates a schedule whose action starts TrainingPipeline
// with the given input. Its overlap policy is SKIP: while one training of
// the schedule runs, a due action is skipped, so two trainings of the same
// schedule never run at once.
func (c *cli) scheduleCreate(in workflows.PipelineInput, id, cron string, every time.Duration) error {
	spec, err := scheduleSpec(id, cron, every)
	if err != nil {
		return err
	}
	if err := checkInput(in); err != nil {
		return err
	}
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()

	// The action carries the same options as `starter run`; the server
	// appends the action time to the workflow ID.
	opts := startOptions(in.Experiment+"-"+id, in)
	ctx := context.Background()
	h, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                    opts.ID,
			Workflow:              workflows.TrainingPipeline,
			Args:                  []any{in},
			TaskQueue:             opts.TaskQueue,
			TypedSearchAttributes: opts.TypedSearchAttributes,
			StaticSummary:         opts.StaticSummary,
			StaticDetails:         opts.StaticDetails,
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    fmt.Sprintf("starter schedule create: experiment %s, model %s", in.Experiment, in.ModelName),
	})
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return c.printCreated(ctx, h)
}

// printCreated prints a schedule just created: its next action times.
func (c *cli) printCreated(ctx context.Context, h client.ScheduleHandle) error {
	d, err := h.Describe(ctx)
	if err != nil {
		return fmt.Errorf("describe schedule %s: %w", h.GetID(), err)
	}
	e := scheduleEntry{ID: h.GetID(), Spec: specStrings(d.Schedule.Spec), Paused: d.Schedule.State.Paused, Note: d.Schedule.State.Note,
		WorkflowType: workflowType(d.Schedule.Action), RecentWorkflows: recentWorkflows(d.Info.RecentActions), NextActionTimes: nonNil(d.Info.NextActionTimes)}
	if c.json() {
		return c.printJSON(e)
	}
	fmt.Fprintf(c.stdout, "created schedule %s (overlap: skip)\n", e.ID)
	printNextTimes(c.stdout, e.NextActionTimes)
	return nil
}

// scheduleSpec is the spec of exactly one of cron and every.
func scheduleSpec(id, cron string, every time.Duration) (client.ScheduleSpec, error) {
	var spec client.ScheduleSpec
	switch {
	case id == "":
		return spec, usagef("--id is required")
	case (cron == "") == (every == 0):
		return spec, usagef("want exactly one of --cron and --every")
	case every < 0:
		return spec, usagef("--every %s: want a positive duration", every)
	case every > 0:
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: every}}
	default:
		spec.CronExpressions = []string{cron}
	}
	return spec, nil
}

// workflowType names the workflow a schedule's action starts.
func workflowType(a client.ScheduleAction) string {
	if wa, ok := a.(*client.ScheduleWorkflowAction); ok {
		if name, ok := wa.Workflow.(string); ok {
			return name
		}
	}
	return pipelineType
}

// scheduleCreatePipeline schedules a pipeline file: refused as 'starter
// run --pipeline' refuses it, its snapshots uploaded now.
func (c *cli) scheduleCreatePipeline(cmd *cobra.Command, file string, inputFlags []string, id, cron string, every time.Duration) error {
	spec, err := scheduleSpec(id, cron, every)
	if err != nil {
		return err
	}
	pl, err := c.loadPipelineFile(cmd, file, inputFlags)
	if err != nil {
		return err
	}
	cfg, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx := context.Background()
	if err := uploadSnapshots(ctx, cfg, pl, map[string]*snapshot.Manifest{}, c.stderr); err != nil {
		return err
	}
	if err := ensureAttributes(ctx, tc, cfg.Namespace(), pl.Attributes); err != nil {
		return err
	}
	var snaps []string
	for _, j := range pl.Jobs {
		if !slices.Contains(snaps, j.Snapshot[:12]) {
			snaps = append(snaps, j.Snapshot[:12])
		}
	}
	h, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   id,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                    pl.Experiment + "-" + id,
			Workflow:              workflows.ScriptPipeline,
			Args:                  []any{*pl},
			TaskQueue:             workflows.TaskQueue,
			TypedSearchAttributes: runctx.ExperimentSearchAttributes(pl.Experiment),
			StaticSummary:         scriptsSummary(*pl),
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    truncate(fmt.Sprintf("starter schedule create: pipeline %s, snapshot %s", file, strings.Join(snaps, ", ")), 1000),
	})
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	return c.printCreated(ctx, h)
}

// scheduleList lists the namespace's schedules. Like workflow listing, it
// reads the eventually consistent visibility store.
func (c *cli) scheduleList() error {
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()

	it, err := tc.ScheduleClient().List(context.Background(), client.ScheduleListOptions{})
	if err != nil {
		return fmt.Errorf("list schedules: %w", err)
	}
	entries := []scheduleEntry{}
	for it.HasNext() {
		s, err := it.Next()
		if err != nil {
			return fmt.Errorf("list schedules: %w", err)
		}
		entries = append(entries, scheduleEntry{ID: s.ID, Spec: specStrings(s.Spec), Paused: s.Paused, Note: s.Note,
			WorkflowType: s.WorkflowType.Name, RecentWorkflows: recentWorkflows(s.RecentActions), NextActionTimes: nonNil(s.NextActionTimes)})
	}
	if c.json() {
		return c.printJSON(entries)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEDULE ID\tSPEC\tPAUSED\tNEXT ACTION")
	for _, e := range entries {
		next := "-"
		if len(e.NextActionTimes) > 0 {
			next = e.NextActionTimes[0].Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", e.ID, strings.Join(e.Spec, "; "), e.Paused, next)
	}
	return tw.Flush()
}

// scheduleDelete deletes a schedule; pipelines it started keep running.
func (c *cli) scheduleDelete(id string) error {
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()

	if err := tc.ScheduleClient().GetHandle(context.Background(), id).Delete(context.Background()); err != nil {
		return fmt.Errorf("delete schedule %s: %w", id, err)
	}
	if c.json() {
		return c.printJSON(map[string]any{"id": id, "deleted": true})
	}
	fmt.Fprintf(c.stdout, "deleted schedule %s\n", id)
	return nil
}

// specStrings describes a schedule spec in short words. The server turns
// cron expressions into calendars, so those are shown as calendars.
func specStrings(s *client.ScheduleSpec) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, iv := range s.Intervals {
		out = append(out, "every "+iv.Every.String())
	}
	for _, cr := range s.CronExpressions {
		out = append(out, "cron "+cr)
	}
	for _, cal := range s.Calendars {
		out = append(out, "calendar "+calendarString(cal))
	}
	return out
}

func calendarString(c client.ScheduleCalendarSpec) string {
	field := func(rs []client.ScheduleRange, all string) string {
		var parts []string
		for _, r := range rs {
			switch {
			case r.End > r.Start && r.Step > 1:
				parts = append(parts, fmt.Sprintf("%d-%d/%d", r.Start, r.End, r.Step))
			case r.End > r.Start:
				parts = append(parts, fmt.Sprintf("%d-%d", r.Start, r.End))
			default:
				parts = append(parts, fmt.Sprint(r.Start))
			}
		}
		if len(parts) == 0 {
			return all
		}
		return strings.Join(parts, ",")
	}
	// Unset seconds, minutes and hours mean 0; unset days and months, all.
	return strings.Join([]string{field(c.Second, "0"), field(c.Minute, "0"), field(c.Hour, "0"),
		field(c.DayOfMonth, "*"), field(c.Month, "*"), field(c.DayOfWeek, "*")}, " ")
}

func recentWorkflows(actions []client.ScheduleActionResult) []string {
	ids := []string{}
	for _, a := range actions {
		if a.StartWorkflowResult != nil {
			ids = append(ids, a.StartWorkflowResult.WorkflowID)
		}
	}
	return ids
}

func nonNil(ts []time.Time) []time.Time {
	if ts == nil {
		return []time.Time{}
	}
	return ts
}

func printNextTimes(w io.Writer, ts []time.Time) {
	if len(ts) == 0 {
		fmt.Fprintln(w, "  no next action")
		return
	}
	fmt.Fprintln(w, "  next actions:")
	for i, t := range ts {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "    %s\n", t.Local().Format(time.RFC3339))
	}
}
