package pipeline

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// ModelsContainer is the Azure Blob container of the model registry.
const ModelsContainer = "models"

// NewWorker returns a worker on the pipeline's task queue with the
// workflow, the steps and the run-context interceptor registered.
func NewWorker(c client.Client, store datastore.Resolver, opts worker.Options) worker.Worker {
	opts.Interceptors = append(opts.Interceptors, runctx.NewInterceptor(runctx.InterceptorOptions{
		Client:         c,
		Storage:        RunStorage(store),
		DefaultOutputs: workflows.DefaultOutputs,
	}))
	w := worker.New(c, workflows.TaskQueue, opts)
	w.RegisterWorkflow(workflows.TrainingPipeline)
	w.RegisterActivity(&activities.Activities{Data: store, Registry: registry.New(store.Blob)})
	return w
}

