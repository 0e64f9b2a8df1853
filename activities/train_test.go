package activities

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/failure"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// sampleForm rewrites the project's iris CSV in the form of the original
// Azure ML project's file: no header, Iris- labels, no final newline.
func sampleForm(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "data", "iris.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	for i, l := range lines {
		j := strings.LastIndex(l, ",")
		lines[i] = l[:j+1] + "Iris-" + l[j+1:]
	}
	p := filepath.Join(t.TempDir(), "sample_data.csv")
	require.NoError(t, os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644))
	return p
}

func offline(t *testing.T) (context.Context, *runctx.Run, *Activities) {
	run := runctx.NewOffline(t.TempDir())
	return runctx.WithRun(context.Background(), run), run, &Activities{Data: datastore.Resolver{Local: datastore.NewLocal("/")}}
}

func TestTrainOffline(t *testing.T) {
	ctx, run, a := offline(t)
	res, err := a.Train(ctx, TrainInput{Data: sampleForm(t), Folds: 3, Seed: 12345, ValidationSize: 0.2})
	require.NoError(t, err)
	assert.Contains(t, ml.Names, res.Step.Tags["best_model"])
	assert.Equal(t, res.Step.Tags, res.Step.Properties)

	rec := run.Record()
	best := 0.0
	for _, name := range ml.Names {
		require.Len(t, rec.Metrics[name+"_accuracy"], 1)
		best = max(best, rec.Metrics[name+"_accuracy"][0].Value)
		assert.Contains(t, rec.ConfusionMatrices, "Confusion matrix "+name)
	}
	assert.Equal(t, best, res.Step.Metrics["accuracy"], "accuracy is the best validation accuracy")
	assert.Equal(t, []any{"LR", "LDA", "KNN", "CART", "NB", "SVM"}, rec.Tables["cross-validation"]["model"])

	// The figures are scikit-learn's (ml/testdata/golden/iris.json, from
	// scripts/golden.py, CART with random_state 12345 as the step seeds it).
	var golden struct {
		Models map[string]struct {
			Accuracy float64 `json:"accuracy"`
		} `json:"models"`
		BestModel string  `json:"best_model"`
		Accuracy  float64 `json:"accuracy"`
	}
	b, err := os.ReadFile(filepath.Join("..", "ml", "testdata", "golden", "iris.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &golden))
	for _, name := range ml.Names {
		assert.Equal(t, golden.Models[name].Accuracy, rec.Metrics[name+"_accuracy"][0].Value, name)
	}
	assert.Equal(t, golden.BestModel, res.Step.Tags["best_model"])
	assert.Equal(t, golden.Accuracy, res.Step.Metrics["accuracy"])

	out, err := os.ReadFile(run.OutputRef("outputs/output.txt"))
	require.NoError(t, err)
	assert.Regexp(t, `^LR: 0\.\d{6} \(0\.\d{6}\)\n`, string(out), "the reference prints '%s: %f (%f)'")
	_, model, err := ml.Load(mustOpen(t, res.ModelRef))
	require.NoError(t, err)
	assert.NotNil(t, model)
}

func TestTrainBadDataIsNotRetryable(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"short row", "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,Iris-setosa\n", "bad.csv:2"},
		{"not a number", "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,x,1.4,0.2,Iris-setosa\n", "bad.csv:2"},
		{"empty", "", "bad.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.csv")
			require.NoError(t, os.WriteFile(p, []byte(tt.body), 0o644))
			ctx, _, a := offline(t)
			_, err := a.Train(ctx, TrainInput{Data: p, Folds: 3, Seed: 1, ValidationSize: 0.2})
			assert.ErrorIs(t, err, ml.ErrBadData)
			// The worker classifies the step's error (internal/failure).
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(failure.Classify(err), &appErr), "%v", err)
			assert.Equal(t, ErrTypeBadData, appErr.Type())
			assert.True(t, appErr.NonRetryable())
			assert.Contains(t, appErr.Message(), tt.want)
		})
	}
	ctx, _, a := offline(t)
	_, err := a.Train(ctx, TrainInput{Data: filepath.Join(dir, "missing.csv"), Folds: 3, Seed: 1, ValidationSize: 0.2})
	assert.ErrorContains(t, err, "missing.csv")
}

func mustOpen(t *testing.T, p string) *os.File {
	f, err := os.Open(p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
