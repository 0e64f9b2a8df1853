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
// Worker: add the plugin to the client's options, once; every worker of
// that client gets the run context, and the search attributes its
// pipelines declare are created when it starts.
//
//	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: "azblob://runs"})
//	c, err := client.Dial(client.Options{Plugins: []client.Plugin{plugin}})
//	w := worker.New(c, "ml", worker.Options{})
//
// NewPluginFromEnv reads the same settings from the environment.
//
// Workflow: start the pipeline, run each step with one call, read what the
// steps tagged, and decide.
//
//	func init() { runctx.Declare(Pipeline, runctx.FloatAttribute("accuracy", "Accuracy")) }
//
//	func Pipeline(ctx workflow.Context, in Input) (Result, error) {
//		ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "iris"})
//		…
//		var tr TrainResult
//		err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "train"}, Train, in).Get(ctx, &tr)
//		acc, err := tr.Step.FloatTag("accuracy")
//		if acc < 0.9 {
//			runctx.SkipStep(ctx, "register", "not accurate enough")
//		}
//
// Activity: get the run, log, tag the parent, and return the summary.
//
//	func Train(ctx context.Context, in Input) (TrainResult, error) {
//		run, err := runctx.FromContext(ctx)
//		run.Log("accuracy", 0.93)
//		run.Parent().Tag("accuracy", "0.93")
//		s, err := run.Complete(ctx, nil)
//		return TrainResult{Step: s}, err
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
// Script steps: ExecuteScriptStep runs a ScriptStep, any command (python3
// by default) on a worker whose operator allowed it (ScriptOptions: the
// folders of PIPELINE_SCRIPT_ROOTS, snapshots with
// PIPELINE_SCRIPT_SNAPSHOTS=on; PIPELINE_SCRIPT_CLIENT is the Python
// client's folder), in a fresh copy of its source directory and its own
// process group, with an allow-listed environment that never holds the
// worker's credentials. The script records through a bridge on loopback
// (internal/script/PROTOCOL.md) into the step's Run, so its tags and parent
// changes reach the workflow in its ScriptResult as a Go step's do; its
// inputs are downloaded read-only, its named outputs uploaded, and its
// stdout and stderr kept, bounded, as logs/std_log.txt. A worker with
// script steps off refuses them with a non-retryable error of type
// ErrTypeScriptRefused that names the setting; a script that exits non-zero
// fails with ErrTypeScriptFailed, which DefaultScriptRetryPolicy does not
// retry.
//
//	var res runctx.ScriptResult
//	err := runctx.ExecuteScriptStep(ctx, runctx.ScriptStep{
//		Source: "/srv/scripts/iris", Script: "train.py",
//		Inputs: map[string]string{"data": "azblob://datasets/iris/iris.csv"}, Outputs: []string{"model"},
//	}).Get(ctx, &res)
//	acc, err := res.Step.FloatTag("accuracy")
//
// Outside Temporal, NewOffline gives a step a run that records to a local
// folder.
package runctx
