package runctx

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// errNoPipeline is returned (wrapped) by a step run from a workflow
// context that StartPipeline did not return.
var errNoPipeline = errors.New("runctx: no pipeline in the workflow context (call StartPipeline first, and pass on the context it returns)")

// StepOptions name a step of a pipeline and describe it in the Web UI.
type StepOptions struct {
	// Name is the step's name, unique in its pipeline: the activity ID (a
	// child workflow's ID is the step's run ID), so the step's run ID is
	// <workflow ID>_<Name>, stable across retries. Required.
	Name string
	// Summary is the one line the Web UI shows for the step. Default: Name.
	Summary string
	// Reuse lets an activity step take the result of an earlier run of it
	// whose name, activity type, input, Version, and the data it read
	// (Run.ReadData, by ETag) are unchanged, and whose outputs still
	// exist, instead of running: Azure ML's allow_reuse. The reused step
	// is a child run of its own, with status Reused, and its Web UI summary
	// is "<Name>: reused from <workflow-id>/<Name>" in place of Summary
	// (a local activity looks the step up before it is scheduled).
	// Default: off.
	Reuse bool
	// Version is the step's code version, part of its reuse key: bump it
	// when the step's code changes what it computes, or earlier results
	// keep being reused.
	Version string
}

// StepFuture is the pending result of a step.
type StepFuture struct {
	future workflow.Future
	p      *Pipeline
	name   string
	ended  bool
}

// Get waits for the step, decodes its result into valuePtr (nil to drop
// it), and records the step as ended: completed with the summary its
// result carries (a summarizer), whose parent changes the pipeline now
// applies, or failed with its error. It returns the step's error, or else
// the error of a parent change the pipeline refused.
func (f *StepFuture) Get(ctx workflow.Context, valuePtr any) error {
	err := f.future.Get(ctx, valuePtr)
	if f.p == nil || f.ended {
		return err
	}
	f.ended = true
	var s Summary
	if sr, ok := valuePtr.(summarizer); ok && err == nil {
		s = sr.RunSummary()
	}
	return f.p.StepEnded(ctx, f.name, s, err)
}

// IsReady reports whether Get would not block.
func (f *StepFuture) IsReady() bool { return f.future.IsReady() }

// Future returns the step's underlying future, for a workflow.Selector;
// call Get on the StepFuture once the selector picks it.
func (f *StepFuture) Future() workflow.Future { return f.future }

// ExecuteStep runs activity as a step of the pipeline in ctx, with the
// activity options of ctx: it sets the activity ID and the Web UI summary
// from opts and records the step as running. Get records its end.
func ExecuteStep(ctx workflow.Context, opts StepOptions, activity any, args ...any) *StepFuture {
	p, err := begin(ctx, opts)
	if err != nil {
		return failed(ctx, err)
	}
	ao := workflow.GetActivityOptions(ctx)
	ao.ActivityID, ao.Summary = opts.Name, summaryOf(opts)
	ctx = workflow.WithActivityOptions(ctx, ao)
	if opts.Reuse {
		ctx = workflow.WithValue(ctx, stepKey{}, stepSettings{Reuse: true, Version: opts.Version})
	}
	f := workflow.ExecuteActivity(ctx, activity, args...)
	return &StepFuture{future: f, p: p, name: opts.Name}
}

// ExecuteLocalStep runs activity as a local activity step, with the local
// activity options of ctx. A local step keeps no record of its own and
// cannot change its parent; its result is what the workflow reads.
func ExecuteLocalStep(ctx workflow.Context, opts StepOptions, activity any, args ...any) *StepFuture {
	p, err := begin(ctx, opts)
	if err != nil {
		return failed(ctx, err)
	}
	lo := workflow.GetLocalActivityOptions(ctx)
	lo.Summary = summaryOf(opts)
	f := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, lo), activity, args...)
	return &StepFuture{future: f, p: p, name: opts.Name}
}

// ExecuteChildStep runs a child workflow as a step, with the child
// workflow options of ctx; its workflow ID defaults to the step's run ID.
func ExecuteChildStep(ctx workflow.Context, opts StepOptions, childWorkflow any, args ...any) *StepFuture {
	p, err := begin(ctx, opts)
	if err != nil {
		return failed(ctx, err)
	}
	co := workflow.GetChildWorkflowOptions(ctx)
	if co.WorkflowID == "" {
		co.WorkflowID = layout.StepRunID(workflow.GetInfo(ctx).WorkflowExecution.ID, opts.Name)
	}
	co.StaticSummary = summaryOf(opts)
	f := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, co), childWorkflow, args...)
	return &StepFuture{future: f, p: p, name: opts.Name}
}

// SkipStep records that a step of the pipeline in ctx did not run, and why.
func SkipStep(ctx workflow.Context, name, reason string) error {
	p, err := pipelineOf(ctx)
	if err != nil {
		return err
	}
	p.StepSkipped(ctx, name, reason)
	return nil
}

type pipelineKey struct{}

func pipelineOf(ctx workflow.Context) (*Pipeline, error) {
	if p, ok := ctx.Value(pipelineKey{}).(*Pipeline); ok {
		return p, nil
	}
	return nil, errNoPipeline
}

func begin(ctx workflow.Context, opts StepOptions) (*Pipeline, error) {
	if err := checkName("step", opts.Name); err != nil {
		return nil, err
	}
	p, err := pipelineOf(ctx)
	if err != nil {
		return nil, fmt.Errorf("step %s: %w", opts.Name, err)
	}
	p.StepStarted(ctx, opts.Name)
	return p, nil
}

func summaryOf(opts StepOptions) string {
	if opts.Summary == "" {
		return opts.Name
	}
	return opts.Summary
}

// failed returns a step that failed before it started.
func failed(ctx workflow.Context, err error) *StepFuture {
	f, s := workflow.NewFuture(ctx)
	s.SetError(err)
	return &StepFuture{future: f}
}
