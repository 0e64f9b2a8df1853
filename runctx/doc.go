// Package runctx is Azure ML's run context on Temporal: a pipeline is a
// workflow (the parent run), each of its steps an activity, local activity
// or child workflow (a child run) that logs metrics, tables, confusion
// matrices, write-once properties and mutable tags, to itself and to its
// parent. What steps log is stored in a datastore (Azure Blob storage or a
// local folder); the parent's tags become search attributes and memo, so
// the Temporal Web UI and CLI show them.
//
// # Usage
//
// The program below is Example in example_doc_test.go, run by go test; a
// test fails when the two part.
//
// Worker and client: add the plugin to the client's options, once; every
// worker of that client gets the run context, and the search attributes
// its pipelines declare are created when it starts. NewPluginFromEnv reads
// the same settings from the environment.
//
//	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: runs}) // "azblob://runs", or "file:///…" under a local root
//	if err != nil {
//		return err
//	}
//	c, err := client.Dial(client.Options{Plugins: []client.Plugin{plugin}})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	w := worker.New(c, "ml", worker.Options{})
//	w.RegisterWorkflow(TrainingPipeline)
//	w.RegisterActivity(Train)
//	w.RegisterActivity(Register)
//	return w.Run(worker.InterruptCh())
//
// Workflow side: start the pipeline, run each step with one call, read
// what the step tagged on itself, and decide.
//
//	func init() { runctx.Declare(TrainingPipeline, runctx.Attribute[float64]("accuracy", "Accuracy")) }
//
//	func TrainingPipeline(ctx workflow.Context, threshold float64) (string, error) {
//		ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
//		if err != nil {
//			return "", err
//		}
//		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
//		var tr TrainResult
//		if err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train"}, Train, "iris.csv").Get(ctx, &tr); err != nil {
//			return "", err
//		}
//		acc, err := tr.Step.FloatTag("accuracy") // the step's own tag
//		if err != nil {
//			return "", err
//		}
//		if acc < threshold {
//			return "skipped", runctx.SkipStep(ctx, "register", "not accurate enough")
//		}
//		return "registered", runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "register"}, Register, tr.ModelRef).Get(ctx, nil)
//	}
//
// Activity side: get the run, log, tag the step (what the workflow reads:
// a step's Summary holds only its own tags) and the parent (the pipeline's
// search attributes and memo), and return the summary.
//
//	type TrainResult struct {
//		Step     runctx.Summary // the step's own tags, and its changes to the parent
//		ModelRef string
//	}
//
//	func (r TrainResult) RunSummary() runctx.Summary { return r.Step }
//
//	func Train(ctx context.Context, data string) (TrainResult, error) {
//		run, err := runctx.FromContext(ctx)
//		if err != nil {
//			return TrainResult{}, err
//		}
//		run.Log("accuracy", 0.93)
//		if err := run.Tag("accuracy", "0.93"); err != nil { // read by the workflow
//			return TrainResult{}, err
//		}
//		if err := run.Parent().Tag("accuracy", "0.93"); err != nil { // the pipeline's Accuracy search attribute
//			return TrainResult{}, err
//		}
//		s, err := run.Complete(ctx, nil)
//		return TrainResult{Step: s, ModelRef: run.OutputRef("model.json")}, err
//	}
//
// Step reuse: a step run with StepOptions.Reuse takes the result of an
// earlier run of it (status StatusReused, Summary.ReusedFrom) when its
// name, activity type, input and Version are the same, the data it read
// through Run.ReadData or a DataReader still has the same ETags, and the
// files it uploaded still exist. The worker keeps a ReuseEntry per key at
// ReuseEntryRef, under the runs root's ReuseFolder. Before the step is
// scheduled, the plugin's local activity ReuseLookupActivity looks its
// entry up, so that a reused step's Web UI summary says
// "<step>: reused from <workflow-id>/<step>" (ReusedFromName).
//
// Outside Temporal, NewOffline gives a step a run that records to a local
// folder.
package runctx
