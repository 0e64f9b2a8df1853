package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// noWorkerAfter is how long one of a pipeline's tasks may wait, scheduled
// and not picked up by any worker, before the starter warns.
const noWorkerAfter = 3 * time.Second

// noWorkerEvery is how often the starter looks at the pipeline's state.
const noWorkerEvery = time.Second

// waiting is a task of a pipeline that is scheduled and not yet picked up:
// its first workflow task or a later one, or an activity (a step).
type waiting struct {
	key       string    // the task and its attempt: one warning each
	what      string    // "the pipeline's workflow task", "step train (attempt 2)"
	taskQueue string    // where it waits
	scheduled time.Time // by the server's clock
	lastOn    string    // the worker that ran its last attempt, if any
}

// waitingTasks lists the pipeline's tasks that are scheduled and not
// picked up, from DescribeWorkflowExecution: the pending workflow task in
// state Scheduled, and each pending activity in state Scheduled whose
// (next) attempt is due. A running pipeline whose worker is up has none for
// longer than a dispatch takes.
func waitingTasks(d *workflowservice.DescribeWorkflowExecutionResponse) []waiting {
	queue := d.GetExecutionConfig().GetTaskQueue().GetName()
	var out []waiting
	if wt := d.GetPendingWorkflowTask(); wt.GetState() == enums.PENDING_WORKFLOW_TASK_STATE_SCHEDULED {
		at := wt.GetOriginalScheduledTime()
		if at == nil {
			at = wt.GetScheduledTime()
		}
		out = append(out, waiting{
			key:       fmt.Sprintf("workflow task %d", at.AsTime().UnixNano()),
			what:      "the pipeline's workflow task",
			taskQueue: queue,
			scheduled: at.AsTime(),
		})
	}
	for _, pa := range d.GetPendingActivities() {
		if pa.GetState() != enums.PENDING_ACTIVITY_STATE_SCHEDULED || pa.GetPaused() {
			continue
		}
		at := pa.GetScheduledTime().AsTime()
		if next := pa.GetNextAttemptScheduleTime(); next != nil && next.AsTime().After(at) {
			at = next.AsTime() // a retry waiting out its backoff is due then
		}
		q := pa.GetActivityOptions().GetTaskQueue().GetName()
		if q == "" {
			q = queue
		}
		what := "step " + pa.GetActivityId()
		if pa.GetAttempt() > 1 {
			what += fmt.Sprintf(" (attempt %d)", pa.GetAttempt())
		}
		out = append(out, waiting{
			key:       fmt.Sprintf("activity %s %d", pa.GetActivityId(), pa.GetAttempt()),
			what:      what,
			taskQueue: q,
			scheduled: at,
			lastOn:    pa.GetLastWorkerIdentity(),
		})
	}
	return out
}

// stallWatch remembers when the starter first saw each waiting task, so
// that a task counts as waiting only for as long as the starter has seen
// it waiting too: a client clock ahead of the server's never warns early.
type stallWatch struct {
	firstSeen map[string]time.Time
	warned    map[string]bool
}

func newStallWatch() *stallWatch {
	return &stallWatch{firstSeen: map[string]time.Time{}, warned: map[string]bool{}}
}

// stalled returns the tasks that have waited at least noWorkerAfter at
// now, by both the server's scheduled time and the starter's first sight,
// and were not reported before.
func (s *stallWatch) stalled(tasks []waiting, now time.Time) []waiting {
	var out []waiting
	for _, t := range tasks {
		seen, ok := s.firstSeen[t.key]
		if !ok {
			seen = now
			s.firstSeen[t.key] = now
		}
		since := t.scheduled
		if seen.After(since) {
			since = seen
		}
		if now.Sub(since) >= noWorkerAfter && !s.warned[t.key] {
			s.warned[t.key] = true
			out = append(out, t)
		}
	}
	return out
}

// warnWithoutWorker watches a pipeline until ctx ends or it closes, and
// tells w each time one of its tasks (its first workflow task, a later
// one, or a step's activity task) has waited noWorkerAfter with no worker
// picking it up, and how to start one. The pipeline keeps waiting, as
// Temporal does. It reads the pipeline's own state rather than the task
// queue's pollers, which the server keeps listing for minutes after a
// worker has died.
func warnWithoutWorker(ctx context.Context, tc client.Client, namespace, workflowID, runID string, w io.Writer) {
	watch := newStallWatch()
	t := time.NewTicker(noWorkerEvery)
	defer t.Stop()
	for watch.look(ctx, tc, namespace, workflowID, runID, w) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// look describes the pipeline once and warns of each task that has
// stalled since the last look; it returns false once the pipeline has
// closed. When the server cannot be reached it tells nothing: the workers
// are not the trouble then.
func (s *stallWatch) look(ctx context.Context, tc client.Client, namespace, workflowID, runID string, w io.Writer) bool {
	now := time.Now() // before the call: a task seen is waiting from then
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := tc.DescribeWorkflowExecution(dctx, workflowID, runID)
	if err != nil {
		return true
	}
	if d.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return false
	}
	for _, task := range s.stalled(waitingTasks(d), now) {
		fmt.Fprint(w, noWorkerMessage(task, now, namespace, lastPoller(ctx, tc, namespace, task.taskQueue)))
	}
	return true
}

// noWorkerMessage is the warning for a task that waits: what waits, how
// long and where, what the server knows of the workers, how to start one.
func noWorkerMessage(t waiting, now time.Time, namespace string, poller *taskqueue.PollerInfo) string {
	msg := fmt.Sprintf("warning: no worker has picked up %s for %s (task queue %q of namespace %s); the pipeline waits for one.\n",
		t.what, now.Sub(t.scheduled).Truncate(time.Second), t.taskQueue, namespace)
	switch {
	case poller != nil:
		msg += fmt.Sprintf("  the server still lists worker %s as polling (last seen %s ago), but it has not taken the task: it has likely stopped or died, or is busy.\n",
			poller.GetIdentity(), now.Sub(poller.GetLastAccessTime().AsTime()).Truncate(time.Second))
	case t.lastOn != "":
		msg += fmt.Sprintf("  its last attempt ran on worker %s, which is gone; no worker polls the task queue now.\n", t.lastOn)
	default:
		msg += "  no worker has polled this task queue in the last minutes.\n"
	}
	return msg + "  start one: make up (the local stack and a worker), or go run ./worker with the same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE\n"
}

// lastPoller returns the poller of taskQueue seen most recently (workflow
// and activity tasks), or nil when the server lists none or cannot tell.
func lastPoller(ctx context.Context, tc client.Client, namespace, taskQueue string) *taskqueue.PollerInfo {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var last *taskqueue.PollerInfo
	for _, typ := range []enums.TaskQueueType{enums.TASK_QUEUE_TYPE_WORKFLOW, enums.TASK_QUEUE_TYPE_ACTIVITY} {
		res, err := tc.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     namespace,
			TaskQueue:     &taskqueue.TaskQueue{Name: taskQueue, Kind: enums.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: typ,
		})
		if err != nil {
			continue
		}
		for _, p := range res.GetPollers() {
			if last == nil || p.GetLastAccessTime().AsTime().After(last.GetLastAccessTime().AsTime()) {
				last = p
			}
		}
	}
	return last
}
