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

// noWorkerAfter is how long a pipeline may wait before `starter run` says
// that no worker polls its task queue.
const noWorkerAfter = 3 * time.Second

// warnWithoutWorker tells w, once, when no worker has polled taskQueue
// within noWorkerAfter of the pipeline's start, and how to start one; the
// pipeline keeps waiting, as Temporal does. It stops when ctx ends.
func warnWithoutWorker(ctx context.Context, tc client.Client, namespace, taskQueue string, w io.Writer) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(noWorkerAfter):
	}
	if polled(ctx, tc, namespace, taskQueue) {
		return
	}
	fmt.Fprintf(w, "warning: no worker has polled task queue %q of namespace %s in the last minutes; the pipeline waits for one.\n"+
		"  start one: make up (the local stack and a worker), or go run ./worker with the same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE\n",
		taskQueue, namespace)
}

// polled reports whether any worker has polled the task queue's workflow
// tasks recently; it says yes when the server cannot tell.
func polled(ctx context.Context, tc client.Client, namespace, taskQueue string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := tc.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     namespace,
		TaskQueue:     &taskqueue.TaskQueue{Name: taskQueue, Kind: enums.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enums.TASK_QUEUE_TYPE_WORKFLOW,
	})
	if err != nil {
		return true
	}
	return len(res.GetPollers()) > 0
}
