package runctx

import (
	"context"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// A reusable step is looked up before it is scheduled, so that its
// activity's summary (the line the Web UI shows for it) can say that it
// is reused and from where: a local activity looks for the step's reuse
// entry, and the activity is then scheduled with the summary
// "<step>: reused from <workflow-id>/<step>" on a hit, or the step's own
// summary on a miss. The activity itself decides as before (the worker's
// interceptor reuses the entry, or runs the step and leaves one). Older
// pipelines, whose histories have no lookup, replay without it
// (workflow.GetVersion).

// reuseSummaryChange is the workflow.GetVersion change ID of the lookup
// before a reusable step.
const reuseSummaryChange = "runctx-reuse-summary"

// maxSummary is the longest user-metadata summary the server takes.
const maxSummary = 400

// reuseQuery names the reuse entry of a step.
type reuseQuery struct {
	Step string `json:"step"`
	Key  string `json:"key"`
}

// reuseHit is the run a step would reuse; empty on a miss.
type reuseHit struct {
	WorkflowID string `json:"workflow_id,omitempty"`
	Step       string `json:"step,omitempty"`
}

// reuseLookup is the lookup local activity, on the plugin's runs root and
// datastore.
type reuseLookup struct {
	runs string
	u    reuser
}

// lookUp returns the run whose entry the step would reuse. A missing,
// stale or unreadable entry is a miss, not an error: the step then runs
// with its own summary, and its activity decides again.
func (l reuseLookup) lookUp(ctx context.Context, q reuseQuery) (reuseHit, error) {
	e, _, err := l.u.lookup(ctx, layout.ReuseEntryRef(l.runs, q.Step, q.Key))
	if err != nil || e == nil {
		return reuseHit{}, nil
	}
	return reuseHit{WorkflowID: e.WorkflowID, Step: e.Step}, nil
}

// reusedSummary is the Web UI summary of a step reused from hit, cut to
// the server's limit.
func reusedSummary(hit reuseHit) string {
	s := hit.Step + ": reused from " + hit.WorkflowID + "/" + hit.Step
	if len(s) <= maxSummary {
		return s
	}
	s = s[:maxSummary-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// reuseInterceptor is the workflow half of the lookup: it runs inside the
// run-context interceptor, so the step's headers are already set.
type reuseInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*reuseInterceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &reuseInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type reuseInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *reuseInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return w.Next.Init(&reuseOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type reuseOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

// ExecuteActivity looks a reusable step up before it schedules it, and
// schedules it with the summary that says where it is reused from on a
// hit. Other activities, steps of a pipeline run with NoReuse, and
// pipelines started before the lookup existed are scheduled as they are.
func (w *reuseOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	st, _ := ctx.Value(stepKey{}).(stepSettings)
	sc, _ := ctx.Value(scopeKey{}).(scope)
	if !st.Reuse || sc.NoReuse {
		return w.Next.ExecuteActivity(ctx, activityType, args...)
	}
	if w.Next.GetVersion(ctx, reuseSummaryChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return w.Next.ExecuteActivity(ctx, activityType, args...)
	}
	ao := workflow.GetActivityOptions(ctx)
	key, err := reuseKey(ao.ActivityID, activityType, st.Version, args)
	if err != nil { // the activity finds it does not serialize, and runs
		return w.Next.ExecuteActivity(ctx, activityType, args...)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:                ao.ActivityID + ": looks for an earlier run to reuse",
	})
	lookup := workflow.ExecuteLocalActivity(lctx, layout.ReuseLookupActivity, reuseQuery{Step: ao.ActivityID, Key: key})
	f, set := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(gctx workflow.Context) {
		var hit reuseHit
		if err := lookup.Get(gctx, &hit); err == nil && hit.WorkflowID != "" {
			ao.Summary = reusedSummary(hit)
		}
		set.Chain(w.Next.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), activityType, args...))
	})
	return f
}
