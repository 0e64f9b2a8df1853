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
// # The API, by side
//
// Workflow side: StartPipeline (PipelineOptions) makes the workflow a
// pipeline and returns its Pipeline, whose Apply changes the parent run
// from the workflow; ExecuteStep, ExecuteLocalStep and ExecuteChildStep
// (StepOptions) run a step and return a StepFuture, whose result carries
// the step's Summary; SkipStep records a step that did not run; Declare,
// with Attribute and TagAttribute, maps parent tags to typed search
// attributes.
//
// Activity side: FromContext gives the step its Run (NewOffline and
// WithRun give one outside Temporal: it records to a local folder and its
// Parent does nothing); Run logs metrics, lists, rows, tables, confusion
// matrices and images, sets properties and tags, uploads artifacts and
// reads data (Run.ReadData, or a DataReader for code that takes a
// datastore reader); Run.Parent gives the pipeline's Parent, whose changes
// (a ParentChange, or its Tag, SetTags, AddProperties and Log) reach the
// pipeline; Run.Complete returns the Summary to put in the step's result
// (a summarizer).
//
// Worker and client side: NewPlugin (PluginOptions) or NewPluginFromEnv
// makes the Plugin to add to client.Options.Plugins, the workflow
// replayer's options or the SDK's test environment;
// ExperimentSearchAttributes are the search attributes a starter sets on a
// pipeline it starts (the Keyword attribute Experiment), so
// `Experiment = "iris"` finds it in the Web UI and the CLI.
//
// Reading runs back: the pipeline answers the queries QueryRun (a
// ParentRecord: its tags, properties, metrics and steps) and QuerySteps
// (its StepInfo list; "metrics" gives the metric series alone); its memo
// holds "tags" and "properties"; ReadRecord reads a step's stored Record
// (its Point series, tables, ConfusionMatrix values, inputs) from the
// RecordRef its Summary or StepInfo names. Statuses are StatusRunning,
// StatusCompleted, StatusFailed, StatusSkipped and StatusReused.
//
// # Errors
//
// The errors a program can act on, to test with errors.Is:
//
//   - ErrNoTag: Summary.Tag and its typed forms, when the step did not set
//     the tag on itself (a tag set on the parent is not in the step's
//     Summary).
//   - ErrPropertyExists: AddProperties (of a Run or a Parent) given another
//     value for a property that has one; a property is write-once, so
//     another attempt fails again.
//   - ErrInvalid: a malformed argument (an empty name, a ragged confusion
//     matrix, a tag that is not a number where its search attribute is, an
//     experiment, workflow ID or step name that is not one path segment);
//     inside a worker such a name fails the step or pipeline with a
//     non-retryable application error of type "InvalidName".
//   - ErrNoPlugin: FromContext in an activity of a worker that runs without
//     the plugin.
//
// Other failures (a step run from a workflow context StartPipeline did not
// return, one plugin attached to clients of two namespaces, search
// attributes the worker cannot create) are mistakes in the program or the
// namespace, and their messages say what to change.
//
// # Step reuse
//
// A step run with StepOptions.Reuse takes the result of an earlier run of
// it (status StatusReused, Summary.ReusedFrom) when its name, activity
// type, input and Version are the same, the data it read through
// Run.ReadData or a DataReader still has the same ETags, and the files it
// uploaded still exist. The worker keeps an entry per key under the runs
// root's ".reuse" folder. Before the step is scheduled, a local activity
// of the plugin looks its entry up, so that a reused step's Web UI summary
// says "<step>: reused from <workflow-id>/<step>".
//
// # Script steps
//
// ExecuteScriptStep runs a ScriptStep, any command (python3
// by default) on a worker whose operator allowed it (PluginOptions.ScriptRoots: the
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
// "ScriptRefused" that names the setting; a script that exits non-zero
// fails with type "ScriptFailed", which the default retry policy does not
// retry (a step whose worker died runs again, up to three attempts).
package runctx
