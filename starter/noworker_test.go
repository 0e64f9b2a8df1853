package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestStalledTasks: the rule of the no-worker warning, on the states
// DescribeWorkflowExecution reports. A task warns once, when it has been
// scheduled and not picked up for noWorkerAfter, both by its scheduled
// time and since the starter first saw it.
func TestStalledTasks(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(t0.Add(d)) }
	wft := func(state enums.PendingWorkflowTaskState) *workflowservice.DescribeWorkflowExecutionResponse {
		return &workflowservice.DescribeWorkflowExecutionResponse{PendingWorkflowTask: &workflow.PendingWorkflowTaskInfo{State: state, ScheduledTime: at(0), OriginalScheduledTime: at(0)}}
	}
	act := func(pa *workflow.PendingActivityInfo) *workflowservice.DescribeWorkflowExecutionResponse {
		pa.ActivityId = "train"
		return &workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: []*workflow.PendingActivityInfo{pa}}
	}
	for _, tc := range []struct {
		name  string
		d     *workflowservice.DescribeWorkflowExecutionResponse
		from  time.Duration // the starter's first look, after t0
		want  string        // what is reported ("" for nothing)
		after time.Duration // when, after t0
	}{
		{"first workflow task, no worker", wft(enums.PENDING_WORKFLOW_TASK_STATE_SCHEDULED), 0, "the pipeline's workflow task", 3 * time.Second},
		{"workflow task picked up", wft(enums.PENDING_WORKFLOW_TASK_STATE_STARTED), 0, "", 0},
		{"step running", act(&workflow.PendingActivityInfo{State: enums.PENDING_ACTIVITY_STATE_STARTED, ScheduledTime: at(0), Attempt: 1}), 0, "", 0},
		{"step not picked up", act(&workflow.PendingActivityInfo{State: enums.PENDING_ACTIVITY_STATE_SCHEDULED, ScheduledTime: at(0), Attempt: 1}), 0, "step train", 3 * time.Second},
		{"retry after a dead worker", act(&workflow.PendingActivityInfo{State: enums.PENDING_ACTIVITY_STATE_SCHEDULED, ScheduledTime: at(0), Attempt: 2, LastWorkerIdentity: "1@h"}), 0, "step train (attempt 2)", 3 * time.Second},
		{"retry in backoff", act(&workflow.PendingActivityInfo{State: enums.PENDING_ACTIVITY_STATE_SCHEDULED, ScheduledTime: at(0), NextAttemptScheduleTime: at(10 * time.Second), Attempt: 2}), 0, "step train (attempt 2)", 13 * time.Second},
		{"paused step", act(&workflow.PendingActivityInfo{State: enums.PENDING_ACTIVITY_STATE_SCHEDULED, ScheduledTime: at(0), Paused: true}), 0, "", 0},
		{"client clock ahead", wft(enums.PENDING_WORKFLOW_TASK_STATE_SCHEDULED), 10 * time.Second, "the pipeline's workflow task", 13 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			watch := newStallWatch()
			var got []string
			var when []time.Duration
			for d := tc.from; d <= 20*time.Second; d += time.Second {
				for _, task := range watch.stalled(waitingTasks(tc.d), t0.Add(d)) {
					got, when = append(got, task.what), append(when, d)
				}
			}
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, []string{tc.want}, got, "reported once")
			assert.Equal(t, []time.Duration{tc.after}, when)
		})
	}
}

// TestNoWorkerMessage: the warning says what waits and where, what the
// server knows of workers, and how to start one.
func TestNoWorkerMessage(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	task := waiting{what: "step train (attempt 2)", taskQueue: "ml-pipeline", scheduled: now.Add(-4 * time.Second)}
	for _, tc := range []struct {
		name   string
		poller *taskqueue.PollerInfo
		lastOn string
		want   string
	}{
		{"never polled", nil, "", "no worker has polled this task queue in the last minutes"},
		{"dead worker still listed", &taskqueue.PollerInfo{Identity: "42@host", LastAccessTime: timestamppb.New(now.Add(-9 * time.Second))},
			"", "the server still lists worker 42@host as polling (last seen 9s ago), but it has not taken the task: it has likely stopped or died"},
		{"dead worker gone", nil, "42@host", "its last attempt ran on worker 42@host, which is gone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task.lastOn = tc.lastOn
			msg := noWorkerMessage(task, now, "default", tc.poller)
			assert.Contains(t, msg, `warning: no worker has picked up step train (attempt 2) for 4s (task queue "ml-pipeline" of namespace default); the pipeline waits for one.`)
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "start one: make up (the local stack and a worker), or go run ./worker with the same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE\n")
		})
	}
}
