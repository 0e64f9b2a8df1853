package app

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/failure"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// NewWorker returns a worker on taskQueue with the reference pipeline and
// its steps registered; c carries the run-context plugin, and store is the
// plugin's store, which the steps read their data from.
func NewWorker(c client.Client, taskQueue string, store datastore.Resolver, opts worker.Options) worker.Worker {
	return NewWorkerWithTrain(c, taskQueue, store, opts, nil)
}

// NewWorkerWithTrain is NewWorker with the training step replaced by train,
// an activity function registered under the step's name (nil keeps the
// real one). Tests and benchmarks wrap the real step with it: to fail once,
// to log more, to return more.
func NewWorkerWithTrain(c client.Client, taskQueue string, store datastore.Resolver, opts worker.Options, train any) worker.Worker {
	// Every step's error is classified in one place: permanent ones
	// (bad reference, outside the roots, bad data…) fail the pipeline at
	// once, transient ones are retried.
	opts.Interceptors = append([]interceptor.WorkerInterceptor{failure.Interceptor()}, opts.Interceptors...)
	w := worker.New(c, taskQueue, WithPollerAutoscaling(opts))
	w.RegisterWorkflow(workflows.TrainingPipeline)
	w.RegisterWorkflow(workflows.ScriptPipeline)
	acts := Activities(store)
	if train == nil {
		train = acts.Train
	}
	w.RegisterActivityWithOptions(train, activity.RegisterOptions{Name: "Train"})
	w.RegisterActivityWithOptions(acts.LookupChampion, activity.RegisterOptions{Name: "LookupChampion"})
	w.RegisterActivityWithOptions(acts.RegisterModel, activity.RegisterOptions{Name: "RegisterModel"})
	RegisterSweep(w, activities.NewSweep(acts.Data))
	return w
}

// RegisterSweep registers the hyperparameter sweep and its steps on w; sw
// keeps the worker's cache of prepared data. The champion lookup and the
// registration are the pipeline's steps.
func RegisterSweep(w worker.Registry, sw *activities.Sweep) {
	w.RegisterWorkflow(workflows.HyperparameterSweep)
	w.RegisterActivityWithOptions(sw.PrepareSweep, activity.RegisterOptions{Name: "PrepareSweep"})
	w.RegisterActivityWithOptions(sw.SweepTrial, activity.RegisterOptions{Name: "SweepTrial"})
	w.RegisterActivityWithOptions(sw.SweepSummary, activity.RegisterOptions{Name: "SweepSummary"})
}

// WithPollerAutoscaling returns opts with workflow and activity task
// pollers that the server scales, where opts sets no poller count or
// behavior of its own. The SDK's default is two workflow task pollers,
// and one poll returns one task: with many pipelines in flight, tasks
// queue behind those two polls while the CPU idles (on this machine,
// 100 empty workflows in flight ran 25 a second with two pollers and
// about 40 with more).
func WithPollerAutoscaling(opts worker.Options) worker.Options {
	if opts.MaxConcurrentWorkflowTaskPollers == 0 && opts.WorkflowTaskPollerBehavior == nil {
		opts.WorkflowTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
	}
	if opts.MaxConcurrentActivityTaskPollers == 0 && opts.ActivityTaskPollerBehavior == nil {
		opts.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
	}
	return opts
}

// Activities returns the steps on store; the registry lives in its blob store.
func Activities(store datastore.Resolver) *activities.Activities {
	return &activities.Activities{Data: runctx.DataReader{Data: store}, Registry: registry.New(store.Blob)}
}
