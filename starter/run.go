package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// runOutput is what `starter run -o json` prints: one object. Status is
// Completed, or how the pipeline ended otherwise (Failed, Canceled,
// Terminated, TimedOut).
type runOutput struct {
	WorkflowID   string  `json:"workflow_id"`
	RunID        string  `json:"run_id"`
	Status       string  `json:"status"`
	BestModel    string  `json:"best_model"`
	Accuracy     float64 `json:"accuracy"`
	Registered   bool    `json:"registered"`
	ModelVersion int     `json:"model_version"`
	Reason       string  `json:"reason,omitempty"`
	Error        string  `json:"error,omitempty"`
	UIURL        string  `json:"ui_url"`
}

// pipelineFlags adds the flags of a pipeline's input, shared by run and
// schedule create.
func pipelineFlags(fs *pflag.FlagSet) *workflows.PipelineInput {
	in := &workflows.PipelineInput{}
	fs.StringVar(&in.Experiment, "experiment", workflows.DefaultExperiment, "experiment name (prefix of the workflow ID, search attribute Experiment)")
	fs.StringVar(&in.Data, "data", workflows.DefaultData, "data reference of the iris CSV: azblob://container/path or file:///path")
	fs.StringVar(&in.ModelName, "model-name", workflows.DefaultModelName, "registered model name")
	fs.Float64Var(&in.Threshold, "threshold", workflows.DefaultThreshold, "register only above this accuracy (and above the champion)")
	fs.IntVar(&in.Folds, "folds", workflows.DefaultFolds, "cross-validation folds")
	fs.Int64Var(&in.Seed, "seed", workflows.DefaultSeed, "seed of the train/validation split")
	fs.Float64Var(&in.ValidationSize, "validation-size", workflows.DefaultValidationSize, "share of rows held out for validation")
	fs.StringVar(&in.Outputs, "outputs", "", "datastore prefix for run outputs (default: the worker's, "+settings.EnvRuns+" or "+settings.DefaultRuns+")")
	fs.BoolVar(&in.NoReuse, "no-reuse", false, "train again even when an earlier run trained on the same data with the same settings")
	fs.BoolVar(&in.NoPictures, "no-pictures", false, "skip the training step's confusion-matrix heatmaps and comparison plot")
	return in
}

// checkInput turns a bad pipeline input into a usage error.
func checkInput(in workflows.PipelineInput) error {
	if err := datastore.ValidateName("experiment", in.Experiment); err != nil {
		return usagef("--experiment: %v", err)
	}
	if err := datastore.ValidateName("model", in.ModelName); err != nil {
		return usagef("--model-name: %v", err)
	}
	if _, err := datastore.ParseRef(in.Data); err != nil {
		return usagef("--data: %v", err)
	}
	if in.Outputs != "" {
		if _, err := datastore.ParsePrefix(in.Outputs); err != nil {
			return usagef("--outputs: %v", err)
		}
	}
	if err := in.Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// startOptions are the workflow options of a pipeline: its ID starts with
// the experiment, its Experiment search attribute is set from the start,
// and its summary names what it trains on.
func startOptions(id string, in workflows.PipelineInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes(in.Experiment),
		StaticSummary:         fmt.Sprintf("%s: train %s on %s", in.Experiment, in.ModelName, in.Data),
		StaticDetails: fmt.Sprintf("**experiment** %s  \n**model name** %s  \n**data** %s  \n**threshold** %g  \n**folds** %d, **seed** %d, **validation size** %g",
			in.Experiment, in.ModelName, in.Data, in.Threshold, in.Folds, in.Seed, in.ValidationSize),
	}
}

func newWorkflowID(experiment string) string {
	return fmt.Sprintf("%s-%s-%s", experiment, time.Now().UTC().Format("20060102-150405"), uuid.NewString()[:8])
}

func newRunCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Start a pipeline and follow it to the end",
		Long: `Starts TrainingPipeline and follows it: each step as it starts, and as it
ends with its duration (on a terminal, one line per step, redrawn). Progress
goes to stderr; the result to stdout. With -o json, stdout gets one object:
workflow_id, run_id, status (Completed, Failed, Canceled, Terminated,
TimedOut), best_model, accuracy, registered, model_version, reason, error,
ui_url.

Exits 0 when the pipeline completed, 1 when it did not, 2 on a usage error.`,
		Example: `  starter run --data azblob://datasets/iris/iris.csv
  starter run --pipeline examples/scripts/pipeline.yml --input irisdata=azblob://datasets/iris/iris.csv
  starter run --data azblob://datasets/mine/my.csv --model-name mine --folds 5`,
		Args:              exactArgs(0, "[flags]"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	in := pipelineFlags(cmd.Flags())
	id := cmd.Flags().String("id", "", "workflow ID (default: <experiment>-<time>-<random>)")
	file := cmd.Flags().String("pipeline", "", "a pipeline file (YAML) of script steps to run instead of TrainingPipeline")
	inputs := cmd.Flags().StringArray("input", nil, "NAME=REF: with --pipeline, overrides the pipeline input NAME (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *file != "" {
			return c.runPipelineFile(cmd, *file, *id, *inputs)
		}
		if len(*inputs) > 0 {
			return usagef("--input goes with --pipeline")
		}
		return c.run(*in, *id)
	}
	return cmd
}

func (c *cli) run(in workflows.PipelineInput, id string) error {
	progress := newStepProgress(c.stderr)
	var res workflows.PipelineResult
	f, err := c.startAndFollow(launch{
		check: func() error { return checkInput(in) }, experiment: in.Experiment, id: id,
		options: func(id string) client.StartWorkflowOptions { return startOptions(id, in) },
		kind:    "pipeline", workflow: workflows.TrainingPipeline, input: in,
		every: 250 * time.Millisecond,
		poll: func(ctx context.Context, tc client.Client, workflowID, runID string) {
			pollSteps(ctx, tc, workflowID, runID, progress)
		},
	}, &res)
	if err != nil {
		return err
	}
	out := runOutput{WorkflowID: f.workflowID, RunID: f.runID, UIURL: f.uiURL, Status: f.status, Error: f.err}
	if f.completed() {
		out.BestModel, out.Accuracy = res.BestModel, res.Accuracy
		out.Registered, out.ModelVersion, out.Reason = res.Registered, res.ModelVersion, res.Reason
	}
	return c.report(out.Status, f.started, out, func(w io.Writer) { printRun(w, out) })
}

// launch is a workflow that run and sweep start and follow to its end.
type launch struct {
	// check, if set, refuses a bad input with a usage error, before anything starts.
	check func() error
	// experiment names the workflow when id is empty:
	// <experiment>-<time>-<random>.
	experiment, id string
	// options are the start options of the workflow with that ID.
	options         func(id string) client.StartWorkflowOptions
	kind            string // "pipeline" or "sweep", for messages
	workflow, input any
	// what follows the workflow ID on the "started" line, if anything.
	what string
	// poll shows the workflow's progress, every so often.
	every time.Duration
	poll  func(ctx context.Context, tc client.Client, workflowID, runID string)
}

// followed is how a launched workflow ended.
type followed struct {
	workflowID, runID, uiURL string
	// status is the workflow's status as the temporal CLI names it; err
	// the root cause of its failure.
	status, err string
	started     time.Time
}

func (f followed) completed() bool {
	return f.status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String()
}

