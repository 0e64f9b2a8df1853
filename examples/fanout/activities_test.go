package fanout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// offline returns the steps on the local disk and a context whose run is
// an offline run recording into a temporary folder, as a step runs when
// called outside Temporal.
func offline(t *testing.T) (*Activities, context.Context) {
	acts := NewActivities(datastore.Resolver{Local: datastore.NewLocal("/")})
	return acts, runctx.WithRun(context.Background(), runctx.NewOffline(t.TempDir()))
}

func TestStepsOffline(t *testing.T) {
	acts, ctx := offline(t)
	data, err := filepath.Abs(filepath.Join("..", "..", "data", "iris.csv"))
	require.NoError(t, err)
	prep, err := acts.Prepare(ctx, PrepareInput{Data: "file://" + data, Seed: DefaultSeed, ValidationSize: DefaultValidationSize})
	require.NoError(t, err)
	val, err := acts.readCSV(ctx, prep.Validation)
	require.NoError(t, err)
	assert.Len(t, val.X, 30, "a fifth of 150 rows")

	var candidates []TrainResult
	for _, model := range ml.Names {
		tr, err := acts.Train(runctx.WithRun(ctx, runctx.NewOffline(t.TempDir())), TrainInput{Model: model, Train: prep.Train, Validation: prep.Validation, Seed: DefaultSeed})
		require.NoError(t, err, model)
		assert.Equal(t, model, tr.Step.Tags[TagModel])
		_, err = os.Stat(tr.ModelRef)
		assert.NoError(t, err, "the model file is written")
		candidates = append(candidates, tr)
	}
	// The offline run's registry is a local folder too.
	acts.Registry = NewActivities(datastore.Resolver{Blob: datastore.NewLocal(t.TempDir())}).Registry
	ev, err := acts.Evaluate(ctx, EvaluateInput{ModelName: "offline", Candidates: candidates})
	require.NoError(t, err)
	acc, err := ev.Step.FloatTag(TagAccuracy)
	require.NoError(t, err)
	assert.Greater(t, acc, 0.8)
	assert.False(t, ev.Champion.Exists)
}

func TestPrepareRefusesBadData(t *testing.T) {
	// rare is a data set whose one "rare" row falls in the validation set.
	rare := "a,b,c,d,class\n"
	for i := range 19 {
		rare += strings.Repeat("1,", 4) + []string{"x", "y"}[i%2] + "\n"
	}
	rare += "2,2,2,2,rare\n"
	seed := int64(1)
	for ; ; seed++ {
		if _, val, _ := ml.TrainTestSplit(20, 0.2, seed); slices.Contains(val, 19) {
			break
		}
	}
	tests := []struct {
		name, csv string
		seed      int64
		want      string
	}{
		{"short row", "a,b,c,d,class\n1,2,3,4,x\n1,2,3,y\n", 1, "bad.csv:3: expected 5 fields, got 4"},
		{"not a number", "1,2,3,4,x\n1,2,three,4,y\n", 1, `bad.csv:2: field 3: not a number: "three"`},
		{"empty", "", 1, "bad.csv: empty file"},
		{"one class", "1,2,3,4,x\n1,2,3,5,x\n", 1, "bad.csv: only one class"},
		{"class only in validation", rare, seed, `class "rare" has no row in the training set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts, ctx := offline(t)
			file := filepath.Join(t.TempDir(), "bad.csv")
			require.NoError(t, os.WriteFile(file, []byte(tt.csv), 0o644))
			_, err := acts.Prepare(ctx, PrepareInput{Data: "file://" + file, Seed: tt.seed, ValidationSize: 0.2})
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "%v", err)
			assert.Equal(t, ErrTypeBadData, appErr.Type())
			assert.True(t, appErr.NonRetryable())
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
