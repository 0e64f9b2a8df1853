package runctx_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// countRows is a reusable step: it reads its data through the run, so that
// a later run reuses its result only while the data is unchanged.
func countRows(ctx context.Context, data string) (runctx.Summary, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return runctx.Summary{}, err
	}
	rc, _, err := run.ReadData(ctx, data) // recorded with its ETag
	if err != nil {
		return runctx.Summary{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return runctx.Summary{}, err
	}
	run.Log("rows", float64(strings.Count(string(b), "\n")))
	if _, err := run.Upload(ctx, "rows.txt", "text/plain", strings.NewReader("counted")); err != nil {
		return runctx.Summary{}, err
	}
	return run.Complete(ctx, nil) // a Summary is a whole step result
}

func countPipeline(ctx workflow.Context, data string) (string, error) {
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "rows"})
	if err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var s runctx.Summary
	step := runctx.StepOptions{Name: "count", Reuse: true, Version: "1"}
	if err := runctx.ExecuteStep(ctx, step, countRows, data).Get(ctx, &s); err != nil {
		return "", err
	}
	ran := s.Status != runctx.StatusReused // a Reused step's result is the earlier run's
	return fmt.Sprintf("%s %s rows=%v reused_from=%q ran=%v", s.RunID, s.Status, s.Metrics["rows"], s.ReusedFrom, ran), nil
}

// A step with StepOptions.Reuse runs once for the same name, input, version
// and data: the next pipeline's step is Reused from it, until the data
// changes.
func ExampleStepOptions_reuse() {
	dir, _ := os.MkdirTemp("", "runctx-reuse-")
	defer os.RemoveAll(dir)
	plugin, store, err := localPlugin(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := datastore.ParseRef("file:///data/rows.csv")
	write := func(body string) {
		if _, err := store.Write(context.Background(), data, strings.NewReader(body), datastore.WriteOptions{}); err != nil {
			fmt.Println(err)
		}
	}
	run := func(id string) {
		env := newEnv(plugin)
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
		env.RegisterWorkflow(countPipeline)
		env.RegisterActivity(countRows)
		env.ExecuteWorkflow(countPipeline, data.String())
		var res string
		if err := env.GetWorkflowResult(&res); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res)
	}

	write("a\nb\n")
	run("rows-1")
	run("rows-2") // same data: reused
	write("a\nb\nc\n")
	run("rows-3") // the data changed: computed again
	// Output:
	// rows-1_count Completed rows=2 reused_from="" ran=true
	// rows-2_count Reused rows=2 reused_from="rows-1_count" ran=false
	// rows-3_count Completed rows=3 reused_from="" ran=true
}
