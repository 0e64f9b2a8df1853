package testsuite

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

func TestStarterShowAndModels(t *testing.T) {
	run, res, err := runPipeline(t, workflows.TaskQueue, workflows.PipelineInput{Experiment: "iris", ModelName: "it-show", Data: irisRef})
	require.NoError(t, err)
	require.True(t, res.Registered)

	stdout, stderr, code := starter(t, "show", "--json", run.GetID())
	require.Equal(t, 0, code, stderr)
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
