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

// A DataReader reads data references for steps that take a datastore
// reader, and records each read in the step's run, with its ETag: the data
// a reused step depends on (Record.Inputs).
func ExampleDataReader() {
	dir, _ := os.MkdirTemp("", "runctx-data-")
	defer os.RemoveAll(dir)
	local := datastore.NewLocal(dir)
	ref, _ := datastore.ParseRef("file:///iris.csv")
	if _, err := local.Write(context.Background(), "", "iris.csv", strings.NewReader("5.1,3.5,1.4,0.2,setosa\n"), datastore.WriteOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	run := runctx.NewOffline(dir)
	ctx := runctx.WithRun(context.Background(), run)
	reader := runctx.DataReader{Data: datastore.Resolver{Local: local}}
	rc, _, err := reader.Read(ctx, ref)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	in := run.Record().Inputs[0]
	fmt.Println(strings.TrimSpace(string(b)), in.Ref, in.ETag != "")
	// Output:
	// 5.1,3.5,1.4,0.2,setosa file:///iris.csv true
}

// One plugin serves the clients of one namespace; attached to a client of
// another it refuses (the client's Dial fails). Make one per namespace.
func ExamplePlugin_ConfigureClient() {
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ns := range []string{"ml", "ml-staging"} {
		c, err := client.Dial(client.Options{Namespace: ns, Plugins: []client.Plugin{plugin}})
		if err != nil {
			fmt.Println(ns+":", err)
			continue
		}
		c.Close()
	}
}

// scoreResult embeds its run's summary: its RunSummary method comes with
// it, so the step's tags and parent changes reach the workflow.
type scoreResult struct {
	runctx.Summary
	Threshold float64 `json:"threshold"`
}

func score(ctx context.Context) (scoreResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return scoreResult{}, err
	}
	if err := run.Tag("f1", "0.88"); err != nil {
		return scoreResult{}, err
	}
	s, err := run.Complete(ctx, nil)
	return scoreResult{Summary: s, Threshold: 0.5}, err
}

func scorePipeline(ctx workflow.Context) (string, error) {
	ctx, _, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: "scores"})
	if err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var r scoreResult
	if err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: "score"}, score).Get(ctx, &r); err != nil {
		return "", err
	}
	f1, err := r.FloatTag("f1")
	return fmt.Sprintf("%s f1=%v threshold=%v", r.Status, f1, r.Threshold), err
}

// A step's result may embed its Summary (or be one): Summary is a
// summarizer.
func ExampleSummary_RunSummary() {
	dir, _ := os.MkdirTemp("", "runctx-embed-")
	defer os.RemoveAll(dir)
	plugin, _, err := localPlugin(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	env := newEnv(plugin)
	env.RegisterWorkflow(scorePipeline)
	env.RegisterActivity(score)
	env.ExecuteWorkflow(scorePipeline)
	var res string
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res)
	// Output:
	// Completed f1=0.88 threshold=0.5
}
