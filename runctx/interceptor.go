package runctx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// scopeHeader carries a pipeline's scope from the workflow to its steps.
const scopeHeader = "runctx-scope"

// scope is what a step learns of its pipeline: the experiment and the
// datastore prefix under which each step's outputs go. An empty Outputs
// means the worker's runs root (PluginOptions.Runs) with the experiment
// and workflow ID appended.
type scope struct {
	Experiment string `json:"experiment"`
	Outputs    string `json:"outputs"`
	NoReuse    bool   `json:"no_reuse,omitempty"`
}

// interceptorOptions configure the plugin's worker interceptor.
type interceptorOptions struct {
	// Runs is the root of the outputs of steps whose pipeline names none.
	Runs string
	// ParentLinger is PluginOptions.ParentLinger.
	ParentLinger time.Duration
	// Data resolves data references: records and artifacts, ReadData and
	// the reuse entries.
	Data datastore.Resolver
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	opts interceptorOptions
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, opts: w.opts, beat: &heartbeater{}}
}

func (w *workerInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &workflowInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	opts interceptorOptions
	beat *heartbeater
}

// Init wraps the activity's outbound calls so that the automatic
// heartbeat resends the details the activity itself last recorded.
func (a *activityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	a.beat.next = outbound
	return a.Next.Init(&activityOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, beat: a.beat})
}

// errTypeInvalidName is the application error type of a workflow ID,
// experiment, step name or outputs reference that cannot become a path
// (layout.ValidateSegment): the error is non-retryable.
const errTypeInvalidName = "InvalidName"

// invalidName returns err as a non-retryable application error; its
// message is the whole error (no cause repeats it).
func invalidName(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errTypeInvalidName, nil)
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	var sc scope
	if p, ok := interceptor.Header(ctx)[scopeHeader]; ok {
		if err := converter.GetDefaultDataConverter().FromPayload(p, &sc); err != nil {
			return nil, fmt.Errorf("runctx: read scope header: %w", err)
		}
	}
	// Every name that becomes a path is checked before it is joined: a
	// workflow ID "a/../victim" must not write into pipeline "victim".
	if err := layout.ValidateSegment("workflow ID", info.WorkflowExecution.ID); err != nil {
		return nil, invalidName(err)
	}
	if err := layout.ValidateSegment("step (activity ID)", info.ActivityID); err != nil {
		return nil, invalidName(err)
	}
	if sc.Outputs == "" {
		outputs, err := layout.CheckedPipelineOutputs(a.opts.Runs, sc.Experiment, info.WorkflowExecution.ID)
		if err != nil {
			return nil, invalidName(err)
		}
		sc.Outputs = outputs
	}
	outputs, err := layout.JoinRef(sc.Outputs, info.ActivityID)
	if err != nil {
		return nil, invalidName(err)
	}
	if !info.IsLocalActivity && info.HeartbeatTimeout > 0 {
		stop := a.beat.start(ctx, heartbeatInterval(info.HeartbeatTimeout))
		defer stop()
	}
	run := newRun(layout.StepRunID(info.WorkflowExecution.ID, info.ActivityID), info.ActivityType.Name)
	run.experiment = sc.Experiment
	run.workflowID, run.wfRunID = info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	run.attempt = info.Attempt
	run.outputs = outputs
	run.store = resolverStorage{a.opts.Data}
	run.step, run.data = info.ActivityID, a.opts.Data
	linger := a.opts.ParentLinger
	if linger == 0 {
		linger = defaultParentLinger
	}
	run.parent = &Parent{ctx: ctx, workflowID: run.workflowID, runID: run.wfRunID, stepRunID: run.id, linger: linger}
	if info.IsLocalActivity {
		// A local activity is a tiny step inside a workflow task: it has
		// no record of its own and cannot update its parent (the workflow
		// task it runs in would have to finish first).
		run.ephemeral = true
	} else {
		run.parent.client = activity.GetClient(ctx)
	}
	var settings stepSettings
	if p, ok := interceptor.Header(ctx)[stepHeader]; ok && !info.IsLocalActivity && !sc.NoReuse {
		if err := converter.GetDefaultDataConverter().FromPayload(p, &settings); err != nil {
			return nil, fmt.Errorf("runctx: read step header: %w", err)
		}
	}
	if settings.Reuse {
		return a.executeReusable(ctx, run, settings.Version, in)
	}
	return a.execute(ctx, run, in)
}

