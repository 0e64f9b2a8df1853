package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// runPhases breaks a run's wall time down from its history: before the first
// activity of type kind is scheduled, from then to the last one's
// completion, and after; and over those activities the mean time from
// scheduled to started and from started to completed, and the workflow
// tasks of the middle phase.
type runPhases struct {
	before, during, after time.Duration
	n                     int
	queued, ran           time.Duration
	tasks                 int
}

func historyPhases(ctx context.Context, c client.Client, id, runID, kind string) (runPhases, error) {
	var ph runPhases
	var start, first, last, end time.Time
	scheduled := map[int64]time.Time{}
	started := map[int64]time.Time{}
	ours := map[int64]bool{}
	var tasks []time.Time
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return ph, err
		}
		t := e.GetEventTime().AsTime()
		if start.IsZero() {
			start = t
		}
		end = t
		switch e.GetEventType() {
		case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == kind {
				ours[e.GetEventId()] = true
				scheduled[e.GetEventId()] = t
				if first.IsZero() {
					first = t
				}
			}
		case enums.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := e.GetActivityTaskStartedEventAttributes()
			if ours[a.GetScheduledEventId()] {
				started[a.GetScheduledEventId()] = t
				ph.queued += t.Sub(scheduled[a.GetScheduledEventId()])
			}
		case enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := e.GetActivityTaskCompletedEventAttributes()
			if ours[a.GetScheduledEventId()] {
				ph.n++
				ph.ran += t.Sub(started[a.GetScheduledEventId()])
				last = t
			}
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			tasks = append(tasks, t)
		}
	}
	if ph.n == 0 {
		return ph, fmt.Errorf("%s: no %s activity completed", id, kind)
	}
	for _, t := range tasks {
		if !t.Before(first) && !t.After(last) {
			ph.tasks++
		}
	}
	ph.before, ph.during, ph.after = first.Sub(start), last.Sub(first), end.Sub(last)
	ph.queued /= time.Duration(ph.n)
	ph.ran /= time.Duration(ph.n)
	return ph, nil
}
