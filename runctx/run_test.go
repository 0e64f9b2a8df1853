package runctx

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

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

func TestOfflineRun(t *testing.T) {
	r, err := FromContext(context.Background())
	require.NoError(t, err)
	assert.True(t, r.IsOffline())
	assert.True(t, strings.HasPrefix(r.ID(), "OfflineRun_"), r.ID())
	again, err := FromContext(context.Background())
	require.NoError(t, err)
	assert.Same(t, r, again, "one offline run per process, as Run.get_context()")
	assert.True(t, r.Parent().IsOffline())
	assert.NoError(t, r.Parent().Tag("a", "b"), "an offline parent is inert")
}

func TestLogMakesSeries(t *testing.T) {
	r := NewOffline(t.TempDir())
	r.Log("loss", 3)
	r.Log("loss", 2)
	r.Log("acc", 0.5)
	assert.Equal(t, map[string][]float64{"loss": {3, 2}, "acc": {0.5}}, r.GetMetrics())
	rec := r.Record()
	require.Len(t, rec.Metrics["loss"], 2)
	assert.Equal(t, 0, rec.Metrics["loss"][0].Step)
	assert.Equal(t, 1, rec.Metrics["loss"][1].Step)
	assert.LessOrEqual(t, rec.Metrics["loss"][0].Time, rec.Metrics["loss"][1].Time)
	assert.Equal(t, map[string]float64{"loss": 2, "acc": 0.5}, r.Summary().Metrics, "the summary holds the last values only")
}

func TestAddPropertiesWriteOnce(t *testing.T) {
	r := NewOffline(t.TempDir())
	require.NoError(t, r.AddProperties(map[string]string{"best_model": "SVM"}))
	require.NoError(t, r.AddProperties(map[string]string{"best_model": "SVM"}), "the same value again is a no-op")
	err := r.AddProperties(map[string]string{"best_model": "LR", "other": "x"})
	require.ErrorIs(t, err, ErrPropertyExists)
	assert.Contains(t, err.Error(), `"best_model" is "SVM", not "LR"`)
	assert.Equal(t, map[string]string{"best_model": "SVM"}, r.GetProperties(), "a refused call applies nothing")
}

func TestTagsAreMutable(t *testing.T) {
	r := NewOffline(t.TempDir())
	require.NoError(t, r.Tag("stage", "dev"))
	require.NoError(t, r.SetTags(map[string]string{"stage": "prod", "owner": "ml"}))
	assert.Equal(t, map[string]string{"stage": "prod", "owner": "ml"}, r.GetTags())
	r.RemoveTags("owner", "missing")
	assert.Equal(t, map[string]string{"stage": "prod"}, r.GetTags())
	assert.ErrorIs(t, r.Tag("", "x"), ErrInvalid)
}

func TestTables(t *testing.T) {
	r := NewOffline(t.TempDir())
	require.NoError(t, r.LogRow("cv", map[string]any{"model": "LR", "mean": 0.9}))
	require.NoError(t, r.LogRow("cv", map[string]any{"model": "NB", "mean": 0.8}))
	assert.ErrorIs(t, r.LogRow("cv", map[string]any{"model": "KNN"}), ErrInvalid, "a row lacking a column")
	assert.ErrorIs(t, r.LogRow("cv", map[string]any{"model": "KNN", "mean": 1, "std": 0}), ErrInvalid, "a row adding a column")
	assert.Equal(t, map[string][]any{"model": {"LR", "NB"}, "mean": {0.9, 0.8}}, r.Record().Tables["cv"])

	require.NoError(t, r.LogTable("t", map[string][]any{"a": {1, 2}, "b": {3, 4}}))
	assert.ErrorIs(t, r.LogTable("u", map[string][]any{"a": {1}, "b": {3, 4}}), ErrInvalid)
	require.NoError(t, r.LogList("l", []float64{1, 2, 3}))
	assert.Equal(t, []float64{1, 2, 3}, r.GetMetrics()["l"])
}

func TestLogConfusionMatrix(t *testing.T) {
	labels := []string{"a", "b"}
	tests := []struct {
		name   string
		labels []string
		matrix [][]int
		ok     bool
	}{
		{"square", labels, [][]int{{1, 0}, {2, 3}}, true},
		{"too few rows", labels, [][]int{{1, 0}}, false},
		{"ragged", labels, [][]int{{1, 0}, {2}}, false},
		{"negative", labels, [][]int{{1, -1}, {2, 3}}, false},
		{"no labels", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewOffline(t.TempDir())
			err := r.LogConfusionMatrix("cm", tt.labels, tt.matrix)
			if !tt.ok {
				assert.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			b, err := json.Marshal(r.Record().ConfusionMatrices["cm"])
			require.NoError(t, err)
			// Azure ML's form, written out by hand.
			assert.JSONEq(t, `{"schema_type":"confusion_matrix","schema_version":"1.0.0","data":{"class_labels":["a","b"],"matrix":[[1,0],[2,3]]}}`, string(b))
		})
	}
}

func TestLogImage(t *testing.T) {
	dir := t.TempDir()
	r := NewOffline(dir)
	assert.ErrorIs(t, r.LogImage(context.Background(), "x", []byte("GIF89a")), ErrInvalid)
	png := append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3)
	require.NoError(t, r.LogImage(context.Background(), "plot", png))
	got, err := os.ReadFile(filepath.Join(dir, "images", "plot.png"))
	require.NoError(t, err)
	assert.Equal(t, png, got)
}

func TestCompleteWritesRecordOnce(t *testing.T) {
	dir := t.TempDir()
	r := NewOffline(dir)
	r.Log("accuracy", 0.9)
	require.NoError(t, r.Tag("best_model", "SVM"))
	s, err := r.Complete(context.Background(), errors.New("boom"))
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, s.Status)
	assert.Equal(t, filepath.Join(dir, r.ID()+".json"), s.RecordRef)

	rec, err := ReadRecord(context.Background(), datastore.Resolver{}, s.RecordRef)
	require.NoError(t, err)
	assert.Equal(t, r.ID(), rec.RunID)
	assert.Equal(t, "boom", rec.Error)
	assert.Equal(t, 0.9, rec.Metrics["accuracy"][0].Value)
	assert.Equal(t, "SVM", rec.Tags["best_model"])

	s2, err := r.Complete(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, s, s2, "a second Complete changes nothing")
}

func TestCompleteThenFailMarksTheRecordFailed(t *testing.T) {
	r := NewOffline(t.TempDir())
	s, err := r.Complete(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, StatusCompleted, s.Status)
	// The step failed after completing its run: the record says so.
	s, err = r.Complete(context.Background(), errors.New("upload failed"))
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, s.Status)
	rec, err := ReadRecord(context.Background(), datastore.Resolver{}, s.RecordRef)
	require.NoError(t, err)
	assert.Equal(t, StatusFailed, rec.Status)
	assert.Equal(t, "upload failed", rec.Error)
}
