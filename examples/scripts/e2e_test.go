package scripts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/examples/scripts"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// debianPython is the interpreter with scikit-learn, pandas and matplotlib
// that scripts/tools.sh installs.
const debianPython = "/usr/bin/python3"

// TestScriptsAgreeWithTrainingPipeline runs the two Azure ML scripts as
// script steps on a real dev server and Azurite, with scikit-learn, and
// TrainingPipeline on the same data: both find the same best model with
// the same accuracy, and the register script registers a version in the
// registry, linked to its run.
func TestScriptsAgreeWithTrainingPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: needs the dev server and Azurite")
	}
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	dir := t.TempDir()
	az, err := devstack.StartAzurite(filepath.Join(dir, "azurite"))
	require.NoError(t, err)
	t.Cleanup(az.Discard)
	srv, err := devstack.StartDevServer(dir, devstack.DevServerOptions{})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: az.ConnectionString()})
	require.NoError(t, err)
	store := datastore.Resolver{Blob: blob, Local: datastore.NewLocalRoots(filepath.Join(root, "data"))}
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: store,
		ScriptRoots: []string{filepath.Join(root, "examples", "scripts")}, ScriptClient: filepath.Join(root, "python"), ScriptDir: dir})
	require.NoError(t, err)
	opts := srv.ClientOptions()
	opts.Plugins = []client.Plugin{plugin}
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, scripts.TaskQueue, worker.Options{})
	w.RegisterWorkflow(scripts.IrisScripts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	ref := app.NewWorker(c, workflows.TaskQueue, store, worker.Options{})
	require.NoError(t, ref.Start())
	t.Cleanup(ref.Stop)

	iris, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	require.NoError(t, err)
	data := "azblob://workspaceblobstore/data/iris.csv"
	r, err := datastore.ParseRef(data)
	require.NoError(t, err)
	_, err = store.Write(context.Background(), r, bytesReader(iris), datastore.WriteOptions{ContentType: "text/csv"})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: scripts.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes("iris-scripts")}, scripts.IrisScripts,
		scripts.Input{Source: filepath.Join(root, "examples", "scripts", "src"), Data: data, ModelName: "iris_classifier_model", Threshold: 0.9, Command: debianPython})
	require.NoError(t, err)
	var got scripts.Result
	require.NoError(t, run.Get(ctx, &got))
	exportHistory(t, c, run, "registered.json")

	refRun, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes("iris")}, workflows.TrainingPipeline,
		workflows.PipelineInput{Experiment: "iris", ModelName: "iris-go", Data: data, Threshold: 1.01, NoPictures: true})
	require.NoError(t, err)
	var want workflows.PipelineResult
	require.NoError(t, refRun.Get(ctx, &want))

	assert.Equal(t, want.BestModel, got.BestModel, "the scikit-learn scripts and TrainingPipeline agree on the best model")
	assert.InDelta(t, want.Accuracy, got.Accuracy, 1e-12, "and on its accuracy")
	assert.True(t, got.Registered, got.Reason)
	v, err := registry.New(blob).Champion(ctx, "iris_classifier_model")
	require.NoError(t, err)
	require.NotNil(t, v, "register.py registered a version")
	assert.Equal(t, "ScikitLearn", v.Framework)
	assert.Equal(t, run.GetID()+"_register", v.Run.StepRunID, "the version links to the script's run")
	assert.Equal(t, "azblob://workspaceblobstore/data/sample_data.csv", v.DataRef, "the sample dataset is recorded")

	// A second run does not beat the registered model: register.py says
	// so and registers nothing.
	run2, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: scripts.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes("iris-scripts")}, scripts.IrisScripts,
		scripts.Input{Source: filepath.Join(root, "examples", "scripts", "src"), Data: data, ModelName: "iris_classifier_model", Threshold: 0.9, Command: debianPython})
	require.NoError(t, err)
	var again scripts.Result
	require.NoError(t, run2.Get(ctx, &again))
	assert.False(t, again.Registered)
	all, err := registry.New(blob).Versions(ctx, "iris_classifier_model")
	require.NoError(t, err)
	assert.Len(t, all, 1)

	// Above the threshold nothing runs: the register step is skipped.
	run3, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: scripts.TaskQueue,
		TypedSearchAttributes: runctx.ExperimentSearchAttributes("iris-scripts")}, scripts.IrisScripts,
		scripts.Input{Source: filepath.Join(root, "examples", "scripts", "src"), Data: data, ModelName: "iris_classifier_model", Threshold: 0.99, Command: debianPython})
	require.NoError(t, err)
	var skipped scripts.Result
	require.NoError(t, run3.Get(ctx, &skipped))
	assert.Contains(t, skipped.Reason, "does not beat the threshold 0.99")
	exportHistory(t, c, run3, "skipped.json")
}