// startAndFollow checks and starts l, says so on stderr with the run's
// Web UI address, follows it (l.poll, and a warning when no worker takes
// its tasks) until it ends, and decodes its result into res. Its error is
// one of the input, the connection or the start; how the workflow ended is
// in followed.
func (c *cli) startAndFollow(l launch, res any) (followed, error) {
	if l.check != nil {
		if err := l.check(); err != nil {
			return followed{}, err
		}
	}
	id := l.id
	if id == "" {
		id = newWorkflowID(l.experiment)
	}
	cfg, tc, err := c.connect()
	if err != nil {
		return followed{}, err
	}
	defer tc.Close()

	ctx := context.Background()
	f := followed{started: time.Now()}
	we, err := tc.ExecuteWorkflow(ctx, l.options(id), l.workflow, l.input)
	if err != nil {
		return followed{}, fmt.Errorf("start %s: %w", l.kind, err)
	}
	f.workflowID, f.runID, f.uiURL = we.GetID(), we.GetRunID(), cfg.RunURL(we.GetID(), we.GetRunID())
	fmt.Fprintf(c.stderr, "started %s%s\n  %s\n", f.workflowID, l.what, f.uiURL)
	stop := follow(ctx, l.every, func(ctx context.Context) { l.poll(ctx, tc, f.workflowID, f.runID) })
	wctx, noWorkerDone := context.WithCancel(ctx)
	go warnWithoutWorker(wctx, tc, cfg.Namespace(), f.workflowID, f.runID, c.stderr)

	err = we.Get(ctx, res)
	noWorkerDone()
	stop()
	if err != nil {
		// The latest run of the ID: a sweep continues as new.
		f.status, f.err = closedStatus(ctx, tc, f.workflowID, ""), rootCause(err)
	} else {
		f.status = enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String()
	}
	return f, nil
}

// report ends a command that followed a workflow to its end: it says on
// stderr how the workflow ended and how long it took, prints out (as JSON,
// or with print), and returns errPipelineFailed unless it completed.
func (c *cli) report(status string, started time.Time, out any, print func(io.Writer)) error {
	fmt.Fprintf(c.stderr, "%s in %s\n", status, duration(time.Since(started)))
	if c.json() {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		print(c.stdout)
	}
	if status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String() {
		return errPipelineFailed
	}
	return nil
}

// closedStatus is how a pipeline that did not complete ended: Failed,
// Canceled, Terminated or TimedOut, as the temporal CLI names them.
func closedStatus(ctx context.Context, tc client.Client, workflowID, runID string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := tc.DescribeWorkflowExecution(ctx, workflowID, runID)
	if s := d.GetWorkflowExecutionInfo().GetStatus(); err == nil && s != enums.WORKFLOW_EXECUTION_STATUS_RUNNING && s != enums.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		return s.String()
	}
	return enums.WORKFLOW_EXECUTION_STATUS_FAILED.String()
}

func printRun(w io.Writer, out runOutput) {
	if out.Status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String() {
		fmt.Fprintf(w, "%s %s: %s\n  %s\n", out.Status, out.WorkflowID, out.Error, out.UIURL)
		return
	}
	fmt.Fprintf(w, "%s %s\n  best model %s, accuracy %.4f\n", out.Status, out.WorkflowID, out.BestModel, out.Accuracy)
	if out.Registered {
		fmt.Fprintf(w, "  registered as version %d\n", out.ModelVersion)
	} else {
		fmt.Fprintf(w, "  not registered: %s\n", out.Reason)
	}
	fmt.Fprintf(w, "  %s\n", out.UIURL)
}

// rootCause returns the message of a workflow failure that a user can act
// on: the first application error's (bad data names file and line), else
// the innermost error's.
func rootCause(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err.Error()
		}
		err = u.Unwrap()
	}
}

// follow calls poll every interval, and once more when stop is called,
// so that the last state is shown too.
func follow(ctx context.Context, every time.Duration, poll func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			poll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		poll(context.Background())
	}
}

// pollSteps shows the steps' progress, from the pipeline's steps query.
func pollSteps(ctx context.Context, tc client.Client, workflowID, runID string, p *stepProgress) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := tc.QueryWorkflow(qctx, workflowID, runID, runctx.QuerySteps)
	if err != nil {
		return
	}
	var steps []runctx.StepInfo
	if v.Get(&steps) != nil {
		return
	}
	p.update(steps)
}

func headline(s runctx.StepInfo) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		parts = append(parts, k+"="+s.Tags[k])
	}
	if s.Reason != "" {
		parts = append(parts, s.Reason)
	}
	if s.ReusedFrom != "" {
		parts = append(parts, "reused from "+layout.ReusedFromName(s.Name, s.ReusedFrom))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