// execute runs the step and completes its run.
func (a *activityInbound) execute(ctx context.Context, run *Run, in *interceptor.ExecuteActivityInput) (any, error) {
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

// executeReusable takes the step's result from an earlier run of it with
// the same inputs when there is one whose data and outputs are unchanged;
// otherwise it runs the step and leaves an entry for later runs.
func (a *activityInbound) executeReusable(ctx context.Context, run *Run, version string, in *interceptor.ExecuteActivityInput) (any, error) {
	logger := activity.GetLogger(ctx)
	key, err := reuseKey(run.step, run.name, version, in.Args)
	if err != nil {
		logger.Warn("runctx: step input does not serialize; not reusable", "step", run.step, "error", err)
		return a.execute(ctx, run, in)
	}
	u := reuser{data: a.opts.Data}
	ref := layout.ReuseEntryRef(a.opts.Runs, run.step, key)
	entry, stale, err := u.lookup(ctx, ref)
	switch {
	case errors.Is(err, errStale):
		logger.Warn("runctx: reuse entry not used; the step runs", "entry", ref, "reason", err)
	case err != nil:
		logger.Warn("runctx: reuse lookup failed; the step runs", "entry", ref, "error", err)
	case entry != nil:
		// The earlier run's parent changes ride in the result's summary,
		// renamed for this run.
		res, err := run.reuse(ctx, entry)
		if err == nil {
			return res, nil
		}
		logger.Warn("runctx: reuse failed; the step runs", "entry", ref, "error", err)
	}
	res, err := a.execute(ctx, run, in)
	if err != nil {
		return res, err
	}
	if e, eerr := run.newEntry(key, version, res); eerr != nil || e == nil {
		logger.Warn("runctx: step result not reusable", "step", run.step, "error", eerr)
	} else if serr := u.store(ctx, ref, e, stale); serr != nil {
		logger.Warn("runctx: reuse entry not stored", "entry", ref, "error", serr)
	}
	return res, nil
}

// maxHeartbeatInterval is the longest gap between the automatic heartbeats
// of a step: cancellation reaches a step with its next heartbeat.
const maxHeartbeatInterval = 5 * time.Second

// heartbeatInterval is a third of the heartbeat timeout, at most
// maxHeartbeatInterval: two heartbeats may be lost before the server
// gives the step up.
func heartbeatInterval(timeout time.Duration) time.Duration {
	return max(min(timeout/3, maxHeartbeatInterval), 10*time.Millisecond)
}

// heartbeater heartbeats a step while it runs, so that a step with a
// heartbeat timeout needs no heartbeat of its own: a killed worker's step
// is retried after the heartbeat timeout, not its start-to-close timeout,
// and cancellation reaches it. Each heartbeat carries the details the
// activity last recorded itself (or those of its previous attempt), so
// progress it records is not overwritten.
type heartbeater struct {
	next interceptor.ActivityOutboundInterceptor

	mu      sync.Mutex
	details []any
	own     bool // the activity recorded details in this attempt
}

// start heartbeats every interval until the returned stop is called.
func (h *heartbeater) start(ctx context.Context, interval time.Duration) (stop func()) {
	if h.next == nil {
		return func() {}
	}
	if activity.HasHeartbeatDetails(ctx) {
		var prev converter.RawValue
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil {
			h.mu.Lock()
			if !h.own {
				h.details = []any{prev}
			}
			h.mu.Unlock()
		}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.mu.Lock()
				details := h.details
				h.mu.Unlock()
				h.next.RecordHeartbeat(ctx, details...)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// recorded notes the details the activity recorded itself.
func (h *heartbeater) recorded(details []any) {
	h.mu.Lock()
	h.details, h.own = details, true
	h.mu.Unlock()
}

// activityOutbound sees the activity's own heartbeats.
type activityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	beat *heartbeater
}

func (o *activityOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.beat.recorded(details)
	o.Next.RecordHeartbeat(ctx, details...)
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

// stepKey carries a step's settings from ExecuteStep to the header.
type stepKey struct{}

func injectScope(ctx workflow.Context) {
	sc, ok := ctx.Value(scopeKey{}).(scope)
	if !ok {
		return
	}
	h := interceptor.WorkflowHeader(ctx)
	if h == nil {
		return
	}
	if p, err := converter.GetDefaultDataConverter().ToPayload(sc); err == nil {
		h[scopeHeader] = p
	}
	if st, ok := ctx.Value(stepKey{}).(stepSettings); ok && st.Reuse {
		if p, err := converter.GetDefaultDataConverter().ToPayload(st); err == nil {
			h[stepHeader] = p
		}
	}
}
