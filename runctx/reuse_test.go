package runctx

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReuseKey(t *testing.T) {
	type input struct {
		Data  string `json:"data"`
		Folds int    `json:"folds"`
	}
	base, err := reuseKey("train", "Train", "1", []any{input{"azblob://d/iris.csv", 3}})
	require.NoError(t, err)
	tests := []struct {
		name                    string
		step, activity, version string
		args                    []any
		same                    bool
	}{
		{"same everything", "train", "Train", "1", []any{input{"azblob://d/iris.csv", 3}}, true},
		{"other step name", "train-2", "Train", "1", []any{input{"azblob://d/iris.csv", 3}}, false},
		{"other activity type", "train", "Fit", "1", []any{input{"azblob://d/iris.csv", 3}}, false},
		{"code version bumped", "train", "Train", "2", []any{input{"azblob://d/iris.csv", 3}}, false},
		{"other input", "train", "Train", "1", []any{input{"azblob://d/iris.csv", 5}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := reuseKey(tt.step, tt.activity, tt.version, tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.same, k == base)
		})
	}
}

// TestReplaceSummary: the earlier run's summary is found wherever the
// result holds it and replaced whole; the rest of the result, numbers
// included, keeps its value.
func TestReplaceSummary(t *testing.T) {
	old := Summary{RunID: "wf1_train", Name: "Train", Status: StatusCompleted, Tags: map[string]string{"accuracy": "0.9666666666666667"}}
	result, err := json.Marshal(map[string]any{"step": old, "model_ref": "azblob://runs/x/model.json", "seed": 12345678901234567})
	require.NoError(t, err)
	s := Summary{RunID: "wf2_train", Name: "Train", Status: StatusReused, ReusedFrom: "wf1_train", Tags: old.Tags}
	got, err := replaceSummary(result, old.RunID, s)
	require.NoError(t, err)
	var out struct {
		Step     Summary `json:"step"`
		ModelRef string  `json:"model_ref"`
		Seed     int64   `json:"seed"`
	}
	require.NoError(t, json.Unmarshal(got, &out))
	assert.Equal(t, s, out.Step)
	assert.Equal(t, "azblob://runs/x/model.json", out.ModelRef)
	assert.EqualValues(t, 12345678901234567, out.Seed, "numbers pass through as written")

	_, err = replaceSummary(result, "another_run", s)
	assert.Error(t, err, "a result without the run's summary cannot be reused")
}

func TestReusedSummaryFitsTheLimit(t *testing.T) {
	for _, tt := range []struct {
		name string
		hit  reuseHit
		want string
	}{
		{"short", reuseHit{WorkflowID: "iris-1", Step: "train"}, "train: reused from iris-1/train"},
		{"long", reuseHit{WorkflowID: strings.Repeat("é", 200), Step: strings.Repeat("s", 100)}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := reusedSummary(tt.hit)
			assert.LessOrEqual(t, len(s), maxSummary)
			assert.True(t, utf8.ValidString(s))
			assert.True(t, strings.HasPrefix(s, tt.hit.Step+": reused from "))
			if tt.want != "" {
				assert.Equal(t, tt.want, s)
			}
		})
	}
}
