// Package scripts is the reference pipeline with its steps written as
// Azure ML v1 Python scripts (src/train.py, src/register.py) and run as
// script steps: the workflow is Go, written only against runctx's public
// API; the steps are scikit-learn, unchanged from Azure ML. It reads the
// pipeline's accuracy tag that the training script set and runs the
// register script or skips it, as TrainingPipeline does.
package scripts

import (
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// TaskQueue is the example's task queue.
const TaskQueue = "iris-scripts"

func init() {
	runctx.Declare(IrisScripts,
		runctx.Attribute[string]("best_model", "BestModel"),
		runctx.Attribute[float64]("accuracy", "Accuracy"))
}

// Input is the pipeline's input.
type Input struct {
	// Experiment names the pipeline. Default "iris-scripts".
	Experiment string `json:"experiment"`
	// Source is the folder of train.py and register.py on the worker,
	// under its PIPELINE_SCRIPT_ROOTS, or "snapshot:<hash>".
	Source string `json:"source"`
	// Data is the iris CSV's data reference.
	Data string `json:"data"`
	// ModelName is the registered model's name.
	ModelName string `json:"model_name"`
	// Threshold: register only above this accuracy.
	Threshold float64 `json:"threshold"`
	// Command runs the scripts. Default python3.
	Command string `json:"command,omitempty"`
}

// Result is what the pipeline decided.
type Result struct {
	BestModel  string  `json:"best_model"`
	Accuracy   float64 `json:"accuracy"`
	Registered bool    `json:"registered"`
	Reason     string  `json:"reason,omitempty"`
}

// IrisScripts trains with train.py and registers with register.py when
// the accuracy the training script tagged beats the threshold.
func IrisScripts(ctx workflow.Context, in Input) (Result, error) {
	if in.Experiment == "" {
		in.Experiment = "iris-scripts"
	}
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: in.Experiment})
	if err != nil {
		return Result{}, err
	}
	var train runctx.ScriptResult
	err = runctx.ExecuteScriptStep(ctx, runctx.ScriptStep{
		Source: in.Source, Script: "train.py", Command: in.Command, Arguments: []string{"--folds", "3"},
		Inputs: map[string]string{"irisdata": in.Data}, Outputs: []string{"model_output"},
	}).Get(ctx, &train)
	if err != nil {
		return Result{}, err
	}
	// The training script tagged itself (and its parent) with its best
	// model and accuracy: the step's summary carries its own tags.
	acc, err := train.Step.FloatTag("accuracy")
	if err != nil {
		return Result{}, err
	}
	res := Result{BestModel: p.Record().Tags["best_model"], Accuracy: acc}
	if acc <= in.Threshold {
		res.Reason = "accuracy " + strconv.FormatFloat(acc, 'f', 4, 64) + " does not beat the threshold " + strconv.FormatFloat(in.Threshold, 'g', -1, 64)
		return res, runctx.SkipStep(ctx, "register", res.Reason)
	}
	var reg runctx.ScriptResult
	err = runctx.ExecuteScriptStep(ctx, runctx.ScriptStep{
		Source: in.Source, Script: "register.py", Command: in.Command, Arguments: []string{"--model_name", in.ModelName},
		Inputs: map[string]string{"model_output": train.Outputs["model_output"]},
	}).Get(ctx, &reg)
	if err != nil {
		return res, err
	}
	res.Registered = p.Record().Tags["model_registered"] == "true"
	if !res.Registered {
		res.Reason = "the registered model is at least as good"
	}
	return res, nil
}
