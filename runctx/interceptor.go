package runctx

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// scopeHeader carries a pipeline's Scope from the workflow to its steps.
const scopeHeader = "runctx-scope"

// Scope is what a step learns of its pipeline: the experiment and the
// datastore prefix under which each step's outputs go.
type Scope struct {
	Experiment string `json:"experiment"`
	Outputs    string `json:"outputs"`
}

// InterceptorOptions configure NewInterceptor.
type InterceptorOptions struct {
	// Client sends the parent updates; usually the worker's client.
	Client updater
	// Storage stores records and artifacts.
	Storage Storage
	// DefaultOutputs is the outputs prefix for steps of workflows that did
	// not start a Pipeline; the workflow ID is appended.
	DefaultOutputs string
	// ParentLinger is how long a step's parent changes may wait to ride in
	// its result before they are sent as updates: 0 means
	// DefaultParentLinger, a negative value sends each at once.
	ParentLinger time.Duration
}

// NewInterceptor returns the worker interceptor that gives every activity
// its run (FromContext) and writes the run's record when it ends, and that
// passes the pipeline's Scope from workflow to activities in a header.
func NewInterceptor(opts InterceptorOptions) interceptor.WorkerInterceptor {
	return &workerInterceptor{opts: opts}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	opts InterceptorOptions
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, opts: w.opts}
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &workflowInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	opts InterceptorOptions
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	scope := Scope{Outputs: join(a.opts.DefaultOutputs, info.WorkflowExecution.ID)}
	if p, ok := interceptor.Header(ctx)[scopeHeader]; ok {
		if err := converter.GetDefaultDataConverter().FromPayload(p, &scope); err != nil {
			return nil, fmt.Errorf("runctx: read scope header: %w", err)
		}
	}
	run := newRun(StepRunID(info.WorkflowExecution.ID, info.ActivityID), info.ActivityType.Name)
	run.experiment = scope.Experiment
	run.workflowID, run.wfRunID = info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	run.attempt = info.Attempt
	run.outputs = join(scope.Outputs, info.ActivityID)
	run.store = a.opts.Storage
	linger := a.opts.ParentLinger
	if linger == 0 {
		linger = DefaultParentLinger
	}
	run.parent = &Parent{ctx: ctx, workflowID: run.workflowID, runID: run.wfRunID, stepRunID: run.id, linger: linger}
	if info.IsLocalActivity {
		// A local activity is a tiny step inside a workflow task: it has
		// no record of its own and cannot update its parent (the workflow
		// task it runs in would have to finish first).
		run.ephemeral = true
	} else if a.opts.Client != nil {
		run.parent.client = a.opts.Client
	}
	res, err := a.Next.ExecuteActivity(WithRun(ctx, run), in)
	if _, cerr := run.Complete(ctx, err); cerr != nil && err == nil {
		err = cerr
	}
	// Parent changes that will not reach the pipeline in the result are
	// sent now, while the step is still open; a failed step's too, as
	// Azure ML applies run.parent calls at once.
	if ferr := run.sendUndelivered(res, err == nil); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// StepRunID returns the run ID of a step: the workflow ID and the activity
// ID, stable across retries.
func StepRunID(workflowID, activityID string) string {
	return workflowID + "_" + activityID
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *workflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return w.Next.Init(&workflowOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type workflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (w *workflowOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	injectScope(ctx)
	return w.Next.ExecuteActivity(ctx, activityType, args...)
}

func (w *workflowOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	injectScope(ctx)
	return w.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

type scopeKey struct{}

func injectScope(ctx workflow.Context) {
	scope, ok := ctx.Value(scopeKey{}).(Scope)
	if !ok {
		return
	}
	if h := interceptor.WorkflowHeader(ctx); h != nil {
		if p, err := converter.GetDefaultDataConverter().ToPayload(scope); err == nil {
			h[scopeHeader] = p
		}
	}
}
