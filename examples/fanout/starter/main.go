// Command starter starts one fanout pipeline, waits for it, and prints
// its outcome: a short summary, or with --json one JSON object. It exits
// 0 when the pipeline completed, 1 when it did not, 2 on a usage error.
//
// It reaches Temporal and storage through the same environment as the
// worker.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/temporal-ml/runctx-pipeline/examples/fanout"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Output is what --json prints.
type Output struct {
	WorkflowID   string  `json:"workflow_id"`
	Status       string  `json:"status"`
	BestModel    string  `json:"best_model"`
	Accuracy     float64 `json:"accuracy"`
	Registered   bool    `json:"registered"`
	ModelVersion int     `json:"model_version"`
	Reason       string  `json:"reason,omitempty"`
	Error        string  `json:"error,omitempty"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("starter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", fanout.DefaultData, "data reference of the CSV (azblob://… or file:///…)")
	modelName := fs.String("model-name", fanout.DefaultModelName, "registered model name")
	threshold := fs.Float64("threshold", 0, "register only above this accuracy (0 to 1)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "starter: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *threshold < 0 || *threshold > 1 {
		fmt.Fprintf(stderr, "starter: --threshold %g: need 0 ≤ threshold ≤ 1\n", *threshold)
		return 2
	}

	// The plugin gives the client the same External Storage as the worker,
	// so it reads results whatever their size.
	plugin, err := runctx.NewPluginFromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "starter: run context:", err)
		return 1
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		fmt.Fprintln(stderr, "starter: client options:", err)
		return 1
	}
	opts.Plugins = append(opts.Plugins, plugin)
	c, err := client.Dial(opts)
	if err != nil {
		fmt.Fprintln(stderr, "starter: unable to create Temporal client:", err)
		return 1
	}
	defer c.Close()

	ctx := context.Background()
	we, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    "fanout-" + uuid.NewString(),
		TaskQueue:             fanout.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes(fanout.Experiment),
	}, fanout.FanoutPipeline, fanout.Input{Data: *data, ModelName: *modelName, Threshold: *threshold})
	if err != nil {
		fmt.Fprintln(stderr, "starter: unable to start the pipeline:", err)
		return 1
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "started %s (run %s)\n", we.GetID(), we.GetRunID())
	}

	var res fanout.Result
	out := Output{WorkflowID: we.GetID(), Status: enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String()}
	if err := we.Get(ctx, &res); err != nil {
		out.Status, out.Error = status(ctx, c, we), rootCause(err)
	}
	out.BestModel, out.Accuracy = res.BestModel, res.Accuracy
	out.Registered, out.ModelVersion, out.Reason = res.Registered, res.ModelVersion, res.Reason

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "starter:", err)
			return 1
		}
	} else {
		printSummary(stdout, out)
	}
	if out.Status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String() {
		return 1
	}
	return 0
}

// status returns the workflow's status as the temporal CLI prints it:
// Failed, TimedOut, Terminated…
func status(ctx context.Context, c client.Client, we client.WorkflowRun) string {
	d, err := c.DescribeWorkflowExecution(ctx, we.GetID(), we.GetRunID())
	if err != nil {
		return "Unknown"
	}
	return d.GetWorkflowExecutionInfo().GetStatus().String()
}

// rootCause returns the message of the innermost error, which names the
// step's file and line for bad data.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func printSummary(w io.Writer, out Output) {
	fmt.Fprintf(w, "%s: %s\n", out.WorkflowID, out.Status)
	if out.Error != "" {
		fmt.Fprintf(w, "error: %s\n", out.Error)
		return
	}
	fmt.Fprintf(w, "best model %s, accuracy %.4f\n", out.BestModel, out.Accuracy)
	if out.Registered {
		fmt.Fprintf(w, "registered as version %d\n", out.ModelVersion)
	} else {
		fmt.Fprintf(w, "not registered: %s\n", out.Reason)
	}
}
