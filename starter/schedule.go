package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// scheduleEntry is one schedule in `starter schedule list --json`, and the
// object `schedule create --json` prints.
type scheduleEntry struct {
	ID              string      `json:"id"`
	Spec            []string    `json:"spec,omitempty"`
	Paused          bool        `json:"paused"`
	Note            string      `json:"note,omitempty"`
	WorkflowType    string      `json:"workflow_type,omitempty"`
	RecentWorkflows []string    `json:"recent_workflows"`
	NextActionTimes []time.Time `json:"next_action_times"`
}

// scheduleCmd is `starter schedule create|list|delete`, the counterpart of
// Azure ML's Pipeline.publish plus Schedule, on Temporal Schedules.
func scheduleCmd(args []string, stdout io.Writer) error {
	const usage = "want 'schedule create --id <id> (--cron <expr> | --every <duration>) [pipeline flags]', 'schedule list [--json]' or 'schedule delete <id>'"
	if len(args) == 0 {
		return usagef(usage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(os.Stderr, "usage: starter schedule create --id <id> (--cron <expr> | --every <duration>) [pipeline flags] [--json]\n       starter schedule list [--json]\n       starter schedule delete <id>\nRun 'starter schedule create -h' for the pipeline flags.")
		return flag.ErrHelp
	case "create":
		return scheduleCreate(args[1:], stdout)
	case "list":
		return scheduleList(args[1:], stdout)
	case "delete":
		return scheduleDelete(args[1:], stdout)
	}
	return usagef("unknown schedule command %q: want create, list or delete", args[0])
}

// scheduleCreate creates a schedule whose action starts TrainingPipeline
// with the given input. Its overlap policy is SKIP: while one training of
// the schedule runs, a due action is skipped, so two trainings of the same
// schedule never run at once.
func scheduleCreate(args []string, stdout io.Writer) error {
	fs := newFlags("schedule create")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: starter schedule create --id <id> (--cron <expr> | --every <duration>) [pipeline flags]

Creates a Temporal Schedule that starts TrainingPipeline with the pipeline
flags' input; the workflow IDs start with <experiment>-<id>-. The overlap
policy is SKIP: an action that falls due while the schedule's previous
pipeline still runs is skipped, so two trainings of the same schedule never
run at once.`)
		fs.PrintDefaults()
	}
	in := pipelineFlags(fs)
	id := fs.String("id", "", "schedule ID (required)")
	cron := fs.String("cron", "", "cron expression, e.g. '0 3 * * *' or '@daily' (UTC)")
	every := fs.Duration("every", 0, "interval between pipelines, e.g. 24h")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *id == "" {
		return usagef("--id is required")
	}
	var spec client.ScheduleSpec
	switch {
	case (*cron == "") == (*every == 0):
		return usagef("want exactly one of --cron and --every")
	case *every < 0:
		return usagef("--every %s: want a positive duration", *every)
	case *every > 0:
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: *every}}
	default:
		spec.CronExpressions = []string{*cron}
	}
	if err := checkInput(*in); err != nil {
		return err
	}
	_, c, err := connect()
	if err != nil {
		return err
	}
	defer c.Close()

	// The action carries the same options as `starter run`; the server
	// appends the action time to the workflow ID.
	opts := startOptions(in.Experiment+"-"+*id, *in)
	ctx := context.Background()
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   *id,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                    opts.ID,
			Workflow:              workflows.TrainingPipeline,
			Args:                  []any{*in},
			TaskQueue:             opts.TaskQueue,
			TypedSearchAttributes: opts.TypedSearchAttributes,
			StaticSummary:         opts.StaticSummary,
			StaticDetails:         opts.StaticDetails,
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    fmt.Sprintf("starter schedule create: experiment %s, model %s", in.Experiment, in.ModelName),
	})
	if err != nil {
		return fmt.Errorf("create schedule %s: %w", *id, err)
	}
	d, err := h.Describe(ctx)
	if err != nil {
		return fmt.Errorf("describe schedule %s: %w", *id, err)
	}
	e := scheduleEntry{ID: h.GetID(), Spec: specStrings(d.Schedule.Spec), Paused: d.Schedule.State.Paused, Note: d.Schedule.State.Note,
		WorkflowType: pipelineType, RecentWorkflows: recentWorkflows(d.Info.RecentActions), NextActionTimes: nonNil(d.Info.NextActionTimes)}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(e)
	}
	fmt.Fprintf(stdout, "created schedule %s (overlap: skip)\n", e.ID)
	printNextTimes(stdout, e.NextActionTimes)
	return nil
}

// scheduleList lists the namespace's schedules. Like workflow listing, it
// reads the eventually consistent visibility store.
func scheduleList(args []string, stdout io.Writer) error {
	fs := newFlags("schedule list")
	asJSON := fs.Bool("json", false, "print one JSON array")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	_, c, err := connect()
	if err != nil {
		return err
	}
	defer c.Close()

	it, err := c.ScheduleClient().List(context.Background(), client.ScheduleListOptions{})
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
	if *asJSON {
		return json.NewEncoder(stdout).Encode(entries)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
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
func scheduleDelete(args []string, stdout io.Writer) error {
	fs := newFlags("schedule delete")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want 'schedule delete <id>'")
	}
	_, c, err := connect()
	if err != nil {
		return err
	}
	defer c.Close()

	id := fs.Arg(0)
	if err := c.ScheduleClient().GetHandle(context.Background(), id).Delete(context.Background()); err != nil {
		return fmt.Errorf("delete schedule %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "deleted schedule %s\n", id)
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
