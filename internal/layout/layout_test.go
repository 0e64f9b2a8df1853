package layout

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJoinRefusesDotDot: path.Join cleaned "a/../victim" into "victim", a
// folder of another pipeline; Join refuses it instead.
func TestJoinRefusesDotDot(t *testing.T) {
	for _, name := range []string{"a/../victim", "../../models/x", "..", ".", "a//b", "/abs", "a/", "", `a\..\b`, "a\x00b"} {
		t.Run(name, func(t *testing.T) {
			_, err := JoinRef("azblob://runs/iris", name)
			require.ErrorIs(t, err, ErrInvalid)
			assert.Empty(t, Join("azblob://runs/iris", name), "no cleaned path")
			_, err = JoinRef("/tmp/runs", name)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	got, err := JoinRef("azblob://runs/iris", "wf-1/train/model.json")
	require.NoError(t, err)
	assert.Equal(t, "azblob://runs/iris/wf-1/train/model.json", got)
	assert.Equal(t, "", PipelineOutputs("azblob://runs", "iris", "a/../victim"))
	assert.Equal(t, "", PipelineOutputs("azblob://runs", "../../models", "x"))
	assert.Equal(t, "azblob://runs/iris/wf", PipelineOutputs("azblob://runs", "iris", "wf"))
	assert.Equal(t, "azblob://runs/wf", PipelineOutputs("azblob://runs", "", "wf"), "no experiment, no level")
	assert.Equal(t, "", StepRecordRef("azblob://runs/iris/wf", ".."))
}

func TestValidateSegment(t *testing.T) {
	good := []string{"iris", "iris-20261127-164712-391fc7df", "nightly-2026-01-01T00:00:00Z", "a.b", "..a", strings.Repeat("x", MaxSegment)}
	for _, s := range good {
		assert.NoError(t, ValidateSegment("workflow ID", s), s)
	}
	bad := map[string]string{
		"":                                "empty workflow ID",
		".":                               `"." path segment`,
		"..":                              `".." path segment`,
		"a/../victim":                     "must be one path segment",
		`a\b`:                             "must be one path segment",
		"a\nb":                            "control character",
		strings.Repeat("x", MaxSegment+1): "more than the limit of 255",
	}
	for s, want := range bad {
		err := ValidateSegment("workflow ID", s)
		require.ErrorIs(t, err, ErrInvalid, "%q", s)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "workflow ID", "the error names the field")
	}
}

func TestReusedFromName(t *testing.T) {
	for _, tt := range []struct{ step, runID, want string }{
		{"train", "iris-20260101-120000-1a2b3c4d_train", "iris-20260101-120000-1a2b3c4d/train"},
		{"train", "wf_with_underscores_train", "wf_with_underscores/train"},
		{"my_step", "wf_my_step", "wf/my_step"},
		{"train", "", ""},
		{"train", "not-a-step-run-id", "not-a-step-run-id"},
	} {
		assert.Equal(t, tt.want, ReusedFromName(tt.step, tt.runID), "%s %s", tt.step, tt.runID)
	}
}
