package testsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

func TestStarterShowAndModels(t *testing.T) {
	run, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-show", Data: irisRef})
	require.NoError(t, err)
	require.True(t, res.Registered)

	// -o json and --json, before or after the workflow ID: one object.
	stdout, stderr, code := starter(t, "show", run.GetID(), "-o", "json")
	require.Equal(t, 0, code, stderr)
	for _, args := range [][]string{{"show", "-o", "json", run.GetID()}, {"show", run.GetID(), "--json"}} {
		again, stderr, code := starter(t, args...)
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, stdout, again, "%v", args)
	}
	var show struct {
		Status     string            `json:"status"`
		Tags       map[string]string `json:"tags"`
		Properties map[string]string `json:"properties"`
		Steps      []struct {
			Name              string               `json:"name"`
			RunID             string               `json:"run_id"`
			Metrics           map[string][]float64 `json:"metrics"`
			ConfusionMatrices map[string]struct {
				SchemaType string `json:"schema_type"`
				Data       struct {
					ClassLabels []string `json:"class_labels"`
					Matrix      [][]int  `json:"matrix"`
				} `json:"data"`
			} `json:"confusion_matrices"`
			Images map[string]string `json:"images"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &show), stdout)
	assert.Equal(t, "Completed", show.Status)
	assert.Equal(t, res.BestModel, show.Properties["best_model"])
	require.NotEmpty(t, show.Steps)
	train := show.Steps[0]
	assert.Equal(t, "train", train.Name)
	assert.Equal(t, run.GetID()+"_train", train.RunID)
	for _, name := range ml.Names {
		assert.Len(t, train.Metrics[name+"_accuracy"], 1, name)
		cm, ok := train.ConfusionMatrices["Confusion matrix "+name]
		require.True(t, ok, name)
		assert.Equal(t, "confusion_matrix", cm.SchemaType)
		total := 0
		for _, row := range cm.Data.Matrix {
			for _, v := range row {
				total += v
			}
		}
		assert.Equal(t, 30, total, "the validation part is 20%% of 150 rows")
		assert.Contains(t, train.Images, "Confusion matrix "+name)
	}

	// The images: a heatmap per model and the algorithm comparison, listed
	// in the text and written by --save-images, each a PNG that decodes.
	assert.Len(t, train.Images, len(ml.Names)+1)
	assert.Contains(t, train.Images, "Algorithm comparison")
	text, stderr, code := starter(t, "show", run.GetID())
	require.Equal(t, 0, code, stderr)
	for name, ref := range train.Images {
		assert.Contains(t, text, "image     "+name+" = "+ref)
	}
	dir := filepath.Join(t.TempDir(), "plots")
	text, stderr, code = starter(t, "show", run.GetID(), "--save-images", dir)
	require.Equal(t, 0, code, stderr)
	files, err := filepath.Glob(filepath.Join(dir, "*.png"))
	require.NoError(t, err)
	assert.Len(t, files, len(ml.Names)+1)
	assert.Contains(t, files, filepath.Join(dir, run.GetID()+"_train_Confusion_matrix_LR.png"))
	assert.Contains(t, files, filepath.Join(dir, run.GetID()+"_train_Algorithm_comparison.png"))
	for _, f := range files {
		assert.Contains(t, text, "saved "+f)
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err, f)
		assert.Greater(t, img.Bounds().Dx(), 400, f)
		assert.Greater(t, img.Bounds().Dy(), 300, f)
	}
	if keep := os.Getenv("SHOW_IMAGES_DIR"); keep != "" { // to look at them
		for _, f := range files {
			b, _ := os.ReadFile(f)
			require.NoError(t, os.WriteFile(filepath.Join(keep, filepath.Base(f)), b, 0o644))
		}
	}

	stdout, stderr, code = starter(t, "models", "--json", "it-show")
	require.Equal(t, 0, code, stderr)
	var models []struct {
		Version    int    `json:"version"`
		Champion   bool   `json:"champion"`
		WorkflowID string `json:"workflow_id"`
		RunID      string `json:"run_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &models), stdout)
	require.Len(t, models, 1)
	assert.Equal(t, run.GetID(), models[0].WorkflowID)
	assert.Equal(t, run.GetRunID(), models[0].RunID)
	assert.True(t, models[0].Champion)
}

// TestConcurrentPipelinesMakeOneChampion: two pipelines of one model name
// started at once on the same data end with exactly one version.
func TestConcurrentPipelinesMakeOneChampion(t *testing.T) {
	var wg sync.WaitGroup
	results := make([]workflows.PipelineResult, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-race", Data: irisRef})
			assert.NoError(t, err)
			results[i] = res
		}()
	}
	wg.Wait()
	assert.True(t, results[0].Registered != results[1].Registered, "exactly one registers: %+v", results)
	versions, err := stack.registry.Versions(t.Context(), "it-race")
	require.NoError(t, err)
	assert.Len(t, versions, 1)
}

// TestStarterShowWhileRunning: while the pipeline runs, show answers from
// the workflow's queries, with what the training step has already set on
// its parent.
func TestStarterShowWhileRunning(t *testing.T) {
	acts := app.Activities(stack.store)
	release := make(chan struct{})
	startWorkerWithTrain(t, "show-running-tq", func(ctx context.Context, in activities.TrainInput) (activities.TrainResult, error) {
		run, err := runctx.FromContext(ctx)
		if err != nil {
			return activities.TrainResult{}, err
		}
		if err := run.Parent().Apply(runctx.ParentChange{Tags: map[string]string{"stage": "training"}}); err != nil {
			return activities.TrainResult{}, err
		}
		<-release
		return acts.Train(ctx, in)
	})
	we, err := stack.client.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{TaskQueue: "show-running-tq"},
		workflows.TrainingPipeline, workflows.PipelineInput{Experiment: "iris", ModelName: "it-running", Data: irisRef, Threshold: 1.01, NoReuse: true})
	require.NoError(t, err)

	var show struct {
		Status string            `json:"status"`
		Tags   map[string]string `json:"tags"`
		Steps  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"steps"`
	}
	require.Eventually(t, func() bool {
		stdout, _, code := starter(t, "show", we.GetID(), "-o", "json")
		return code == 0 && json.Unmarshal([]byte(stdout), &show) == nil && show.Tags["stage"] == "training"
	}, 30*time.Second, 200*time.Millisecond, "the parent tag set by the running step shows")
	assert.Equal(t, "Running", show.Status)
	require.NotEmpty(t, show.Steps)
	assert.Equal(t, "train", show.Steps[0].Name)
	assert.Equal(t, runctx.StatusRunning, show.Steps[0].Status)

	close(release)
	require.NoError(t, we.Get(t.Context(), nil))
}
