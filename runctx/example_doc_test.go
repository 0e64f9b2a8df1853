package runctx_test

// This file is the package doc's Usage program (doc.go), run as Example.
// TestDocUsageIsExample fails when a code line of the doc is not here, in
// the same order: change the two together.

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// ---- doc: worker ----

func runWorker(runs string) error {
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: runs}) // "azblob://runs", or "file:///…" under a local root
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{Plugins: []client.Plugin{plugin}})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, "ml", worker.Options{})
	w.RegisterWorkflow(TrainingPipeline)
	w.RegisterActivity(Train)
	w.RegisterActivity(Register)
	return w.Run(worker.InterruptCh())
}

// ---- doc: workflow ----

func init() { runctx.Declare(TrainingPipeline, runctx.Attribute[float64]("accuracy", "Accuracy")) }

func TrainingPipeline(ctx workflow.Context, threshold float64) (string, error) {
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
	if err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var tr TrainResult
	if err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train"}, Train, "iris.csv").Get(ctx, &tr); err != nil {
		return "", err
	}
	acc, err := tr.Step.FloatTag("accuracy") // the step's own tag
	if err != nil {
		return "", err
	}
	if acc < threshold {
		return "skipped", runctx.SkipStep(ctx, "register", "not accurate enough")
	}
	return "registered", runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "register"}, Register, tr.ModelRef).Get(ctx, nil)
}

// ---- doc: activity ----

type TrainResult struct {
	Step     runctx.Summary // the step's own tags, and its changes to the parent
	ModelRef string
}

func (r TrainResult) RunSummary() runctx.Summary { return r.Step }

func Train(ctx context.Context, data string) (TrainResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return TrainResult{}, err
	}
	run.Log("accuracy", 0.93)
	if err := run.Tag("accuracy", "0.93"); err != nil { // read by the workflow
		return TrainResult{}, err
	}
	if err := run.Parent().Tag("accuracy", "0.93"); err != nil { // the pipeline's Accuracy search attribute
		return TrainResult{}, err
	}
	s, err := run.Complete(ctx, nil)
	return TrainResult{Step: s, ModelRef: run.OutputRef("model.json")}, err
}

// ---- end of the doc's program ----

// Register is the doc's second step.
func Register(ctx context.Context, modelRef string) error { return nil }

// The package doc's program: a worker's plugin, a pipeline that trains,
// reads the step's accuracy tag and registers or skips, and the training
// step. Here it runs on the SDK's test environment with the plugin
// attached, as on a worker, its runs recorded in a local folder.
func Example() {
	_ = runWorker // what a worker's main does; here the test environment is the worker
	dir, _ := os.MkdirTemp("", "runctx-doc-")
	defer os.RemoveAll(dir)
	local := datastore.NewLocal(dir)
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: "file:///runs", Store: datastore.Resolver{Local: local, Blob: local}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, threshold := range []float64{0.9, 0.95} {
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(quiet)
		env := ts.NewTestWorkflowEnvironment()
		env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
		env.RegisterWorkflow(TrainingPipeline)
		env.RegisterActivity(Train)
		env.RegisterActivity(Register)
		env.ExecuteWorkflow(TrainingPipeline, threshold)
		var res string
		if err := env.GetWorkflowResult(&res); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(threshold, res)
		printSteps(env)
	}
	// Output:
	// 0.9 registered
	// train Completed  map[accuracy:0.93]
	// register Completed  map[]
	// 0.95 skipped
	// train Completed  map[accuracy:0.93]
	// register Skipped not accurate enough map[]
}
