package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// runOutput is what `starter run --json` prints: one object.
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

// pipelineFlags are the flags of a pipeline's input, shared by run and
// schedule create.
func pipelineFlags(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	Int64Var(*int64, string, int64, string)
}) *workflows.PipelineInput {
	in := &workflows.PipelineInput{}
	fs.StringVar(&in.Experiment, "experiment", workflows.DefaultExperiment, "experiment name (prefix of the workflow ID, search attribute Experiment)")
	fs.StringVar(&in.Data, "data", workflows.DefaultData, "data reference of the iris CSV: azblob://container/path or file:///path")
	fs.StringVar(&in.ModelName, "model-name", workflows.DefaultModelName, "registered model name")
	fs.Float64Var(&in.Threshold, "threshold", workflows.DefaultThreshold, "register only above this accuracy (and above the champion)")
	fs.IntVar(&in.Folds, "folds", workflows.DefaultFolds, "cross-validation folds")
	fs.Int64Var(&in.Seed, "seed", workflows.DefaultSeed, "seed of the train/validation split")
	fs.Float64Var(&in.ValidationSize, "validation-size", workflows.DefaultValidationSize, "share of rows held out for validation")
	fs.StringVar(&in.Outputs, "outputs", "", "datastore prefix for run outputs (default: the worker's, "+runctx.EnvRuns+" or "+runctx.DefaultRuns+")")
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

func runCmd(args []string, stdout io.Writer) error {
	fs := newFlags("run")
	in := pipelineFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object with the result instead of progress")
	id := fs.String("id", "", "workflow ID (default: <experiment>-<time>-<random>)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := checkInput(*in); err != nil {
		return err
	}
	if *id == "" {
		*id = newWorkflowID(in.Experiment)
	}
	cfg, c, err := connect()
	if err != nil {
		return err
	}
	defer c.Close()

	ctx := context.Background()
	we, err := c.ExecuteWorkflow(ctx, startOptions(*id, *in), workflows.TrainingPipeline, *in)
	if err != nil {
		return fmt.Errorf("start pipeline: %w", err)
	}
	out := runOutput{WorkflowID: we.GetID(), RunID: we.GetRunID(), UIURL: cfg.RunURL(we.GetID(), we.GetRunID())}
	stop := func() {}
	if !*asJSON {
		fmt.Fprintf(stdout, "started %s\n  %s\n", out.WorkflowID, out.UIURL)
		stop = follow(ctx, c, out.WorkflowID, out.RunID, stdout)
	}

	var res workflows.PipelineResult
	err = we.Get(ctx, &res)
	stop()
	if err != nil {
		out.Status, out.Error = "FAILED", rootCause(err)
	} else {
		out.Status = "COMPLETED"
		out.BestModel, out.Accuracy = res.BestModel, res.Accuracy
		out.Registered, out.ModelVersion, out.Reason = res.Registered, res.ModelVersion, res.Reason
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printRun(stdout, out)
	}
	if out.Status != "COMPLETED" {
		return errPipelineFailed
	}
	return nil
}

func printRun(w io.Writer, out runOutput) {
	if out.Status != "COMPLETED" {
		fmt.Fprintf(w, "FAILED %s: %s\n  %s\n", out.WorkflowID, out.Error, out.UIURL)
		return
	}
	fmt.Fprintf(w, "COMPLETED %s\n  best model %s, accuracy %.4f\n", out.WorkflowID, out.BestModel, out.Accuracy)
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

// follow prints each step's status as it changes, from the pipeline's steps
// query, until stop is called.
func follow(ctx context.Context, c client.Client, workflowID, runID string, w io.Writer) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	seen := map[string]string{}
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			printSteps(ctx, c, workflowID, runID, seen, w)
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
		printSteps(context.Background(), c, workflowID, runID, seen, w)
	}
}

func printSteps(ctx context.Context, c client.Client, workflowID, runID string, seen map[string]string, w io.Writer) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := c.QueryWorkflow(qctx, workflowID, runID, runctx.QuerySteps)
	if err != nil {
		return
	}
	var steps []runctx.StepInfo
	if v.Get(&steps) != nil {
		return
	}
	for _, s := range steps {
		line := s.Status + headline(s)
		if seen[s.Name] == line {
			continue
		}
		seen[s.Name] = line
		fmt.Fprintf(w, "  %-16s %s\n", s.Name, line)
	}
}

func headline(s runctx.StepInfo) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		parts = append(parts, k+"="+s.Tags[k])
	}
	if s.Reason != "" {
		parts = append(parts, s.Reason)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
